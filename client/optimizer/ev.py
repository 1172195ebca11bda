"""EV charger: one session's availability, current limits and energy target.

A session is the time a car is plugged in. The plan must deliver ``target_energy_wh`` to the
car by ``target_time_s`` (a target-by-time plan; the target time defaults to departure).
Energy beyond the target, up to ``max_energy_wh``, is worth ``surplus_value_per_kwh``: set
it between the export and import prices and the plan charges extra only from PV surplus
that would otherwise be exported (PV-surplus charging). A target that cannot be met becomes
a penalized shortfall that the plan reports.

A charger either draws at least its minimum current or nothing (IEC 61851-1 gives 6 A as
the lowest pilot current); the MILP models that with one binary per interval, the LP
relaxation lets power fall anywhere in [0, max].
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import numpy.typing as npt

from openderms.client.optimizer._terms import TARGET_PENALTY_PER_KWH, Terms
from openderms.client.optimizer.errors import PlanInputError

__all__ = [
    "EvChargerSpec",
    "EvModel",
    "EvSession",
    "build_ev",
    "interval_coverage",
    "update_ev",
]


@dataclass(frozen=True, slots=True)
class EvChargerSpec:
    """An AC charger. Power is current times voltage times phases."""

    asset_id: str
    min_current_a: float = 6.0
    max_current_a: float = 16.0
    phases: int = 3
    voltage_v: float = 230.0
    """Phase-to-neutral voltage [V]."""
    efficiency: float = 0.9
    """AC energy into the car's battery per AC energy drawn [unitless]."""

    def __post_init__(self) -> None:
        if self.phases not in (1, 2, 3):
            raise PlanInputError(f"charger {self.asset_id}: phases must be 1, 2 or 3")
        if not 0 <= self.min_current_a <= self.max_current_a:
            raise PlanInputError(f"charger {self.asset_id}: need 0 <= min_current <= max")
        if not 0 < self.efficiency <= 1:
            raise PlanInputError(f"charger {self.asset_id}: efficiency must be in (0, 1]")

    @property
    def max_w(self) -> float:
        """Power at maximum current [W]."""
        return self.max_current_a * self.voltage_v * self.phases

    @property
    def min_w(self) -> float:
        """Power at minimum current [W]."""
        return self.min_current_a * self.voltage_v * self.phases

    def current_a(self, power_w: float) -> float:
        """Per-phase current that draws ``power_w`` [A]."""
        return power_w / (self.voltage_v * self.phases)


@dataclass(frozen=True, slots=True)
class EvSession:
    """A car plugged into a charger, as the driver asked for it."""

    arrival_s: float
    """When the car is (or was) plugged in [s since epoch]."""
    departure_s: float
    """When the car leaves [s since epoch]."""
    target_energy_wh: float
    """Energy the car must receive by ``target_time_s``, into its battery [Wh]."""
    target_time_s: float | None = None
    """Deadline of the target [s since epoch]; None means departure."""
    max_energy_wh: float | None = None
    """Most energy the car can still take [Wh]; None means the target."""
    surplus_value_per_kwh: float = 0.0
    """Worth of energy beyond the target [currency/kWh]."""

    def __post_init__(self) -> None:
        if self.departure_s <= self.arrival_s:
            raise PlanInputError("EV session must depart after it arrives")
        if self.target_energy_wh < 0:
            raise PlanInputError("EV target energy must be >= 0")

    @classmethod
    def for_soc(
        cls,
        arrival_s: float,
        departure_s: float,
        battery_capacity_wh: float,
        soc_pct: float,
        target_soc_pct: float,
        **kwargs: float | None,
    ) -> EvSession:
        """A session whose target is a state of charge rather than an energy.

        Parameters
        ----------
        battery_capacity_wh : float
            Usable capacity of the car's battery [Wh].
        soc_pct, target_soc_pct : float
            State of charge now and wanted at the deadline [%].
        """
        target_wh = max(target_soc_pct - soc_pct, 0.0) / 100.0 * battery_capacity_wh
        room_wh = max(100.0 - soc_pct, 0.0) / 100.0 * battery_capacity_wh
        kwargs.setdefault("max_energy_wh", room_wh)
        return cls(arrival_s, departure_s, target_wh, **kwargs)  # type: ignore[arg-type]  # optional floats


@dataclass(slots=True)
class EvModel:
    """Variables and parameters of one charger in a built problem."""

    spec: EvChargerSpec
    terms: Terms
    power_w: cp.Variable
    shortfall_wh: cp.Variable
    max_w: cp.Parameter
    min_w: cp.Parameter | None
    target_mask: cp.Parameter
    target_energy_wh: cp.Parameter
    max_energy_wh: cp.Parameter
    surplus_value_per_kwh: cp.Parameter


def interval_coverage(
    start_s: float, step_s: float, steps: int, begin_s: float, end_s: float
) -> npt.NDArray[np.float64]:
    """Fraction of each interval that lies inside [begin_s, end_s) [unitless].

    Parameters
    ----------
    start_s : float
        Start of the first interval [s since epoch].
    step_s : float
        Interval length [s].
    steps : int
        Number of intervals.
    begin_s, end_s : float
        The window [s since epoch].
    """
    lo = start_s + step_s * np.arange(steps)
    hi = lo + step_s
    overlap = np.minimum(hi, end_s) - np.maximum(lo, begin_s)
    coverage: npt.NDArray[np.float64] = np.clip(overlap / step_s, 0.0, 1.0)
    return coverage


