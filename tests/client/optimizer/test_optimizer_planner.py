"""The planner: built once with Parameters (DPP), problem kinds, inputs, prices."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from openderms.client.envelope import EnvelopeLimits, EnvelopeSegment, GridEnvelope
from openderms.client.optimizer import (
    BatterySpec,
    BatteryState,
    EvChargerSpec,
    ObjectiveWeights,
    PlanInputError,
    PlanInputs,
    Planner,
    PlannerConfig,
    ProblemKind,
    PvSpec,
    load_tariff_csv,
)
from openderms.client.optimizer.objective import grid_coefficients

STEPS = 8
STEP_S = 900.0
BATTERY = BatterySpec("bat", 10_000.0, 5000.0, 5000.0, degradation_cost_per_kwh=0.0)


def _config(**kwargs: object) -> PlannerConfig:
    fields: dict[str, object] = {
        "pv": (PvSpec("pv", 6000.0),),
        "batteries": (BATTERY,),
        "chargers": (EvChargerSpec("ev"),),
        "steps": STEPS,
    }
    fields.update(kwargs)
    return PlannerConfig(**fields)  # type: ignore[arg-type]  # test helper


def _inputs(make: Callable[..., PlanInputs], **kwargs: object) -> PlanInputs:
    fields: dict[str, object] = {
        "pv_forecast_w": {"pv": np.full(STEPS, 3000.0)},
        "batteries": {"bat": BatteryState(50.0)},
    }
    fields.update(kwargs)
    return make(STEPS, **fields)


@pytest.mark.parametrize("integer", [False, True])
def test_problem_is_dpp_so_replans_reuse_the_compiled_problem(integer: bool) -> None:
    planner = Planner(_config(), integer=integer)

    assert planner.problem().is_dcp(dpp=True)
    assert planner.problem() is planner.problem()


def test_replan_with_new_values_changes_the_plan(make_inputs: Callable[..., PlanInputs]) -> None:
    planner = Planner(_config(), integer=False)
    first = planner.plan(0.0, _inputs(make_inputs))
    problem = planner.problem()

    second = planner.plan(STEP_S, _inputs(make_inputs, pv_forecast_w={"pv": np.zeros(STEPS)}))

    assert planner.problem() is problem
    assert sum(first.pv_w["pv"]) > 0 and sum(second.pv_w["pv"]) == pytest.approx(0.0, abs=1e-6)
    assert second.start_s == STEP_S


def test_plan_says_which_problem_was_solved(make_inputs: Callable[..., PlanInputs]) -> None:
    planner = Planner(_config(), integer=True)

    milp = planner.plan(0.0, _inputs(make_inputs))
    lp = planner.plan(0.0, _inputs(make_inputs), integer=False)

    assert (milp.problem, lp.problem) == (ProblemKind.MILP, ProblemKind.LP)
    assert milp.solver == lp.solver == "HIGHS"
    assert milp.status == "optimal" and milp.solve_time_s is not None
    assert milp.fallback_reason is None


def test_every_plan_reports_its_optimality_gap(make_inputs: Callable[..., PlanInputs]) -> None:
    """The MILP's gap is HiGHS's, within the configured mip_rel_gap; an LP's optimum is 0."""
    planner = Planner(_config(), integer=True)

    milp = planner.plan(0.0, _inputs(make_inputs))
    lp = planner.plan(0.0, _inputs(make_inputs), integer=False)

    assert milp.optimality_gap is not None
    assert 0.0 <= milp.optimality_gap <= planner.config.mip_rel_gap
    assert lp.optimality_gap == 0.0
    # The LP relaxation bounds the MILP from below (minimisation): the gap is real.
    assert lp.objective <= milp.objective + 1e-6


def test_peak_term_makes_a_qp_solved_by_clarabel(make_inputs: Callable[..., PlanInputs]) -> None:
    config = _config(weights=ObjectiveWeights(peak_per_kw2_h=0.5))
    planner = Planner(config, integer=False)
    load = np.array([500.0, 500, 4000, 4000, 500, 500, 500, 500])

    plan = planner.plan(
        0.0, _inputs(make_inputs, load_forecast_w=load, pv_forecast_w={"pv": np.zeros(STEPS)})
    )

    assert (plan.problem, plan.solver) == (ProblemKind.QP, "CLARABEL")
    # The battery shaves the peak it sees.
    assert max(plan.grid_import_w) < 4000.0 - 100.0


def test_quadratic_milp_is_refused() -> None:
    with pytest.raises(PlanInputError, match="MIQP"):
        Planner(_config(weights=ObjectiveWeights(peak_per_kw2_h=1.0)), integer=True)


