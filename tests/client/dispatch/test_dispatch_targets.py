"""A planner's wishes clamped into the envelope: pure, no devices.

The envelope is a hard limit and the plan only a wish (ARCHITECTURE.md, "the one idea").
"""

from __future__ import annotations

import pytest

from openderms.client.devices.telemetry import CapabilityValue, DeviceTelemetry, SiteTelemetry
from openderms.client.dispatch.plan import DeviceInfo, plan_commands
from openderms.client.dispatch.site_targets import SiteTargets, TargetDecision
from openderms.client.dispatch.targets import (
    battery_bounds_w,
    clamp_battery_w,
    decide_targets,
    heat_pump_mode,
)
from openderms.client.envelope import EnvelopeLimits

PV = DeviceInfo("pv", "pv", frozenset({"active_power_w", "rated_power_w", "power_limit_pct"}))
BATTERY = DeviceInfo(
    "battery",
    "battery",
    frozenset({"active_power_w", "soc_pct", "charge_limit_w", "discharge_limit_w", "connect"}),
)
METER = DeviceInfo("meter", "meter", frozenset({"active_power_w"}))
EV = DeviceInfo(
    "ev", "evcharger", frozenset({"active_power_w", "current_limit_a", "charge_enable"})
)
HEAT_PUMP = DeviceInfo("hp", "heatpump", frozenset({"active_power_w", "sg_ready_mode"}))
ALL = [PV, BATTERY, METER, EV, HEAT_PUMP]


def _site(
    *,
    house_w: float = 400.0,
    pv_w: float = 0.0,
    battery_w: float = 0.0,
    ev_w: float = 0.0,
    hp_w: float = 0.0,
    soc_pct: float = 50.0,
    metered: bool = True,
) -> SiteTelemetry:
    """A consistent snapshot: the meter shows house + EV + heat pump - PV - battery."""
    site_w = house_w + ev_w + hp_w - pv_w - battery_w
    values: dict[str, dict[str, CapabilityValue]] = {
        "pv": {"active_power_w": pv_w, "rated_power_w": 10000.0},
        "battery": {
            "active_power_w": battery_w,
            "soc_pct": soc_pct,
            "max_charge_w": 5000.0,
            "max_discharge_w": 5000.0,
        },
        "ev": {"active_power_w": -ev_w, "max_current_a": 16.0, "status": 3 if ev_w else 2},
        "hp": {"active_power_w": -hp_w},
    }
    if metered:
        values["meter"] = {"active_power_w": site_w}
    kinds = {d.name: d.kind for d in ALL}
    return SiteTelemetry(
        now=0.0, devices={n: DeviceTelemetry(n, kinds[n], v) for n, v in values.items()}
    )


def _commands(
    limits: EnvelopeLimits, telemetry: SiteTelemetry, decision: TargetDecision | None
) -> dict[tuple[str, str], tuple[object, str]]:
    plan = plan_commands(limits, telemetry, ALL, margin_w=50.0, decision=decision)
    return {(c.device, c.capability): (c.value, c.reason) for c in plan.commands}


def test_plan_discharge_that_would_breach_the_export_limit_is_clamped() -> None:
    # PV 3 kW, house 400 W: exporting 2.6 kW against a 3 kW limit; the plan wants 5 kW out.
    telemetry = _site(pv_w=3000.0)
    limits = EnvelopeLimits(export_limit_w=3000.0)
    decision = decide_targets(limits, telemetry, ALL, SiteTargets(battery_power_w=5000.0))
    assert decision is not None
    assert decision.battery_power_w == pytest.approx(350.0)  # 3000 - 2600 - 50 margin
    assert any("export_limit_w" in line for line in decision.clamped)
    commands = _commands(limits, telemetry, decision)
    assert commands[("battery", "discharge_limit_w")] == (pytest.approx(350.0), "plan")
    assert commands[("battery", "charge_limit_w")] == (pytest.approx(-350.0), "plan")


