"""From live telemetry to planner inputs and from a plan to dispatcher targets (pure)."""

from __future__ import annotations

import pytest

from openderms.client.devices.telemetry import CapabilityValue, DeviceTelemetry, SiteTelemetry
from openderms.client.optimizer import EvChargerSpec, Plan, ProblemKind
from openderms.client.optimizer.site_inputs import (
    EvSessions,
    LoadHistory,
    inflexible_load_w,
    planner_site,
    targets_from_plan,
)


def _telemetry(now: float, **devices: tuple[str, dict[str, CapabilityValue]]) -> SiteTelemetry:
    return SiteTelemetry(
        now=now,
        devices={n: DeviceTelemetry(n, kind, values) for n, (kind, values) in devices.items()},
    )


def test_inflexible_load_is_the_meter_with_every_device_taken_out() -> None:
    telemetry = _telemetry(
        0.0,
        meter=("meter", {"active_power_w": 5000.0}),
        pv=("pv", {"active_power_w": 3000.0}),
        battery=("battery", {"active_power_w": -1000.0}),  # charging
        ev=("evcharger", {"active_power_w": -4000.0}),  # a load: negative
    )
    assert inflexible_load_w(telemetry) == 3000.0


def test_no_meter_no_load_reading() -> None:
    assert inflexible_load_w(_telemetry(0.0, pv=("pv", {"active_power_w": 1.0}))) is None


def test_load_forecast_holds_the_last_hour_before_a_day_of_history() -> None:
    history = LoadHistory(step_s=900.0, keep_s=86_400.0 * 2)
    for minute in range(120):
        history.add(minute * 60.0, 500.0 if minute < 60 else 800.0)
    forecast = history.forecast_w(7200.0, 4)
    assert forecast.tolist() == pytest.approx([800.0] * 4)


def test_load_forecast_repeats_yesterday_once_a_day_is_recorded() -> None:
    history = LoadHistory(step_s=3600.0, keep_s=86_400.0 * 3)
    day_profile = [300.0] * 18 + [2000.0] * 3 + [300.0] * 3  # evening peak 18:00-21:00
    for day in range(2):
        for hour, load in enumerate(day_profile):
            history.add(day * 86_400.0 + hour * 3600.0 + 1.0, load)
    forecast = history.forecast_w(2 * 86_400.0, 24)
    assert forecast[18] == pytest.approx(2000.0)
    assert forecast[3] == pytest.approx(300.0)


def test_ev_session_owes_the_target_less_what_was_delivered_since_plug_in() -> None:
    sessions = EvSessions(target_energy_wh=9000.0, session_s=3600.0, surplus_value_per_kwh=0.1)
    spec = EvChargerSpec("ev", efficiency=0.9)
    plugged = _telemetry(100.0, ev=("evcharger", {"status": 2, "energy_imported_wh": 1000.0}))
    assert sessions.observe(plugged, ["ev"])
    later = _telemetry(1000.0, ev=("evcharger", {"status": 3, "energy_imported_wh": 3000.0}))
    assert not sessions.observe(later, ["ev"])
    session = sessions.sessions(later, [spec], 900.0)["ev"]
    assert session is not None
    assert session.arrival_s == 100.0 and session.departure_s == 3700.0
    assert session.target_energy_wh == pytest.approx(9000.0 - 2000.0 * 0.9)
    unplugged = _telemetry(2000.0, ev=("evcharger", {"status": 1}))
    assert sessions.observe(unplugged, ["ev"])
    assert sessions.sessions(unplugged, [spec], 900.0) == {"ev": None}


def test_planner_site_plans_only_controllable_devices_with_ratings() -> None:
    telemetry = _telemetry(
        0.0,
        pv=("pv", {"rated_power_w": 6000.0}),
        battery=("battery", {"capacity_wh": 10000.0, "max_charge_w": 5000.0}),  # no discharge
        ev=("evcharger", {"max_current_a": 32.0}),
    )
    capabilities = {
        "pv": frozenset({"power_limit_pct"}),
        "battery": frozenset({"charge_limit_w", "discharge_limit_w"}),
        "ev": frozenset({"current_limit_a"}),
    }
    model = planner_site(telemetry, capabilities, {"ev": 1}, phase_limit_a=40.0)
    assert [p.asset_id for p in model.pv] == ["pv"]
    assert model.batteries == ()  # a missing rating is not guessed
    assert model.chargers[0].phases == 1 and model.chargers[0].max_current_a == 32.0
    assert model.site.import_limit_w == pytest.approx(3 * 40.0 * 230.0)


def _plan() -> Plan:
    return Plan(
        start_s=1000.0,
        step_s=900.0,
        problem=ProblemKind.MILP,
        solver="HIGHS",
        status="optimal",
        solve_time_s=0.01,
        objective=0.0,
        energy_cost=0.0,
        site_w=(0.0, 0.0),
        grid_import_w=(0.0, 0.0),
        grid_export_w=(0.0, 0.0),
        battery_charge_w={"a": (2000.0, 0.0), "b": (500.0, 0.0)},
        battery_discharge_w={"a": (0.0, 1500.0), "b": (0.0, 0.0)},
        ev_current_a={"ev": (10.0, 0.0)},
        heat_pump_w={"hp": (0.0, 1800.0)},
    )


def test_targets_follow_the_interval_in_force() -> None:
    first = targets_from_plan(_plan(), 1000.0)
    second = targets_from_plan(_plan(), 1000.0 + 900.0)
    assert first is not None and second is not None
    assert first.battery_power_w == -2500.0  # both batteries charging, summed
    assert first.ev_current_a == {"ev": 10.0}
    assert second.battery_power_w == 1500.0
    assert second.heat_pump_w == {"hp": 1800.0}


def test_no_targets_outside_the_plan() -> None:
    assert targets_from_plan(_plan(), 999.0) is None
    assert targets_from_plan(_plan(), 1000.0 + 1800.0) is None
