"""The result of one planning run: setpoints per interval per asset, and how it was found."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["MissedTarget", "Plan", "ProblemKind"]


class ProblemKind(StrEnum):
    """Which optimization problem produced a plan."""

    MILP = "MILP"
    """Discrete facts modelled: minimum current or off, no simultaneous charge and
    discharge, heat pump minimum run (HiGHS branch and bound)."""
    LP = "LP"
    """The linear relaxation: faster, discrete facts relaxed (HiGHS)."""
    QP = "QP"
    """The linear relaxation with a quadratic peak term (Clarabel)."""


@dataclass(frozen=True, slots=True)
class MissedTarget:
    """A target the plan cannot meet, and by how much."""

    asset_id: str
    """The asset, or "site" for envelope limits."""
    target: str
    """What was missed: "ev_energy", "battery_reserve", "comfort", "min_run",
    "import_limit", "fixed_power"."""
    shortfall: float
    """How much is missing, in ``unit``."""
    unit: str
    """"Wh" for energy and envelope excess (power over time), "K h" for comfort, "s" for a
    minimum run cut short."""
    first_interval: int | None = None
    """First interval in which it is missed, when the target is per interval."""


@dataclass(frozen=True, slots=True)
class Plan:
    """Setpoints per interval; powers are interval averages [W], positive as named.

    Site power is positive for import (see :mod:`openderms.client.envelope`).
    """

    start_s: float
    """Start of the first interval [s since epoch]."""
    step_s: float
    """Interval length [s]."""
    problem: ProblemKind
    """Which problem was solved."""
    solver: str
    status: str
    """cvxpy's status string ("optimal", "optimal_inaccurate", ...)."""
    solve_time_s: float | None
    """Time the solver reported for itself [s]; modelling overhead is not included."""
    objective: float
    """Objective value, penalties included [currency-equivalent]."""
    energy_cost: float
    """Import cost minus export revenue at the given prices [currency]."""
    site_w: tuple[float, ...]
    grid_import_w: tuple[float, ...]
    grid_export_w: tuple[float, ...]
    pv_w: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    pv_available_w: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    battery_charge_w: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    battery_discharge_w: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    battery_soc_pct: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    """State of charge at each interval boundary, ``steps + 1`` values [%]."""
    ev_w: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    ev_current_a: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    """Per-phase current the charger should offer [A] (the DLM target)."""
    ev_energy_wh: Mapping[str, float] = field(default_factory=dict)
    """Energy each car receives over the horizon, into its battery [Wh]."""
    heat_pump_w: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    indoor_temp_c: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    """Indoor temperature at each interval boundary, ``steps + 1`` values [degC]."""
    missed: tuple[MissedTarget, ...] = ()
    fallback_reason: str | None = None
    """Why the LP relaxation was solved instead of the MILP asked for, if it was."""
    integer_steps: int = 0
    """Intervals, from the start, whose discrete facts the MILP modelled; 0 for LP/QP."""
    optimality_gap: float | None = None
    """Relative gap between the plan's objective and the solver's best bound [unitless]:
    HiGHS's ``mip_gap`` for a MILP (at most ``mip_rel_gap`` unless the time limit hit),
    0.0 for an LP/QP solved to optimality, None when the solver reported none."""

    @property
    def steps(self) -> int:
        """Number of intervals."""
        return len(self.site_w)

    @property
    def horizon_s(self) -> float:
        """Length of the plan [s]."""
        return self.steps * self.step_s

    def interval_at(self, now: float) -> int | None:
        """Index of the interval containing ``now``, or None outside the plan."""
        index = int((now - self.start_s) // self.step_s)
        return index if 0 <= index < self.steps else None

    def setpoints(self, index: int) -> dict[str, float]:
        """Every asset's power in interval ``index`` [W]: generation and discharge
        negative, load and charge positive (the site sign convention)."""
        result: dict[str, float] = {}
        for asset_id, values in self.pv_w.items():
            result[asset_id] = -values[index]
        for asset_id, charge in self.battery_charge_w.items():
            result[asset_id] = charge[index] - self.battery_discharge_w[asset_id][index]
        for mapping in (self.ev_w, self.heat_pump_w):
            for asset_id, values in mapping.items():
                result[asset_id] = values[index]
        return result
