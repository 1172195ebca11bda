"""Share the site's import headroom across EV chargers, every few seconds, without a solver.

Pure code: readings and limits in, per-charger currents out. The runtime calls
:func:`allocate` on every meter reading and writes the result to the chargers; the
optimizer's plan arrives as each charger's ``target_current_a``.

Rules, in order:

1. Safety. After allocation, every phase's current at the connection point stays within
   ``phase_limit_a - margin_a``, total import within ``import_limit_w``, and the spread
   between phases within ``max_unbalance_a`` (or the spread the other loads already cause,
   if that is larger). Loads other than the chargers are what the meter shows minus what
   the chargers draw now; if they alone break a limit, every charger gets 0 A.
2. Minimum current (IEC 61851-1: a charger draws at least 6 A or nothing). A charger is
   given its minimum or nothing; chargers are admitted by priority (lower value first),
   then those already charging (no flapping), then by id.
3. Priority, then fairness. Priority groups are filled in order; inside a group, currents
   rise together (max-min fair) until each reaches its cap or a limit binds.
4. The plan. A charger never gets more than its ``target_current_a`` (and its maximum).

Conventions: phase currents are signed, positive imports [A]; phases are numbered 0, 1, 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openderms.client.dlm.errors import DlmInputError

__all__ = ["Allocation", "ChargerReading", "DlmLimits", "allocate"]

_Array = npt.NDArray[np.float64]
# Limits are checked this far inside the line, so rounding in a caller's re-summation of
# the same numbers cannot show a breach [A].
_GUARD_A = 1e-9
_BISECTION_STEPS = 48


@dataclass(frozen=True, slots=True)
class ChargerReading:
    """One charger as the DLM sees it in this cycle."""

    charger_id: str
    phases: tuple[int, ...] = (0, 1, 2)
    """Site phases the charger draws from; a single-phase charger names one."""
    min_current_a: float = 6.0
    max_current_a: float = 16.0
    measured_current_a: float = 0.0
    """Current it draws now, per phase it uses [A]."""
    wants_energy: bool = True
    """A car is plugged in and accepts charge."""
    priority: int = 0
    """Lower is served first."""
    target_current_a: float | None = None
    """The optimizer's target for this interval [A]; None leaves only the maximum."""
    charging: bool = False
    """It was given current last cycle; it keeps its place among equals."""

    def __post_init__(self) -> None:
        if not self.phases or any(p not in (0, 1, 2) for p in self.phases):
            raise DlmInputError(f"charger {self.charger_id}: phases must be among 0, 1, 2")
        if len(set(self.phases)) != len(self.phases):
            raise DlmInputError(f"charger {self.charger_id}: a phase is named twice")
        if not 0 <= self.min_current_a <= self.max_current_a:
            raise DlmInputError(f"charger {self.charger_id}: need 0 <= min <= max current")


@dataclass(frozen=True, slots=True)
class DlmLimits:
    """What the connection point may carry."""

    phase_limit_a: float
    """Per-phase limit (fuse or contract) [A]."""
    import_limit_w: float | None = None
    """Total import limit, e.g. the envelope's opModImpLimW [W]; None is no limit."""
    voltage_v: float = 230.0
    """Phase-to-neutral voltage, to turn currents into power [V]."""
    margin_a: float = 0.0
    """Kept free on every phase for loads that switch on between cycles [A]."""
    max_unbalance_a: float | None = None
    """Largest allowed spread between the phase currents [A]; None is no rule."""

    def __post_init__(self) -> None:
        if self.phase_limit_a < 0 or self.margin_a < 0 or self.voltage_v <= 0:
            raise DlmInputError("phase limit and margin must be >= 0, voltage > 0")


@dataclass(frozen=True, slots=True)
class Allocation:
    """The currents to write, and what the site will draw with them."""

    current_a: dict[str, float]
    """Per-phase current offered to each charger [A]; 0 means pause."""
    phase_current_a: tuple[float, float, float]
    """Expected current per phase at the connection point afterwards [A]."""
    base_overloaded: bool
    """True when the loads other than chargers already break a limit."""


class _Site:
    """Incremental feasibility for a set of phase totals."""

    def __init__(self, base_a: _Array, limits: DlmLimits) -> None:
        self.limit_a = limits.phase_limit_a - limits.margin_a - _GUARD_A
        self.limit_sum_a = (
            np.inf
            if limits.import_limit_w is None
            else limits.import_limit_w / limits.voltage_v - _GUARD_A
        )
        base_spread = float(base_a.max() - base_a.min())
        self.spread_a = (
            np.inf
            if limits.max_unbalance_a is None
            else max(limits.max_unbalance_a, base_spread) + _GUARD_A
        )

    def ok(self, totals_a: _Array) -> bool:
        """Whether phase totals shaped (3,) are within every limit."""
        return bool(
            totals_a.max() <= self.limit_a
            and totals_a.sum() <= self.limit_sum_a
            and totals_a.max() - totals_a.min() <= self.spread_a
        )


