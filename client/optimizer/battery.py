"""Battery: energy balance with charge/discharge efficiencies, SoC bounds, reserve, wear.

Conventions: ``charge_w`` and ``discharge_w`` are non-negative AC power at the battery
inverter averaged over an interval [W]; stored energy is at the cells [Wh]. A MILP adds one
binary per interval so the battery cannot charge and discharge at once; the LP relaxation
allows both, which it only uses when dumping energy pays (negative prices).
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import numpy.typing as npt

from openderms.client.optimizer._terms import TARGET_PENALTY_PER_KWH, Terms
from openderms.client.optimizer.errors import PlanInputError

__all__ = [
    "BatteryModel",
    "BatterySpec",
    "BatteryState",
    "build_battery",
    "update_battery",
]


@dataclass(frozen=True, slots=True)
class BatterySpec:
    """A stationary battery. Efficiencies are one-way, AC to cells and cells to AC."""

    asset_id: str
    capacity_wh: float
    max_charge_w: float
    max_discharge_w: float
    charge_efficiency: float = 0.95
    discharge_efficiency: float = 0.95
    soc_min_pct: float = 5.0
    """Hard lower bound of state of charge [%]."""
    soc_max_pct: float = 100.0
    """Hard upper bound of state of charge [%]."""
    reserve_pct: float = 20.0
    """Backup reserve kept unless a target must use it; soft, penalized [%]."""
    degradation_cost_per_kwh: float = 0.02
    """Wear cost per kWh of AC throughput, charge plus discharge [currency/kWh]."""
    terminal_value_per_kwh: float = 0.0
    """Value of energy left in the battery at the end of the horizon [currency/kWh]."""

    def __post_init__(self) -> None:
        if self.capacity_wh <= 0 or self.max_charge_w < 0 or self.max_discharge_w < 0:
            raise PlanInputError(f"battery {self.asset_id}: capacity and limits must be >= 0")
        if not (0 < self.charge_efficiency <= 1 and 0 < self.discharge_efficiency <= 1):
            raise PlanInputError(f"battery {self.asset_id}: efficiencies must be in (0, 1]")
        if not 0 <= self.soc_min_pct <= self.soc_max_pct <= 100:
            raise PlanInputError(f"battery {self.asset_id}: need 0 <= soc_min <= soc_max <= 100")


@dataclass(frozen=True, slots=True)
class BatteryState:
    """Measured state at plan time."""

    soc_pct: float
    """State of charge [%]; clipped into the spec's hard bounds."""


@dataclass(slots=True)
class BatteryModel:
    """Variables and parameters of one battery in a built problem."""

    spec: BatterySpec
    terms: Terms
    charge_w: cp.Variable
    discharge_w: cp.Variable
    energy_wh: cp.Variable
    """Stored energy at each interval boundary, ``steps + 1`` values [Wh]."""
    reserve_shortfall_wh: cp.Variable
    initial_energy_wh: cp.Parameter
    charge_limit_w: cp.Parameter
    discharge_limit_w: cp.Parameter


def build_battery(
    spec: BatterySpec, steps: int, step_s: float, integer_steps: int
) -> BatteryModel:
    """Constraints and costs of one battery over ``steps`` intervals.

    Parameters
    ----------
    spec : BatterySpec
    steps : int
        Number of intervals in the horizon.
    step_s : float
        Interval length [s].
    integer_steps : int
        Over the first ``integer_steps`` intervals, add the binary that forbids charging
        and discharging in the same interval (MILP); 0 builds the LP relaxation.

    Returns
    -------
    BatteryModel
        Its parameters are set by :func:`update_battery` before each solve.
    """
    hours = step_s / 3600.0
    charge_w = cp.Variable(steps, nonneg=True, name=f"{spec.asset_id}_charge_w")
    discharge_w = cp.Variable(steps, nonneg=True, name=f"{spec.asset_id}_discharge_w")
    energy_wh = cp.Variable(steps + 1, name=f"{spec.asset_id}_energy_wh")
    shortfall_wh = cp.Variable(steps, nonneg=True, name=f"{spec.asset_id}_reserve_short_wh")
    initial = cp.Parameter(name=f"{spec.asset_id}_initial_wh")
    charge_limit = cp.Parameter(steps, nonneg=True, name=f"{spec.asset_id}_charge_limit_w")
    discharge_limit = cp.Parameter(steps, nonneg=True, name=f"{spec.asset_id}_dis_limit_w")
    low_wh = spec.capacity_wh * spec.soc_min_pct / 100.0
    high_wh = spec.capacity_wh * spec.soc_max_pct / 100.0
    reserve_wh = spec.capacity_wh * max(spec.reserve_pct, spec.soc_min_pct) / 100.0
    constraints: list[cp.Constraint] = [
        energy_wh[0] == initial,
        energy_wh[1:]
        == energy_wh[:-1]
        + hours * (spec.charge_efficiency * charge_w - discharge_w / spec.discharge_efficiency),
        energy_wh[1:] >= low_wh,
        energy_wh[1:] <= high_wh,
        # The reserve is soft: a battery below it at plan time must not make the plan fail.
        energy_wh[1:] + shortfall_wh >= reserve_wh,
        charge_w <= charge_limit,
        discharge_w <= discharge_limit,
    ]
    k = min(integer_steps, steps)
    if k > 0:
        charging = cp.Variable(k, boolean=True, name=f"{spec.asset_id}_charging")
        constraints += [
            charge_w[:k] <= spec.max_charge_w * charging,
            discharge_w[:k] <= spec.max_discharge_w * (1 - charging),
        ]
    cost = (
        spec.degradation_cost_per_kwh * hours / 1000.0 * cp.sum(charge_w + discharge_w)
        - spec.terminal_value_per_kwh / 1000.0 * energy_wh[steps]
    )
    # Shortfall below reserve counts per interval it lasts, in kWh-hours, at the target price.
    penalty = TARGET_PENALTY_PER_KWH * hours / 1000.0 * cp.sum(shortfall_wh)
    terms = Terms(
        constraints=constraints,
        site_w=charge_w - discharge_w,
        der_generation_w=discharge_w,
        der_load_w=charge_w,
        der_output_w=discharge_w - charge_w,
        cost=cost,
        penalty=penalty,
    )
    return BatteryModel(
        spec=spec,
        terms=terms,
        charge_w=charge_w,
        discharge_w=discharge_w,
        energy_wh=energy_wh,
        reserve_shortfall_wh=shortfall_wh,
        initial_energy_wh=initial,
        charge_limit_w=charge_limit,
        discharge_limit_w=discharge_limit,
    )


def update_battery(
    model: BatteryModel, state: BatteryState, der_connected: npt.NDArray[np.float64]
) -> None:
    """Set a built battery's parameters for one solve.

    Parameters
    ----------
    model : BatteryModel
    state : BatteryState
    der_connected : ndarray of float
        1.0 where the envelope lets DER operate, 0.0 where opModConnect or opModEnergize
        is false and the DER must cease to exchange power [unitless].
    """
    spec = model.spec
    low_pct, high_pct = spec.soc_min_pct, spec.soc_max_pct
    soc_pct = min(max(state.soc_pct, low_pct), high_pct)
    model.initial_energy_wh.value = spec.capacity_wh * soc_pct / 100.0
    model.charge_limit_w.value = spec.max_charge_w * der_connected
    model.discharge_limit_w.value = spec.max_discharge_w * der_connected
