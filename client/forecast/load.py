"""Load forecasts from recorded history: seasonal naive and seasonal exponential smoothing,
the one with the lower backtest error chosen.

History is a regular series of average load per interval [W] ending at ``history_end_s``.
Candidates:

- ``seasonal_naive_day``: each interval repeats the same interval one day before.
- ``seasonal_naive_week``: the same interval one week before (needs a week of history).
- ``smoothing``: for each interval of the day, an exponentially weighted mean over the past
  days (simple exponential smoothing per time slot), so one odd day moves it only by
  ``alpha``.

The backtest is rolling-origin: the forecast is made from each of the last
``backtest_days`` day boundaries using only the history before it, and scored against the
day that followed [1].

References
----------
.. [1] R. J. Hyndman, G. Athanasopoulos, "Forecasting: principles and practice", 3rd ed.,
   OTexts, 2021, sections 5.2 (simple methods), 5.10 (time series cross-validation),
   8.1 (simple exponential smoothing).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from openderms.client.forecast.errors import ForecastInputError
from openderms.client.forecast.result import (
    Forecast,
    mean_absolute_error,
    root_mean_square_error,
)

__all__ = [
    "LOAD_METHODS",
    "forecast_load",
    "seasonal_naive",
    "seasonal_smoothing",
]

_Array = npt.NDArray[np.float64]
DAY_S = 86_400.0


def _season_steps(season_s: float, step_s: float) -> int:
    steps = season_s / step_s
    if abs(steps - round(steps)) > 1e-9 or steps < 1:
        raise ForecastInputError(f"step_s {step_s} must divide the season {season_s} s")
    return round(steps)


def seasonal_naive(history_w: _Array, steps: int, season_steps: int) -> _Array:
    """Repeat the last season of history for ``steps`` intervals [W].

    Parameters
    ----------
    history_w : ndarray of float
        Load per interval, oldest first [W]; at least one season long.
    steps : int
        Intervals to forecast.
    season_steps : int
        Intervals per season (96 for a day of 15-minute intervals).
    """
    if history_w.size < season_steps:
        raise ForecastInputError("history is shorter than one season")
    last = history_w[-season_steps:]
    return np.resize(last, steps).astype(float)


def seasonal_smoothing(
    history_w: _Array, steps: int, season_steps: int, alpha: float = 0.3
) -> _Array:
    """Per-slot exponential smoothing over past seasons, repeated forward [W].

    Parameters
    ----------
    history_w : ndarray of float
        Load per interval, oldest first [W]; at least one season long.
    steps : int
        Intervals to forecast.
    season_steps : int
        Intervals per season.
    alpha : float
        Weight of the newest season, in (0, 1] [unitless].
    """
    seasons = history_w.size // season_steps
    if seasons < 1:
        raise ForecastInputError("history is shorter than one season")
    # Whole seasons only, aligned so the last one ends where history ends.
    table = history_w[history_w.size - seasons * season_steps :].reshape(seasons, season_steps)
    level = table[0].astype(float)
    for row in table[1:]:
        level = alpha * row + (1.0 - alpha) * level
    return np.resize(level, steps).astype(float)


def _day_naive(history: _Array, steps: int, day: int) -> _Array:
    return seasonal_naive(history, steps, day)


def _week_naive(history: _Array, steps: int, day: int) -> _Array:
    return seasonal_naive(history, steps, 7 * day)


def _smoothing(history: _Array, steps: int, day: int) -> _Array:
    return seasonal_smoothing(history, steps, day)


LOAD_METHODS: dict[str, tuple[Callable[[_Array, int, int], _Array], int]] = {
    "seasonal_naive_day": (_day_naive, 1),
    "seasonal_naive_week": (_week_naive, 7),
    "smoothing": (_smoothing, 2),
}
"""Each method and the days of history it needs before it can forecast."""


def forecast_load(
    history_w: Sequence[float] | _Array,
    history_end_s: float,
    step_s: float,
    steps: int,
    backtest_days: int = 3,
) -> Forecast:
    """Forecast load from ``history_end_s`` with the method that backtests best.

    Parameters
    ----------
    history_w : sequence of float
        Load per interval, oldest first, the last interval ending at ``history_end_s`` [W].
    history_end_s : float
        End of the history and start of the forecast [s since epoch].
    step_s : float
        Interval length of history and forecast [s]; must divide a day.
    steps : int
        Intervals to forecast.
    backtest_days : int
        Day boundaries to backtest from; fewer are used when history is short.

    Returns
    -------
    Forecast
        With the chosen method, its backtest MAE and RMSE and every candidate's MAE.

    Raises
    ------
    ForecastInputError
        Less than one day of history, or a step that does not divide a day.
    """
    history = np.asarray(history_w, dtype=float)
    day = _season_steps(DAY_S, step_s)
    if history.size < day:
        raise ForecastInputError("load history must cover at least one day")
    if not np.all(np.isfinite(history)):
        raise ForecastInputError("load history must be finite")
    scores: dict[str, tuple[float, float]] = {}
    for name, (method, days_needed) in LOAD_METHODS.items():
        errors_abs: list[float] = []
        errors_sq: list[float] = []
        for back in range(1, backtest_days + 1):
            cut = history.size - back * day
            if cut < days_needed * day:
                break
            predicted = method(history[:cut], day, day)
            actual = history[cut : cut + day]
            errors_abs.append(mean_absolute_error(predicted, actual))
            errors_sq.append(root_mean_square_error(predicted, actual) ** 2)
        if errors_abs:
            scores[name] = (float(np.mean(errors_abs)), float(np.sqrt(np.mean(errors_sq))))
    mae: float | None = None
    rmse: float | None = None
    # With too little history to hold a day out: the simplest method, error unknown.
    chosen = "seasonal_naive_day"
    if scores:
        chosen = min(scores, key=lambda name: scores[name][0])
        mae, rmse = scores[chosen]
    values = LOAD_METHODS[chosen][0](history, steps, day)
    return Forecast(
        start_s=history_end_s,
        step_s=step_s,
        values_w=tuple(float(v) for v in np.maximum(values, 0.0)),
        method=chosen,
        backtest_mae_w=mae,
        backtest_rmse_w=rmse,
        candidates_mae_w={name: score[0] for name, score in scores.items()},
    )