def build_ev(spec: EvChargerSpec, steps: int, step_s: float, integer_steps: int) -> EvModel:
    """Constraints and costs of one charger over ``steps`` intervals.

    Parameters
    ----------
    spec : EvChargerSpec
    steps : int
        Number of intervals.
    step_s : float
        Interval length [s].
    integer_steps : int
        Over the first ``integer_steps`` intervals, model "minimum current or off" with a
        binary per interval (MILP); 0 builds the LP relaxation.

    Returns
    -------
    EvModel
        Its parameters are set by :func:`update_ev` before each solve.
    """
    hours = step_s / 3600.0
    name = spec.asset_id
    power_w = cp.Variable(steps, nonneg=True, name=f"{name}_w")
    shortfall_wh = cp.Variable(nonneg=True, name=f"{name}_shortfall_wh")
    max_w = cp.Parameter(steps, nonneg=True, name=f"{name}_max_w")
    target_mask = cp.Parameter(steps, nonneg=True, name=f"{name}_target_mask")
    target_wh = cp.Parameter(nonneg=True, name=f"{name}_target_wh")
    max_energy_wh = cp.Parameter(nonneg=True, name=f"{name}_max_energy_wh")
    surplus_value = cp.Parameter(name=f"{name}_surplus_value_per_kwh")
    delivered_wh = spec.efficiency * hours * power_w
    constraints: list[cp.Constraint] = [
        cp.sum(cp.multiply(target_mask, delivered_wh)) + shortfall_wh >= target_wh,
        cp.sum(delivered_wh) <= max_energy_wh,
    ]
    min_w: cp.Parameter | None = None
    k = min(integer_steps, steps)
    if k > 0:
        min_w = cp.Parameter(k, nonneg=True, name=f"{name}_min_w")
        charging = cp.Variable(k, boolean=True, name=f"{name}_on")
        constraints += [
            power_w[:k] <= spec.max_w * charging,
            power_w[:k] >= cp.multiply(min_w, charging),
        ]
    constraints.append(power_w <= max_w)
    terms = Terms(
        constraints=constraints,
        site_w=power_w,
        der_load_w=power_w,
        cost=-surplus_value * hours / 1000.0 * cp.sum(power_w),
        penalty=TARGET_PENALTY_PER_KWH / 1000.0 * shortfall_wh,
    )
    return EvModel(
        spec=spec,
        terms=terms,
        power_w=power_w,
        shortfall_wh=shortfall_wh,
        max_w=max_w,
        min_w=min_w,
        target_mask=target_mask,
        target_energy_wh=target_wh,
        max_energy_wh=max_energy_wh,
        surplus_value_per_kwh=surplus_value,
    )


def update_ev(
    model: EvModel,
    session: EvSession | None,
    start_s: float,
    step_s: float,
) -> None:
    """Set a built charger's parameters for one solve.

    Parameters
    ----------
    model : EvModel
    session : EvSession or None
        None when no car is plugged in: the charger draws nothing.
    start_s : float
        Start of the first interval [s since epoch].
    step_s : float
        Interval length [s].
    """
    steps = model.power_w.shape[0]
    spec = model.spec
    if session is None:
        coverage = np.zeros(steps)
        mask = np.zeros(steps)
        target_wh = max_energy_wh = 0.0
        surplus = 0.0
    else:
        coverage = interval_coverage(
            start_s, step_s, steps, session.arrival_s, session.departure_s
        )
        deadline = session.departure_s if session.target_time_s is None else session.target_time_s
        ends = start_s + step_s * (np.arange(steps) + 1)
        # Only intervals that end by the deadline count: the plan gives average power per
        # interval, not when within it the energy flows.
        mask = (ends <= deadline + 1e-6).astype(float)
        # A deadline past the horizon: the horizon owes only what the car cannot still get
        # after it at full power (so a short horizon does not rush the whole target).
        horizon_end_s = start_s + step_s * steps
        after_s = max(
            min(deadline, session.departure_s) - max(horizon_end_s, session.arrival_s), 0
        )
        later_wh = spec.max_w * spec.efficiency * after_s / 3600.0
        target_wh = max(session.target_energy_wh - later_wh, 0.0)
        max_energy_wh = max(
            session.max_energy_wh
            if session.max_energy_wh is not None
            else session.target_energy_wh,
            target_wh,
        )
        if model.min_w is not None and target_wh > 0:
            # With "minimum current or off", a remainder smaller than one interval at the
            # minimum cannot be delivered exactly; allow that overshoot (the car stops
            # drawing when full) rather than miss the target.
            max_energy_wh += spec.min_w * spec.efficiency * step_s / 3600.0
        surplus = session.surplus_value_per_kwh
    model.max_w.value = spec.max_w * coverage
    if model.min_w is not None:
        model.min_w.value = spec.min_w * coverage[: model.min_w.shape[0]]
    model.target_mask.value = mask
    model.target_energy_wh.value = target_wh
    model.max_energy_wh.value = max_energy_wh
    model.surplus_value_per_kwh.value = surplus
