"""Battery: arbitrage, SoC bounds, no simultaneous charge and discharge in the MILP."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from openderms.client.envelope import EnvelopeLimits
from openderms.client.optimizer import (
    BatterySpec,
    BatteryState,
    PlanInputs,
    Planner,
    PlannerConfig,
)

STEPS = 8
BATTERY = BatterySpec(
    "bat",
    10_000.0,
    5000.0,
    5000.0,
    soc_min_pct=10.0,
    reserve_pct=10.0,
    degradation_cost_per_kwh=0.0,
)
CHEAP_THEN_DEAR = np.array([0.05] * 4 + [0.60] * 4)


def _planner(integer: bool = False, spec: BatterySpec = BATTERY) -> Planner:
    return Planner(PlannerConfig(batteries=(spec,), steps=STEPS), integer=integer)


def test_battery_charges_cheap_and_discharges_dear(make_inputs: Callable[..., PlanInputs]) -> None:
    # Empty (at its floor) at the start, with no value for energy left at the end.
    inputs = make_inputs(
        STEPS, import_price_per_kwh=CHEAP_THEN_DEAR, batteries={"bat": BatteryState(10.0)}
    )

    plan = _planner().plan(0.0, inputs)

    charge = np.array(plan.battery_charge_w["bat"])
    discharge = np.array(plan.battery_discharge_w["bat"])
    assert charge[:4].sum() > 0 and discharge[:4].sum() == pytest.approx(0.0, abs=1e-3)
    # Discharge serves the 500 W load in the dear hours, never exports at 0.05.
    assert np.allclose(discharge[4:], 500.0, atol=1e-3)
    # It buys exactly what the dear hours need, through both efficiencies.
    needed_wh = 4 * 500.0 * 0.25 / BATTERY.discharge_efficiency / BATTERY.charge_efficiency
    assert charge.sum() * 0.25 == pytest.approx(needed_wh, rel=1e-4)


def test_soc_stays_within_its_hard_bounds(make_inputs: Callable[..., PlanInputs]) -> None:
    inputs = make_inputs(
        STEPS,
        import_price_per_kwh=CHEAP_THEN_DEAR,
        export_price_per_kwh=CHEAP_THEN_DEAR,
        batteries={"bat": BatteryState(50.0)},
    )

    plan = _planner().plan(0.0, inputs)

    soc = np.array(plan.battery_soc_pct["bat"])
    assert soc.min() >= BATTERY.soc_min_pct - 1e-6 and soc.max() <= 100.0 + 1e-6
    assert soc[0] == pytest.approx(50.0)


def test_milp_never_charges_and_discharges_at_once(make_inputs: Callable[..., PlanInputs]) -> None:
    # Negative prices make dumping energy through round-trip losses pay: the LP does it.
    inputs = make_inputs(
        STEPS,
        import_price_per_kwh=np.full(STEPS, -0.5),
        export_price_per_kwh=np.full(STEPS, -0.5),
        batteries={"bat": BatteryState(50.0)},
    )

    lp = _planner(False).plan(0.0, inputs)
    milp = _planner(True).plan(0.0, inputs)

    both = np.minimum(milp.battery_charge_w["bat"], milp.battery_discharge_w["bat"])
    assert np.all(both <= 1e-6)
    lp_both = np.minimum(lp.battery_charge_w["bat"], lp.battery_discharge_w["bat"])
    assert lp_both.max() > 1.0, "the scenario must tempt the relaxation"


def test_start_below_reserve_reports_reserve_shortfall(
    make_inputs: Callable[..., PlanInputs],
) -> None:
    spec = BatterySpec("bat", 10_000.0, 5000.0, 5000.0, soc_min_pct=0.0, reserve_pct=30.0)
    # The envelope disconnects DER for the whole horizon, so the battery cannot recharge.
    inputs = make_inputs(
        STEPS,
        envelope=[EnvelopeLimits(connect=False)] * STEPS,
        batteries={"bat": BatteryState(10.0)},
    )

    plan = _planner(spec=spec).plan(0.0, inputs)

    (missed,) = plan.missed
    assert (missed.target, missed.first_interval) == ("battery_reserve", 0)
    assert missed.shortfall == pytest.approx(2000.0, abs=1.0)
