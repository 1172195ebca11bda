"""Dynamic tariffs: prices per interval from a tariff file or from the envelope's signals.

A tariff file is CSV with a header ``start,import_price_per_kwh,export_price_per_kwh``;
``start`` is seconds since the epoch or an ISO 8601 time with offset. Each row holds until
the next; the last row holds until the end of time.
"""

from __future__ import annotations

import bisect
import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from openderms.client.envelope import EnvelopeLimits
from openderms.client.optimizer.errors import PlanInputError

__all__ = ["Tariff", "TariffRate", "load_tariff_csv", "prices_with_signals"]

_Array = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class TariffRate:
    """Prices from ``start_s`` until the next rate."""

    start_s: float
    import_price_per_kwh: float
    export_price_per_kwh: float


@dataclass(frozen=True, slots=True)
class Tariff:
    """A step function of prices over time, rates sorted by start."""

    rates: tuple[TariffRate, ...]

    def __post_init__(self) -> None:
        if not self.rates:
            raise PlanInputError("a tariff needs at least one rate")
        object.__setattr__(self, "rates", tuple(sorted(self.rates, key=lambda r: r.start_s)))

    def prices_over(self, start_s: float, step_s: float, steps: int) -> tuple[_Array, _Array]:
        """Time-weighted mean import and export price per interval [currency/kWh].

        Before the first rate, the first rate applies.
        """
        starts = [r.start_s for r in self.rates]
        imp = np.empty(steps)
        exp = np.empty(steps)
        for index in range(steps):
            lo = start_s + index * step_s
            hi = lo + step_s
            first = max(bisect.bisect_right(starts, lo) - 1, 0)
            last = max(bisect.bisect_left(starts, hi) - 1, 0)
            weights = []
            for k in range(first, last + 1):
                seg_lo = lo if k == first else starts[k]
                seg_hi = hi if k == last else starts[k + 1]
                weights.append((seg_hi - seg_lo, self.rates[k]))
            span = sum(w for w, _ in weights)
            imp[index] = sum(w * r.import_price_per_kwh for w, r in weights) / span
            exp[index] = sum(w * r.export_price_per_kwh for w, r in weights) / span
        return imp, exp


def _parse_time(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise PlanInputError(f"tariff time {text!r} needs a UTC offset") from None
        return moment.timestamp()


def load_tariff_csv(path: Path) -> Tariff:
    """Read a tariff file (see the module docstring).

    Raises
    ------
    PlanInputError
        A missing column, a time without offset, or a value that is not a number.
    """
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rates = []
        try:
            for row in reader:
                rates.append(
                    TariffRate(
                        _parse_time(row["start"]),
                        float(row["import_price_per_kwh"]),
                        float(row["export_price_per_kwh"]),
                    )
                )
        except (KeyError, ValueError, TypeError) as error:
            raise PlanInputError(f"{path}: bad tariff row {reader.line_num}: {error}") from error
    return Tariff(tuple(rates))


def prices_with_signals(
    limits: Sequence[EnvelopeLimits], import_price_per_kwh: _Array, export_price_per_kwh: _Array
) -> tuple[_Array, _Array]:
    """Tariff prices, overridden in each interval where the envelope carries a price signal
    (2030.5 pricing, OpenADR PRICE / EXPORT_PRICE) [currency/kWh]."""
    imp = np.array(import_price_per_kwh, dtype=float)
    exp = np.array(export_price_per_kwh, dtype=float)
    for index, item in enumerate(limits):
        if item.import_price_per_kwh is not None:
            imp[index] = item.import_price_per_kwh
        if item.export_price_per_kwh is not None:
            exp[index] = item.export_price_per_kwh
    return imp, exp