def test_plan_charge_that_would_breach_the_import_limit_is_clamped() -> None:
    telemetry = _site(house_w=1000.0)
    decision = decide_targets(
        EnvelopeLimits(import_limit_w=4000.0), telemetry, ALL, SiteTargets(battery_power_w=-5000.0)
    )
    assert decision is not None
    assert decision.battery_power_w == pytest.approx(-2950.0)  # 4000 - 1000 - 50


def test_plan_inside_the_envelope_is_written_as_planned() -> None:
    telemetry = _site(pv_w=6000.0)
    limits = EnvelopeLimits(export_limit_w=5000.0, import_limit_w=5000.0)
    decision = decide_targets(limits, telemetry, ALL, SiteTargets(battery_power_w=-2500.0))
    assert decision is not None and decision.battery_power_w == -2500.0
    assert decision.clamped == ()
    commands = _commands(limits, telemetry, decision)
    assert commands[("battery", "charge_limit_w")] == (2500.0, "plan")
    assert commands[("battery", "discharge_limit_w")] == (-2500.0, "plan")


def test_import_over_the_limit_turns_a_charge_wish_into_discharge() -> None:
    # Importing 6 kW against a 4 kW limit: only the battery can bring the site back.
    bounds = battery_bounds_w(EnvelopeLimits(import_limit_w=4000.0), 6000.0, 0.0)
    assert clamp_battery_w(-1000.0, bounds) == (2000.0, "import_limit_w")


def test_forced_discharge_stays_inside_the_battery_rating() -> None:
    bounds = battery_bounds_w(
        EnvelopeLimits(import_limit_w=4000.0), 9000.0, 0.0, max_discharge_w=3000.0
    )
    assert clamp_battery_w(0.0, bounds) == (3000.0, "import_limit_w")


def test_export_over_the_limit_makes_the_battery_soak_up_the_surplus() -> None:
    bounds = battery_bounds_w(EnvelopeLimits(export_limit_w=2000.0), -3500.0, 0.0)
    assert clamp_battery_w(1000.0, bounds) == (-1500.0, "export_limit_w")


def test_without_a_meter_an_export_limit_forbids_planned_discharge() -> None:
    decision = decide_targets(
        EnvelopeLimits(export_limit_w=5000.0),
        _site(pv_w=2000.0, metered=False),
        ALL,
        SiteTargets(battery_power_w=3000.0),
    )
    assert decision is not None and decision.battery_power_w == 0.0


def test_generation_limit_bounds_planned_discharge() -> None:
    decision = decide_targets(
        EnvelopeLimits(generation_limit_w=1500.0),
        _site(),
        ALL,
        SiteTargets(battery_power_w=4000.0),
    )
    assert decision is not None and decision.battery_power_w == 1500.0


def test_ev_target_above_the_import_headroom_is_cut_by_the_dlm() -> None:
    # House 400 W, import limit 7 kW less 50 W margin: 6550 W / (3 x 230 V) = 9.49 A.
    telemetry = _site()
    limits = EnvelopeLimits(import_limit_w=7000.0)
    decision = decide_targets(limits, telemetry, ALL, SiteTargets(ev_current_a={"ev": 16.0}))
    assert decision is not None
    assert decision.ev_current_a["ev"] == pytest.approx(9.4)
    assert any("dlm" in line for line in decision.clamped)
    commands = _commands(limits, telemetry, decision)
    assert commands[("ev", "current_limit_a")] == (pytest.approx(9.4), "dlm")
    assert commands[("ev", "charge_enable")] == (True, "dlm")


def test_ev_target_below_the_headroom_caps_the_charger() -> None:
    decision = decide_targets(
        EnvelopeLimits(import_limit_w=20000.0), _site(), ALL, SiteTargets(ev_current_a={"ev": 8.0})
    )
    assert decision is not None and decision.ev_current_a["ev"] == 8.0


def test_plan_of_zero_current_pauses_the_charger() -> None:
    telemetry = _site(ev_w=6 * 3 * 230.0)
    decision = decide_targets(
        EnvelopeLimits(), telemetry, ALL, SiteTargets(ev_current_a={"ev": 0})
    )
    assert decision is not None and decision.ev_current_a["ev"] == 0.0
    commands = _commands(EnvelopeLimits(), telemetry, decision)
    assert commands[("ev", "charge_enable")] == (False, "dlm")