def test_inputs_of_wrong_length_are_refused(make_inputs: Callable[..., PlanInputs]) -> None:
    planner = Planner(_config(), integer=False)

    with pytest.raises(PlanInputError, match="load_forecast_w must have 8 values"):
        planner.plan(0.0, _inputs(make_inputs, load_forecast_w=np.zeros(3)))


def test_state_for_unknown_asset_is_refused(make_inputs: Callable[..., PlanInputs]) -> None:
    planner = Planner(_config(), integer=False)

    with pytest.raises(PlanInputError, match="unknown assets"):
        planner.plan(
            0.0, _inputs(make_inputs, batteries={"bat": BatteryState(5), "x": BatteryState(5)})
        )


def test_envelope_from_grid_envelope_is_sampled_per_interval(
    make_inputs: Callable[..., PlanInputs],
) -> None:
    planner = Planner(_config(), integer=False)
    # An export limit of 0 that covers only part of interval 2 holds for all of it.
    envelope = GridEnvelope.from_segments(
        [EnvelopeSegment(2.5 * STEP_S, 3 * STEP_S, EnvelopeLimits(export_limit_w=0.0))]
    )
    high_export = np.full(STEPS, 0.25)

    plan = planner.plan(
        0.0, _inputs(make_inputs, envelope=envelope, export_price_per_kwh=high_export)
    )

    assert plan.grid_export_w[2] == pytest.approx(0.0, abs=1e-3)
    assert plan.grid_export_w[1] > 1000.0


def test_price_signal_in_envelope_overrides_tariff(make_inputs: Callable[..., PlanInputs]) -> None:
    planner = Planner(_config(batteries=(), chargers=()), integer=False)
    limits = [EnvelopeLimits()] * STEPS
    limits[0] = EnvelopeLimits(import_price_per_kwh=1.0)

    plan = planner.plan(
        0.0, make_inputs(STEPS, envelope=limits, pv_forecast_w={"pv": np.zeros(STEPS)})
    )

    # 500 W for a quarter hour at 1.0, seven more at the tariff's 0.30.
    assert plan.energy_cost == pytest.approx(0.125 * 1.0 + 7 * 0.125 * 0.30)


def test_fixed_power_is_held_and_reported_when_impossible(
    make_inputs: Callable[..., PlanInputs],
) -> None:
    planner = Planner(_config(batteries=(), chargers=()), integer=False)
    limits = [EnvelopeLimits(target_w=2000.0)] * STEPS
    pv = np.array([3000.0] * 4 + [1000.0] * 4)

    plan = planner.plan(0.0, make_inputs(STEPS, envelope=limits, pv_forecast_w={"pv": pv}))

    assert np.allclose(plan.pv_w["pv"][:4], 2000.0, atol=1e-3)
    (missed,) = plan.missed
    assert (missed.target, missed.first_interval) == ("fixed_power", 4)
    assert missed.shortfall == pytest.approx(4 * 1000.0 * 0.25, rel=1e-4)


def test_export_price_above_import_cannot_be_earned_twice() -> None:
    coefficients = grid_coefficients(
        ObjectiveWeights(), 3600.0, np.array([0.10]), np.array([0.30])
    )

    # Importing and exporting 1 W together must not earn anything.
    assert coefficients.import_per_w[0] + coefficients.export_per_w[0] >= 0.0


def test_self_consumption_and_co2_weights_add_up() -> None:
    weights = ObjectiveWeights(cost=0.0, self_consumption_per_kwh=0.2, co2_per_kg=0.1)

    coefficients = grid_coefficients(
        weights, 3600.0, np.array([0.3]), np.array([0.1]), np.array([400.0])
    )

    assert coefficients.import_per_w[0] == pytest.approx(0.1 * 0.4 / 1000)
    assert coefficients.export_per_w[0] == pytest.approx(0.2 / 1000)


def test_tariff_file_gives_time_weighted_interval_prices(tmp_path: Path) -> None:
    path = tmp_path / "tariff.csv"
    path.write_text(
        "start,import_price_per_kwh,export_price_per_kwh\n"
        "0,0.20,0.05\n"
        "1970-01-01T00:22:30+00:00,0.40,0.05\n"
    )

    imp, exp = load_tariff_csv(path).prices_over(0.0, STEP_S, 3)

    assert imp.tolist() == pytest.approx([0.20, 0.30, 0.40])
    assert exp.tolist() == pytest.approx([0.05, 0.05, 0.05])


def test_tariff_time_without_offset_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tariff.csv"
    path.write_text("start,import_price_per_kwh,export_price_per_kwh\n2026-01-01T00:00,1,1\n")

    with pytest.raises(PlanInputError, match="UTC offset"):
        load_tariff_csv(path)
