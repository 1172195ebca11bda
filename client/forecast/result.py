"""What every forecast returns: values per interval and the error it showed in backtest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = ["Forecast", "mean_absolute_error", "root_mean_square_error"]


@dataclass(frozen=True, slots=True)
class Forecast:
    """Average power per interval from ``start_s`` [W]."""

    start_s: float
    """Start of the first interval [s since epoch]."""
    step_s: float
    """Interval length [s]."""
    values_w: tuple[float, ...]
    method: str
    """The model that produced the values."""
    backtest_mae_w: float | None
    """Mean absolute error of this method over held-out history [W]; None when the
    history was too short to hold any out."""
    backtest_rmse_w: float | None
    """Root mean square error over the same held-out history [W]."""
    candidates_mae_w: Mapping[str, float] = field(default_factory=dict)
    """Backtest MAE of every method tried, when the method was chosen by backtest [W]."""

    def as_array(self) -> npt.NDArray[np.float64]:
        """The values as a numpy array [W]."""
        return np.asarray(self.values_w, dtype=float)


def mean_absolute_error(
    forecast: Sequence[float] | npt.NDArray[np.float64],
    actual: Sequence[float] | npt.NDArray[np.float64],
) -> float:
    """Mean absolute error [same unit as the inputs]."""
    return float(np.mean(np.abs(np.asarray(forecast, float) - np.asarray(actual, float))))


def root_mean_square_error(
    forecast: Sequence[float] | npt.NDArray[np.float64],
    actual: Sequence[float] | npt.NDArray[np.float64],
) -> float:
    """Root mean square error [same unit as the inputs]."""
    error = np.asarray(forecast, float) - np.asarray(actual, float)
    return float(np.sqrt(np.mean(error**2)))
