"""Heat pump: comfort band, COP, minimum run time, honest reporting of a cold snap."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from openderms.client.optimizer import (
    HeatPumpSpec,
    HeatPumpState,
    PlanInputs,
    Planner,
    PlannerConfig,
)
from openderms.client.optimizer.heat_pump import cop_carnot

STEPS = 8
STEP_S = 900.0
HEAT_PUMP = HeatPumpSpec(
    "hp",
    max_w=3000.0,
    min_w=1000.0,
    thermal_resistance_k_per_w=0.005,
    thermal_capacity_wh_per_k=3000.0,
    comfort_min_c=20.0,
    comfort_max_c=22.0,
    min_run_s=3600.0,
)


def _inputs(make: Callable[..., PlanInputs], outdoor_c: float, state: HeatPumpState) -> PlanInputs:
    return make(STEPS, outdoor_temp_c=np.full(STEPS, outdoor_c), heat_pumps={"hp": state})


def test_cop_follows_carnot_fraction() -> None:
    cop = cop_carnot(np.array([0.0, 34.5, -250.0]), supply_temp_c=35.0, carnot_efficiency=0.5)

    assert cop[0] == pytest.approx(0.5 * 308.15 / 35.0)
    assert cop[1] == 7.0  # tiny lift: clipped, not unbounded
    assert cop[2] == 1.0  # absurd lift: never worse than a resistive heater


@pytest.mark.parametrize("integer", [False, True])
def test_indoor_temperature_stays_in_comfort_band(
    integer: bool, make_inputs: Callable[..., PlanInputs]
) -> None:
    planner = Planner(PlannerConfig(heat_pumps=(HEAT_PUMP,), steps=STEPS), integer=integer)

    plan = planner.plan(0.0, _inputs(make_inputs, 0.0, HeatPumpState(20.5)))

    temps = np.array(plan.indoor_temp_c["hp"][1:])
    assert temps.min() >= 20.0 - 1e-4 and temps.max() <= 22.0 + 1e-4
    assert plan.missed == ()


def test_milp_keeps_minimum_run_time_after_a_start(make_inputs: Callable[..., PlanInputs]) -> None:
    planner = Planner(PlannerConfig(heat_pumps=(HEAT_PUMP,), steps=STEPS), integer=True)

    plan = planner.plan(0.0, _inputs(make_inputs, 0.0, HeatPumpState(20.5)))

    running = np.array(plan.heat_pump_w["hp"]) > 1.0
    starts = [k for k in range(STEPS) if running[k] and (k == 0 or not running[k - 1])]
    assert starts, "the scenario must start the heat pump"
    for k in starts:
        assert running[k : min(k + 4, STEPS)].all(), f"start at {k} ran less than an hour"


def test_milp_continues_a_run_begun_before_the_plan(
    make_inputs: Callable[..., PlanInputs],
) -> None:
    planner = Planner(PlannerConfig(heat_pumps=(HEAT_PUMP,), steps=STEPS), integer=True)
    # Warm house, mild weather: nothing to do, but it started 15 minutes ago.
    state = HeatPumpState(21.5, is_on=True, on_since_s=-STEP_S)

    plan = planner.plan(0.0, _inputs(make_inputs, 15.0, state))

    power = np.array(plan.heat_pump_w["hp"])
    assert np.all(power[:3] >= HEAT_PUMP.min_w - 1e-6)


def test_cold_snap_beyond_capacity_reports_discomfort(
    make_inputs: Callable[..., PlanInputs],
) -> None:
    planner = Planner(PlannerConfig(heat_pumps=(HEAT_PUMP,), steps=STEPS), integer=False)

    plan = planner.plan(0.0, _inputs(make_inputs, -40.0, HeatPumpState(20.0)))

    (missed,) = plan.missed
    assert (missed.asset_id, missed.target, missed.unit) == ("hp", "comfort", "K h")
    assert missed.shortfall > 0.1
    assert np.allclose(plan.heat_pump_w["hp"], HEAT_PUMP.max_w, rtol=1e-5)
