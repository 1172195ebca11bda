"""EV charging: targets met when feasible, shortfall reported when not."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from openderms.client.optimizer import (
    EvChargerSpec,
    EvSession,
    PlanInputs,
    Planner,
    PlannerConfig,
    PvSpec,
)

STEPS = 8
STEP_S = 900.0
CHARGER = EvChargerSpec("ev", min_current_a=6.0, max_current_a=16.0, phases=3, efficiency=0.9)


@pytest.mark.parametrize("integer", [False, True])
def test_feasible_target_is_met_by_its_deadline(
    integer: bool, make_inputs: Callable[..., PlanInputs]
) -> None:
    planner = Planner(PlannerConfig(chargers=(CHARGER,), steps=STEPS), integer=integer)
    session = EvSession(0.0, STEPS * STEP_S, target_energy_wh=8000.0)

    plan = planner.plan(0.0, make_inputs(STEPS, ev_sessions={"ev": session}))

    assert plan.missed == ()
    assert plan.ev_energy_wh["ev"] == pytest.approx(8000.0, abs=1.0)


def test_impossible_target_reports_the_shortfall(make_inputs: Callable[..., PlanInputs]) -> None:
    planner = Planner(PlannerConfig(chargers=(CHARGER,), steps=STEPS), integer=False)
    # One hour plugged in at 11 kW and 90 % efficiency gives at most 9.936 kWh.
    session = EvSession(0.0, 3600.0, target_energy_wh=30_000.0)

    plan = planner.plan(0.0, make_inputs(STEPS, ev_sessions={"ev": session}))

    deliverable_wh = CHARGER.max_w * 1.0 * CHARGER.efficiency
    (missed,) = plan.missed
    assert (missed.asset_id, missed.target, missed.unit) == ("ev", "ev_energy", "Wh")
    assert missed.shortfall == pytest.approx(30_000.0 - deliverable_wh, rel=1e-4)
    assert plan.ev_energy_wh["ev"] == pytest.approx(deliverable_wh, rel=1e-4)


def test_charging_stays_inside_the_plugged_in_window(
    make_inputs: Callable[..., PlanInputs],
) -> None:
    planner = Planner(PlannerConfig(chargers=(CHARGER,), steps=STEPS), integer=False)
    # Arrives after two intervals, leaves after five.
    session = EvSession(2 * STEP_S, 5 * STEP_S, target_energy_wh=50_000.0)

    plan = planner.plan(0.0, make_inputs(STEPS, ev_sessions={"ev": session}))

    power = np.array(plan.ev_w["ev"])
    assert np.all(power[:2] <= 1e-6) and np.all(power[5:] <= 1e-6)
    assert np.allclose(power[2:5], CHARGER.max_w, rtol=1e-6)


def test_target_time_before_departure_is_honoured(
    make_inputs: Callable[..., PlanInputs],
) -> None:
    planner = Planner(PlannerConfig(chargers=(CHARGER,), steps=STEPS), integer=False)
    # Cheapest at the end, but the target is due after four intervals.
    prices = np.array([0.4, 0.4, 0.4, 0.4, 0.1, 0.1, 0.1, 0.1])
    session = EvSession(0.0, STEPS * STEP_S, 4000.0, target_time_s=4 * STEP_S)

    plan = planner.plan(
        0.0, make_inputs(STEPS, import_price_per_kwh=prices, ev_sessions={"ev": session})
    )

    early_wh = sum(plan.ev_w["ev"][:4]) * STEP_S / 3600 * CHARGER.efficiency
    assert early_wh == pytest.approx(4000.0, abs=1.0)
    assert plan.missed == ()


def test_milp_charges_at_minimum_current_or_not_at_all(
    make_inputs: Callable[..., PlanInputs],
) -> None:
    planner = Planner(PlannerConfig(chargers=(CHARGER,), steps=STEPS), integer=True)
    # A small target: the LP would spread it thinly below the minimum current.
    session = EvSession(0.0, STEPS * STEP_S, target_energy_wh=1000.0)

    plan = planner.plan(0.0, make_inputs(STEPS, ev_sessions={"ev": session}))

    currents = np.array(plan.ev_current_a["ev"])
    assert np.all((currents <= 1e-6) | (currents >= CHARGER.min_current_a - 1e-6))
    assert plan.problem.value == "MILP"


def test_pv_surplus_charging_uses_only_surplus(
    make_inputs: Callable[..., PlanInputs], solar_w: Callable[[int, float], np.ndarray]
) -> None:
    config = PlannerConfig(pv=(PvSpec("pv", 8000.0),), chargers=(CHARGER,), steps=STEPS)
    planner = Planner(config, integer=False)
    pv = solar_w(STEPS, 6000.0)
    # No target; surplus worth more than export (0.05) and less than import (0.30).
    session = EvSession(
        0.0, STEPS * STEP_S, 0.0, max_energy_wh=50_000.0, surplus_value_per_kwh=0.1
    )

    plan = planner.plan(
        0.0, make_inputs(STEPS, pv_forecast_w={"pv": pv}, ev_sessions={"ev": session})
    )

    ev = np.array(plan.ev_w["ev"])
    surplus = np.maximum(pv - 500.0, 0.0)
    assert np.all(ev <= surplus + 1e-3)
    assert ev.sum() == pytest.approx(np.minimum(surplus, CHARGER.max_w).sum(), rel=1e-4)
    assert np.all(np.array(plan.grid_import_w) <= 500.0 + 1e-3)


def test_soc_target_converts_to_energy() -> None:
    session = EvSession.for_soc(0.0, 3600.0, 60_000.0, soc_pct=30.0, target_soc_pct=80.0)

    assert session.target_energy_wh == pytest.approx(30_000.0)
    assert session.max_energy_wh == pytest.approx(42_000.0)


def test_deadline_past_the_horizon_owes_only_what_later_hours_cannot_give(
    make_inputs: Callable[..., PlanInputs],
) -> None:
    planner = Planner(PlannerConfig(chargers=(CHARGER,), steps=STEPS), integer=False)
    # Departure four hours after the two-hour horizon ends: at most 4 h x 11.04 kW x 0.9
    # can still come later, so the horizon owes the rest of 50 kWh.
    session = EvSession(0.0, STEPS * STEP_S + 4 * 3600.0, target_energy_wh=50_000.0)

    plan = planner.plan(0.0, make_inputs(STEPS, ev_sessions={"ev": session}))

    later_wh = CHARGER.max_w * CHARGER.efficiency * 4.0
    assert plan.ev_energy_wh["ev"] == pytest.approx(50_000.0 - later_wh, rel=1e-4)
    assert plan.missed == ()


def test_partial_milp_models_minimum_current_in_its_integer_intervals(
    make_inputs: Callable[..., PlanInputs],
) -> None:
    config = PlannerConfig(chargers=(CHARGER,), steps=STEPS, integer_steps=3)
    planner = Planner(config, integer=True)
    session = EvSession(0.0, STEPS * STEP_S, target_energy_wh=1000.0)

    plan = planner.plan(0.0, make_inputs(STEPS, ev_sessions={"ev": session}))

    currents = np.array(plan.ev_current_a["ev"][:3])
    assert np.all((currents <= 1e-6) | (currents >= CHARGER.min_current_a - 1e-6))
    assert (plan.problem.value, plan.integer_steps) == ("MILP", 3)
    assert plan.ev_energy_wh["ev"] == pytest.approx(1000.0, abs=1.0)


def test_milp_delivers_a_remainder_smaller_than_one_minimum_interval(
    make_inputs: Callable[..., PlanInputs],
) -> None:
    planner = Planner(PlannerConfig(chargers=(CHARGER,), steps=STEPS), integer=True)
    # 200 Wh left; one interval at 6 A three-phase gives 931.5 Wh.
    session = EvSession(0.0, STEPS * STEP_S, target_energy_wh=200.0)

    plan = planner.plan(0.0, make_inputs(STEPS, ev_sessions={"ev": session}))

    assert plan.missed == ()
    assert plan.ev_energy_wh["ev"] >= 200.0 - 1.0