def test_battery_charging_from_the_plan_leaves_the_ev_only_the_rest_of_the_import() -> None:
    # Import limit 10 kW, house 400 W; the plan charges 5 kW and wants 16 A for the car.
    decision = decide_targets(
        EnvelopeLimits(import_limit_w=10000.0),
        _site(),
        ALL,
        SiteTargets(battery_power_w=-5000.0, ev_current_a={"ev": 16.0}),
    )
    assert decision is not None and decision.battery_power_w == -5000.0
    site_after_w = 400.0 + 5000.0 + decision.ev_current_a["ev"] * 3 * 230.0
    assert site_after_w <= 10000.0 - 50.0
    assert decision.ev_current_a["ev"] == pytest.approx(6.5)  # 4550 W / 690 V = 6.59 A


def test_pausing_a_charger_under_an_export_limit_curtails_pv_at_once() -> None:
    # PV 6 kW, house 400 W, car 4.14 kW: exporting 1.46 kW against 2 kW. The plan pauses
    # the car; without counting that, PV would be left at 6 kW and export 5.6 kW.
    telemetry = _site(pv_w=6000.0, ev_w=4140.0, soc_pct=100.0)
    limits = EnvelopeLimits(export_limit_w=2000.0)
    decision = decide_targets(limits, telemetry, ALL, SiteTargets(ev_current_a={"ev": 0.0}))
    assert decision is not None and decision.load_change_w == pytest.approx(-4140.0)
    commands = _commands(limits, telemetry, decision)
    pct, _ = commands[("pv", "power_limit_pct")]
    assert isinstance(pct, float)
    export_after_w = pct / 100 * 10000.0 - 400.0
    assert export_after_w <= 2000.0


def test_connect_false_overrides_every_target() -> None:
    limits = EnvelopeLimits(connect=False)
    targets = SiteTargets(battery_power_w=3000.0, ev_current_a={"ev": 16.0}, heat_pump_w={"hp": 1})
    assert decide_targets(limits, _site(), ALL, targets) is None
    # Even a decision made earlier cannot pin a battery the envelope disconnects.
    commands = _commands(limits, _site(), TargetDecision(battery_power_w=3000.0))
    assert commands[("battery", "connect")] == (False, "connect")
    assert ("battery", "discharge_limit_w") not in commands


def test_envelope_target_power_wins_over_the_plan() -> None:
    limits = EnvelopeLimits(target_w=1000.0)
    assert decide_targets(limits, _site(), ALL, SiteTargets(battery_power_w=-3000.0)) is None
    commands = _commands(limits, _site(), None)
    assert commands[("battery", "discharge_limit_w")] == (1000.0, "target_w")


@pytest.mark.parametrize(
    ("planned_w", "headroom_w", "mode"),
    [
        (2000.0, -10.0, 1),  # over the import limit: blocked whatever the plan says
        (2000.0, 2500.0, 3),  # planned on and room for it: recommended on
        (2000.0, 1500.0, 2),  # planned on, no room: left to its thermostat
        (2000.0, None, 3),  # no import limit
        (0.0, 5000.0, 2),  # planned off: normal
    ],
)
def test_heat_pump_mode_follows_the_plan_inside_the_import_limit(
    planned_w: float, headroom_w: float | None, mode: int
) -> None:
    assert heat_pump_mode(planned_w, 0.0, headroom_w) == mode


def test_heat_pump_planned_on_is_recommended_on_over_modbus_policy() -> None:
    telemetry = _site()
    limits = EnvelopeLimits(import_limit_w=5000.0)
    targets = SiteTargets(ev_current_a={"ev": 0.0}, heat_pump_w={"hp": 2000.0})
    decision = decide_targets(limits, telemetry, ALL, targets)
    assert decision is not None and decision.heat_pump_mode == {"hp": 3}
    assert _commands(limits, telemetry, decision)[("hp", "sg_ready_mode")] == (3, "plan")