def allocate(
    chargers: Sequence[ChargerReading],
    meter_phase_current_a: Sequence[float],
    limits: DlmLimits,
) -> Allocation:
    """Currents for every charger that keep the site inside its limits.

    Parameters
    ----------
    chargers : sequence of ChargerReading
    meter_phase_current_a : sequence of 3 floats
        Current per phase at the connection point now, positive imports [A].
    limits : DlmLimits

    Returns
    -------
    Allocation

    Raises
    ------
    DlmInputError
        Not three phase currents, a reading that is not finite, or a duplicate id.
    """
    meter_a = np.asarray(meter_phase_current_a, dtype=float)
    if meter_a.shape != (3,) or not np.all(np.isfinite(meter_a)):
        raise DlmInputError("meter_phase_current_a must be three finite currents")
    ids = [c.charger_id for c in chargers]
    if len(set(ids)) != len(ids):
        raise DlmInputError("charger ids must be unique")
    count = len(chargers)
    uses = np.zeros((3, count))
    for index, charger in enumerate(chargers):
        uses[list(charger.phases), index] = 1.0
    measured = np.array([max(c.measured_current_a, 0.0) for c in chargers], dtype=float)
    if not np.all(np.isfinite(measured)):
        raise DlmInputError("charger currents must be finite")
    base_a = meter_a - uses @ measured
    site = _Site(base_a, limits)
    current = np.zeros(count)
    if not site.ok(base_a):
        return Allocation(dict.fromkeys(ids, 0.0), _triple(base_a), base_overloaded=True)

    minimum = np.array([c.min_current_a for c in chargers], dtype=float)
    cap = np.array(
        [
            min(
                c.max_current_a,
                c.max_current_a if c.target_current_a is None else c.target_current_a,
            )
            for c in chargers
        ],
        dtype=float,
    )
    wants = np.array([c.wants_energy for c in chargers], dtype=bool)
    eligible = wants & (cap >= minimum) & (cap > 0)
    order = sorted(
        (i for i in range(count) if eligible[i]),
        key=lambda i: (chargers[i].priority, not chargers[i].charging, chargers[i].charger_id),
    )

    # Rule 2: admit at minimum current, in order, while the limits allow.
    totals = base_a.copy()
    admitted = np.zeros(count, dtype=bool)
    for index in order:
        trial = totals + uses[:, index] * minimum[index]
        if site.ok(trial):
            totals = trial
            admitted[index] = True
            current[index] = minimum[index]

    # Rule 3: fill priority groups in order, each max-min fair.
    priorities = sorted({chargers[i].priority for i in order})
    for priority in priorities:
        group = np.array(
            [i for i in order if admitted[i] and chargers[i].priority == priority], dtype=int
        )
        if group.size == 0:
            continue
        current = _fill(group, current, minimum, cap, uses, base_a, site)

    totals = base_a + uses @ current
    return Allocation(
        {charger_id: float(a) for charger_id, a in zip(ids, current, strict=True)},
        _triple(totals),
        base_overloaded=False,
    )


def _fill(
    group: npt.NDArray[np.int_],
    current: _Array,
    minimum: _Array,
    cap: _Array,
    uses: _Array,
    base_a: _Array,
    site: _Site,
) -> _Array:
    """Progressive filling: raise the group's currents to a common level, clipped to
    [minimum, cap], until a limit binds; freeze the chargers that limit holds back, and go
    on with the rest. Each round freezes at least one charger, so it ends."""
    result = current.copy()
    active = group.copy()
    level = 0.0
    while active.size:
        frozen = result.copy()
        frozen[active] = 0.0
        fixed_a = base_a + uses @ frozen
        active_uses = uses[:, active]
        active_min = minimum[active]
        active_cap = cap[active]

        def totals_at(
            value: float,
            fixed_a: _Array = fixed_a,
            active_uses: _Array = active_uses,
            active_min: _Array = active_min,
            active_cap: _Array = active_cap,
        ) -> _Array:
            totals: _Array = fixed_a + active_uses @ np.clip(value, active_min, active_cap)
            return totals

        low, high = level, float(active_cap.max())
        if site.ok(totals_at(high)):
            low = high
        else:
            # The low end is feasible: it is where the last round stopped.
            for _ in range(_BISECTION_STEPS):
                middle = 0.5 * (low + high)
                if site.ok(totals_at(middle)):
                    low = middle
                else:
                    high = middle
        level = low
        result[active] = np.clip(level, active_min, active_cap)
        totals = base_a + uses @ result
        tight = 1e-6
        if totals.sum() >= site.limit_sum_a - tight:
            break
        held = result[active] >= active_cap - tight
        held |= (active_uses[totals >= site.limit_a - tight].sum(axis=0)) > 0
        if totals.max() - totals.min() >= site.spread_a - tight:
            # Only chargers that do not load every phase change the spread.
            single = active_uses.sum(axis=0) < 3
            held |= single & (active_uses[int(np.argmax(totals))] > 0)
        if not held.any():
            break
        active = active[~held]
    return result


def _triple(values: _Array) -> tuple[float, float, float]:
    return (float(values[0]), float(values[1]), float(values[2]))
