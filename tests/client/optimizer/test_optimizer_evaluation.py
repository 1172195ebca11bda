"""The evaluation on package data: strategies run, honour the envelope, meet EV targets,
and perfect foresight bounds what the optimizer can do."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from openderms.client.optimizer.evaluation import (
    EvaluationSite,
    StrategyResult,
    format_table,
    run_no_control,
    run_optimizer_forecasts,
    run_optimizer_perfect,
    run_rule_based,
)
from openderms.client.optimizer.evaluation_data import EvaluationData, load_evaluation_data

pytest.importorskip("demandlib")


@pytest.fixture(scope="module")
def data() -> EvaluationData:
    # Two days (Monday and Tuesday, with the Tuesday reduced-export afternoon) and the
    # history forecasts need.
    return load_evaluation_data(
        datetime(2023, 4, 10, 5, 0, tzinfo=UTC), history_days=8, week_days=2, lookahead_days=1
    )


def _objective(result: StrategyResult, site: EvaluationSite) -> float:
    """What the optimizer minimizes: net cost plus battery wear."""
    return result.net_cost + site.battery.degradation_cost_per_kwh * result.battery_throughput_kwh


def test_package_data_is_real_and_aligned(data: EvaluationData) -> None:
    steps = data.history_steps + data.week_steps + 96
    assert data.pv_w.shape == data.load_w.shape == data.import_price_per_kwh.shape == (steps,)
    # Local midnight at the site has no sun; April noon in North Carolina does.
    assert data.pv_w[data.history_steps] == 0.0
    assert data.pv_w[data.history_steps + 48] > 1000.0
    assert 5.0 < data.load_w[data.history_steps :].mean() / 100 < 30.0


def test_every_strategy_honours_envelope_and_targets(data: EvaluationData) -> None:
    site = EvaluationSite.default()

    results = [
        run_no_control(data, site),
        run_rule_based(data, site),
        run_optimizer_forecasts(data, site, horizon_steps=48, replan_every=4),
        run_optimizer_perfect(data, site),
    ]

    for result in results:
        assert result.envelope_excess_wh == pytest.approx(0.0, abs=1e-6), result.name
        assert result.ev_shortfall_kwh == pytest.approx(0.0, abs=1e-3), result.name
    bound = _objective(results[3], site)
    # Perfect foresight is at least as good as anything that respects the same physics
    # and battery reserve: no control and the forecast-driven optimizer.
    assert bound <= _objective(results[0], site) + 1e-6
    assert bound <= _objective(results[2], site) + 1e-6
    assert results[2].planner_solves == 2 * 96 // 4
    table = format_table(results, data)
    assert "(d) optimizer, perfect foresight" in table and "self-cons" in table
