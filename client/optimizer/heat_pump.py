"""Heat pump: a one-node thermal model of the building with a comfort band and a COP.

The building is one resistance-capacitance node (the "1R1C" model): heat leaks to outside
through ``thermal_resistance_k_per_w`` and the heat pump adds ``cop * power_w``. Over an
interval with constant inputs the indoor temperature follows the exact solution

    T[k+1] = a T[k] + (1 - a) (T_out[k] + R COP[k] P[k]),   a = exp(-dt / (R C)).

Leaving the comfort band is penalized slack, so a cold snap the heat pump cannot cover
yields a plan that reports it rather than no plan. The MILP adds an on/off binary with a
minimum electric power when on and a minimum run time after each start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import numpy.typing as npt

from openderms.client.optimizer._terms import (
    COMFORT_PENALTY_PER_KELVIN_HOUR,
    TARGET_PENALTY_PER_KWH,
    Terms,
)
from openderms.client.optimizer.errors import PlanInputError

__all__ = [
    "HeatPumpModel",
    "HeatPumpSpec",
    "HeatPumpState",
    "build_heat_pump",
    "cop_carnot",
    "update_heat_pump",
]


@dataclass(frozen=True, slots=True)
class HeatPumpSpec:
    """A space-heating heat pump and the building it heats."""

    asset_id: str
    max_w: float
    """Largest electric power [W]."""
    min_w: float = 0.0
    """Smallest electric power while running [W] (MILP only)."""
    thermal_resistance_k_per_w: float = 0.005
    """Resistance from inside to outside [K/W]; its inverse is the loss coefficient."""
    thermal_capacity_wh_per_k: float = 5000.0
    """Heat capacity of the building [Wh/K]."""
    comfort_min_c: float = 19.0
    comfort_max_c: float = 23.0
    min_run_s: float = 0.0
    """Shortest run after a start [s] (MILP only)."""
    supply_temp_c: float = 35.0
    """Flow temperature, for the COP [degC]."""
    carnot_efficiency: float = 0.45
    """Fraction of the Carnot COP the machine reaches [unitless]."""

    def __post_init__(self) -> None:
        if not 0 <= self.min_w <= self.max_w:
            raise PlanInputError(f"heat pump {self.asset_id}: need 0 <= min_w <= max_w")
        if self.thermal_resistance_k_per_w <= 0 or self.thermal_capacity_wh_per_k <= 0:
            raise PlanInputError(f"heat pump {self.asset_id}: R and C must be positive")
        if self.comfort_min_c > self.comfort_max_c:
            raise PlanInputError(f"heat pump {self.asset_id}: comfort band is empty")


@dataclass(frozen=True, slots=True)
class HeatPumpState:
    """Measured state at plan time."""

    indoor_temp_c: float
    is_on: bool = False
    on_since_s: float | None = None
    """When the running heat pump last started [s since epoch]; None if unknown or off."""


@dataclass(slots=True)
class HeatPumpModel:
    """Variables and parameters of one heat pump in a built problem."""

    spec: HeatPumpSpec
    terms: Terms
    power_w: cp.Variable
    indoor_temp_c: cp.Variable
    """Indoor temperature at each interval boundary, ``steps + 1`` values [degC]."""
    too_cold_k: cp.Variable
    too_warm_k: cp.Variable
    initial_temp_c: cp.Parameter
    drift_c: cp.Parameter
    gain_k_per_w: cp.Parameter
    forced_on: cp.Parameter | None
    was_on: cp.Parameter | None
    run_cut_short: cp.Variable | None
    """Intervals of a run begun before the plan that the plan stops early (MILP)."""
    decay: float


def cop_carnot(
    outdoor_temp_c: npt.NDArray[np.float64], supply_temp_c: float, carnot_efficiency: float
) -> npt.NDArray[np.float64]:
    """Coefficient of performance as a fraction of the Carnot limit [unitless].

    Parameters
    ----------
    outdoor_temp_c : ndarray of float
        Source temperature [degC].
    supply_temp_c : float
        Sink (flow) temperature [degC].
    carnot_efficiency : float
        Fraction of the Carnot COP reached [unitless].

    Returns
    -------
    ndarray of float
        COP clipped to [1, 7]: below 1 a heat pump would be worse than a resistive heater,
        and a small lift would otherwise give an unbounded COP.
    """
    lift_k = np.maximum(supply_temp_c - np.asarray(outdoor_temp_c, dtype=float), 1.0)
    return np.clip(carnot_efficiency * (supply_temp_c + 273.15) / lift_k, 1.0, 7.0)


def build_heat_pump(
    spec: HeatPumpSpec, steps: int, step_s: float, integer_steps: int
) -> HeatPumpModel:
    """Constraints and comfort penalty of one heat pump over ``steps`` intervals.

    Parameters
    ----------
    spec : HeatPumpSpec
    steps : int
        Number of intervals.
    step_s : float
        Interval length [s].
    integer_steps : int
        Over the first ``integer_steps`` intervals, add on/off binaries, minimum power and
        minimum run time (MILP); 0 builds the LP relaxation.

    Returns
    -------
    HeatPumpModel
        Its parameters are set by :func:`update_heat_pump` before each solve.
    """
    hours = step_s / 3600.0
    name = spec.asset_id
    decay = math.exp(-hours / (spec.thermal_resistance_k_per_w * spec.thermal_capacity_wh_per_k))
    power_w = cp.Variable(steps, nonneg=True, name=f"{name}_w")
    temp_c = cp.Variable(steps + 1, name=f"{name}_indoor_c")
    too_cold = cp.Variable(steps, nonneg=True, name=f"{name}_too_cold_k")
    too_warm = cp.Variable(steps, nonneg=True, name=f"{name}_too_warm_k")
    initial = cp.Parameter(name=f"{name}_initial_c")
    drift = cp.Parameter(steps, name=f"{name}_drift_c")
    gain = cp.Parameter(steps, nonneg=True, name=f"{name}_gain_k_per_w")
    constraints: list[cp.Constraint] = [
        temp_c[0] == initial,
        temp_c[1:] == decay * temp_c[:-1] + drift + cp.multiply(gain, power_w),
        temp_c[1:] + too_cold >= spec.comfort_min_c,
        temp_c[1:] - too_warm <= spec.comfort_max_c,
        power_w <= spec.max_w,
    ]
    forced_on: cp.Parameter | None = None
    was_on: cp.Parameter | None = None
    cut_short: cp.Variable | None = None
    penalty = COMFORT_PENALTY_PER_KELVIN_HOUR * hours * cp.sum(too_cold + too_warm)
    k = min(integer_steps, steps)
    if k > 0:
        running = cp.Variable(k, boolean=True, name=f"{name}_on")
        forced_on = cp.Parameter(k, nonneg=True, name=f"{name}_forced_on")
        was_on = cp.Parameter(nonneg=True, name=f"{name}_was_on")
        # Finishing a run begun before the plan is soft: a new envelope limit may forbid
        # the heat pump's minimum power, and the envelope wins.
        cut_short = cp.Variable(k, nonneg=True, name=f"{name}_run_cut_short")
        constraints += [
            power_w[:k] <= spec.max_w * running,
            power_w[:k] >= spec.min_w * running,
            running + cut_short >= forced_on,
        ]
        penalty = penalty + TARGET_PENALTY_PER_KWH * spec.min_w / 1000.0 * hours * cp.sum(
            cut_short
        )
        run_steps = min(math.ceil(spec.min_run_s / step_s - 1e-9), k)
        if run_steps > 1:
            # Starts in the last run_steps intervals force the heat pump on (the turn-on
            # inequalities of Rajan and Takriti, IBM RC23628, 2005: tighter than one
            # constraint per lag, which matters for branch and bound).
            previous = cp.hstack([cp.reshape(was_on, (1,), order="C"), running[:-1]])
            starts = cp.Variable(k, nonneg=True, name=f"{name}_starts")
            started_so_far = cp.cumsum(starts)
            constraints += [
                starts >= running - previous,
                running[:run_steps] >= started_so_far[:run_steps],
            ]
            if run_steps < k:
                constraints.append(
                    running[run_steps:]
                    >= started_so_far[run_steps:] - started_so_far[: k - run_steps]
                )
    terms = Terms(constraints=constraints, site_w=power_w, der_load_w=power_w, penalty=penalty)
    return HeatPumpModel(
        spec=spec,
        terms=terms,
        power_w=power_w,
        indoor_temp_c=temp_c,
        too_cold_k=too_cold,
        too_warm_k=too_warm,
        initial_temp_c=initial,
        drift_c=drift,
        gain_k_per_w=gain,
        forced_on=forced_on,
        was_on=was_on,
        run_cut_short=cut_short,
        decay=decay,
    )


def update_heat_pump(
    model: HeatPumpModel,
    state: HeatPumpState,
    outdoor_temp_c: npt.NDArray[np.float64],
    now: float,
    step_s: float,
) -> None:
    """Set a built heat pump's parameters for one solve.

    Parameters
    ----------
    model : HeatPumpModel
    state : HeatPumpState
    outdoor_temp_c : ndarray of float
        Outdoor temperature forecast per interval [degC].
    now : float
        Start of the first interval [s since epoch].
    step_s : float
        Interval length [s].
    """
    spec = model.spec
    steps = model.power_w.shape[0]
    cop = cop_carnot(outdoor_temp_c, spec.supply_temp_c, spec.carnot_efficiency)
    leak = 1.0 - model.decay
    model.initial_temp_c.value = state.indoor_temp_c
    model.drift_c.value = leak * np.asarray(outdoor_temp_c, dtype=float)
    model.gain_k_per_w.value = leak * spec.thermal_resistance_k_per_w * cop
    if model.forced_on is not None and model.was_on is not None:
        forced = np.zeros(steps)
        if state.is_on and state.on_since_s is not None:
            must_run_until = state.on_since_s + spec.min_run_s
            starts = now + step_s * np.arange(steps)
            forced = (starts < must_run_until).astype(float)
        model.forced_on.value = forced[: model.forced_on.shape[0]]
        model.was_on.value = 1.0 if state.is_on else 0.0
