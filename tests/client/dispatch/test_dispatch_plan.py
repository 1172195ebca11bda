"""Dispatch policy without devices: limits and telemetry in, commands out."""

from __future__ import annotations

from openderms.client.devices.telemetry import DeviceTelemetry, SiteTelemetry
from openderms.client.dispatch.plan import DeviceInfo, plan_commands
from openderms.client.envelope import EnvelopeLimits

PV = DeviceInfo(
    "pv", "pv", frozenset({"active_power_w", "rated_power_w", "power_limit_pct", "connect"})
)
BATTERY = DeviceInfo(
    "battery",
    "battery",
    frozenset(
        {
            "active_power_w",
            "soc_pct",
            "max_charge_w",
            "max_discharge_w",
            "charge_limit_w",
            "discharge_limit_w",
        }
    ),
)
METER = DeviceInfo("meter", "meter", frozenset({"active_power_w"}))


def _telemetry(
    site_w: float | None, pv_w: float, soc: float, battery_w: float = 0.0
) -> SiteTelemetry:
    devices = {
        "pv": DeviceTelemetry("pv", "pv", {"active_power_w": pv_w, "rated_power_w": 10000.0}),
        "battery": DeviceTelemetry(
            "battery",
            "battery",
            {
                "active_power_w": battery_w,
                "soc_pct": soc,
                "max_charge_w": 5000.0,
                "max_discharge_w": 5000.0,
            },
        ),
    }
    if site_w is not None:
        devices["meter"] = DeviceTelemetry("meter", "meter", {"active_power_w": site_w})
    return SiteTelemetry(now=0.0, devices=devices)


def _with_connected(telemetry: SiteTelemetry, connected: bool) -> SiteTelemetry:
    pv = telemetry.devices["pv"]
    devices = dict(telemetry.devices)
    devices["pv"] = DeviceTelemetry("pv", "pv", {**pv.values, "connected": connected})
    return SiteTelemetry(now=telemetry.now, devices=devices)


def _commands(
    plan_limits: EnvelopeLimits, telemetry: SiteTelemetry
) -> dict[tuple[str, str], object]:
    plan = plan_commands(plan_limits, telemetry, [PV, BATTERY, METER], margin_w=0.0)
    return {(c.device, c.capability): c.value for c in plan.commands}


def test_export_limit_with_full_battery_curtails_pv() -> None:
    commands = _commands(
        EnvelopeLimits(export_limit_w=5000.0), _telemetry(-9100.0, 9500.0, soc=100.0)
    )
    assert commands[("pv", "power_limit_pct")] == 54.0  # 5400 W of 10 kW


def test_export_limit_with_room_in_the_battery_does_not_curtail() -> None:
    commands = _commands(
        EnvelopeLimits(export_limit_w=5000.0),
        _telemetry(-4100.0, 9500.0, soc=50.0, battery_w=-5000.0),
    )
    # 400 W house + 5000 W export + 5000 W charging already + 0 extra headroom = 10.4 kW > rating
    assert commands[("pv", "power_limit_pct")] == 100.0


def test_no_limits_release_earlier_curtailment() -> None:
    commands = _commands(EnvelopeLimits(), _telemetry(-9100.0, 9500.0, soc=100.0))
    assert commands[("pv", "power_limit_pct")] == 100.0
    assert commands[("battery", "charge_limit_w")] == 5000.0


def test_disconnect_reaches_every_der_with_connect() -> None:
    commands = _commands(EnvelopeLimits(connect=False), _telemetry(-9100.0, 9500.0, soc=100.0))
    assert commands[("pv", "connect")] is False
    assert ("pv", "power_limit_pct") not in commands


def test_energize_false_also_disconnects() -> None:
    commands = _commands(EnvelopeLimits(energize=False), _telemetry(0.0, 0.0, soc=50.0))
    assert commands[("pv", "connect")] is False


def test_end_of_disconnect_reconnects_a_disconnected_inverter() -> None:
    """2030.5: when no control constrains opModConnect, the DER returns to connected."""
    telemetry = _with_connected(_telemetry(0.0, 0.0, soc=50.0), connected=False)

    commands = _commands(EnvelopeLimits(), telemetry)

    assert commands[("pv", "connect")] is True


