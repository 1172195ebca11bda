"""Load forecasts: methods chosen by backtest error, and the error reported."""

from __future__ import annotations

import numpy as np
import pytest

from openderms.client.forecast import ForecastInputError, forecast_load
from openderms.client.forecast.load import seasonal_naive, seasonal_smoothing

STEP_S = 3600.0  # hourly keeps the series short
DAY = 24


def _daily_shape() -> np.ndarray:
    return 300.0 + 200.0 * np.sin(np.linspace(0, 2 * np.pi, DAY, endpoint=False))


def test_seasonal_naive_repeats_the_last_season() -> None:
    history = np.arange(10.0)

    assert seasonal_naive(history, 5, season_steps=4).tolist() == [6.0, 7.0, 8.0, 9.0, 6.0]


def test_smoothing_weights_recent_seasons_by_alpha() -> None:
    history = np.array([0.0, 0.0, 10.0, 10.0])

    smoothed = seasonal_smoothing(history, 2, season_steps=2, alpha=0.3)

    assert smoothed.tolist() == pytest.approx([3.0, 3.0])


def test_repeating_day_is_forecast_exactly_with_zero_backtest_error() -> None:
    history = np.tile(_daily_shape(), 5)

    forecast = forecast_load(history, 5 * 86_400.0, STEP_S, DAY)

    assert forecast.values_w == pytest.approx(tuple(_daily_shape()))
    assert forecast.backtest_mae_w == pytest.approx(0.0)
    assert forecast.start_s == 5 * 86_400.0


def test_weekly_pattern_chooses_the_weekly_method() -> None:
    week = np.concatenate([np.tile(_daily_shape(), 5), np.tile(_daily_shape() * 2, 2)])
    history = np.tile(week, 3)

    forecast = forecast_load(history, 0.0, STEP_S, DAY, backtest_days=7)

    assert forecast.method == "seasonal_naive_week"
    assert forecast.backtest_mae_w == pytest.approx(0.0)
    assert forecast.candidates_mae_w["seasonal_naive_day"] > 10.0


def test_noisy_days_choose_smoothing_and_report_its_error() -> None:
    rng = np.random.default_rng(7)
    history = np.tile(_daily_shape(), 14) + rng.normal(0.0, 80.0, 14 * DAY)

    forecast = forecast_load(history, 0.0, STEP_S, DAY, backtest_days=5)

    assert forecast.method == "smoothing"
    mae = forecast.backtest_mae_w
    assert mae is not None and mae < forecast.candidates_mae_w["seasonal_naive_day"]
    # Independently: the naive day-ahead error of white noise is about sqrt(2) sigma
    # times sqrt(2/pi); smoothing must beat it.
    assert forecast.candidates_mae_w["seasonal_naive_day"] == pytest.approx(
        80.0 * np.sqrt(2) * np.sqrt(2 / np.pi), rel=0.2
    )


def test_one_day_of_history_forecasts_but_reports_no_backtest() -> None:
    forecast = forecast_load(_daily_shape(), 0.0, STEP_S, DAY)

    assert forecast.method == "seasonal_naive_day"
    assert forecast.backtest_mae_w is None


def test_short_history_is_refused() -> None:
    with pytest.raises(ForecastInputError, match="at least one day"):
        forecast_load(np.ones(10), 0.0, STEP_S, DAY)


def test_step_that_does_not_divide_a_day_is_refused() -> None:
    with pytest.raises(ForecastInputError, match="must divide"):
        forecast_load(np.ones(1000), 0.0, 7 * 60.0, DAY)