def test_connected_inverter_is_not_rewritten_without_a_constraint() -> None:
    telemetry = _with_connected(_telemetry(0.0, 0.0, soc=50.0), connected=True)

    commands = _commands(EnvelopeLimits(), telemetry)

    assert ("pv", "connect") not in commands


def test_target_pins_the_battery_with_124_rates() -> None:
    commands = _commands(EnvelopeLimits(target_w=2000.0), _telemetry(0.0, 0.0, soc=50.0))
    assert commands[("battery", "charge_limit_w")] == -2000.0
    assert commands[("battery", "discharge_limit_w")] == 2000.0


def test_export_limit_without_a_meter_holds_pv_at_the_limit_and_is_reported() -> None:
    """No meter reading: assume no load, so PV alone must not exceed the export limit."""
    plan = plan_commands(
        EnvelopeLimits(export_limit_w=5000.0),
        _telemetry(None, 9500.0, soc=50.0),
        [PV, BATTERY],
        margin_w=0.0,
    )
    commands = {(c.device, c.capability): c.value for c in plan.commands}
    assert commands[("pv", "power_limit_pct")] == 50.0
    assert [u.field for u in plan.unmet] == ["export_limit_w"]


def test_fixed_w_pct_is_reported_unmet() -> None:
    plan = plan_commands(
        EnvelopeLimits(fixed_w_pct=50.0), _telemetry(0.0, 0.0, soc=50.0), [PV, BATTERY, METER]
    )
    assert [u.field for u in plan.unmet] == ["fixed_w_pct"]


def test_import_limit_throttles_the_ev_charger() -> None:
    charger = DeviceInfo(
        "ev",
        "evcharger",
        frozenset({"active_power_w", "max_current_a", "current_limit_a", "charge_enable"}),
    )
    telemetry = SiteTelemetry(
        now=0.0,
        devices={
            "meter": DeviceTelemetry("meter", "meter", {"active_power_w": 12000.0}),
            "ev": DeviceTelemetry(
                "ev", "evcharger", {"active_power_w": -11040.0, "max_current_a": 16.0}
            ),
        },
    )
    plan = plan_commands(
        EnvelopeLimits(import_limit_w=7000.0), telemetry, [charger, METER], margin_w=0.0
    )
    commands = {(c.device, c.capability): c.value for c in plan.commands}
    # The charger may draw 11040 - 5000 = 6040 W: 8.7 A on three phases.
    assert commands[("ev", "current_limit_a")] == 8.7
    assert commands[("ev", "charge_enable")] is True


def test_inverter_with_only_wset_gets_a_watt_limit() -> None:
    wset_only = DeviceInfo(
        "pv", "pv", frozenset({"active_power_w", "rated_power_w", "power_limit_w"})
    )
    plan = plan_commands(
        EnvelopeLimits(export_limit_w=5000.0),
        _telemetry(-9100.0, 9500.0, soc=100.0),
        [wset_only, METER],
        margin_w=0.0,
    )
    commands = {(c.device, c.capability): c.value for c in plan.commands}
    assert commands[("pv", "power_limit_w")] == 5400


def test_import_limit_bounds_charging_of_the_battery() -> None:
    # Site imports 3 kW while the battery charges 2 kW; 4 kW import limit -> 3 kW charging.
    commands = _commands(
        EnvelopeLimits(import_limit_w=4000.0), _telemetry(3000.0, 0.0, soc=50.0, battery_w=-2000.0)
    )
    assert commands[("battery", "charge_limit_w")] == 3000.0
    assert commands[("battery", "discharge_limit_w")] == 5000.0  # released


def test_generation_limit_bounds_discharging() -> None:
    commands = _commands(EnvelopeLimits(generation_limit_w=1500.0), _telemetry(0.0, 0.0, soc=50.0))
    assert commands[("battery", "discharge_limit_w")] == 1500.0


def test_load_limit_caps_the_battery_headroom_counted_for_pv() -> None:
    # Battery could take 5 kW, but opModLoadLimW allows 1 kW: PV covers house + export + 1 kW.
    commands = _commands(
        EnvelopeLimits(export_limit_w=5000.0, load_limit_w=1000.0),
        _telemetry(-9100.0, 9500.0, soc=50.0),
    )
    assert commands[("pv", "power_limit_pct")] == 64.0  # (400 + 5000 + 1000) / 10 kW
