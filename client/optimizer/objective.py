"""Objectives: energy cost under a dynamic tariff, self-consumption, CO2 — selectable and
combinable with weights.

All three are linear in grid import and export, so :func:`grid_coefficients` folds the
weights, prices and interval length into one coefficient per interval for import and one
for export. The problem then holds ``coefficient @ power`` with the coefficients as
cvxpy Parameters: changing weights, prices or intensities never rebuilds the problem
(cvxpy's disciplined parametrized programming forbids a parameter times a parameter times a
variable, which weighting prices directly would need).

An optional quadratic term on import smooths peaks; it turns the LP into a QP, which the
planner gives to Clarabel (HiGHS takes the LP and MILP).
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import numpy.typing as npt

from openderms.client.optimizer.errors import PlanInputError

__all__ = [
    "GridCoefficients",
    "ObjectiveModel",
    "ObjectiveWeights",
    "build_objective",
    "grid_coefficients",
    "update_objective",
]


@dataclass(frozen=True, slots=True)
class ObjectiveWeights:
    """How much each goal counts. Any mix is allowed; all zero leaves only the targets."""

    cost: float = 1.0
    """Weight of net energy cost [unitless]."""
    self_consumption_per_kwh: float = 0.0
    """Penalty on every exported kWh, so PV is used on site [currency/kWh]."""
    co2_per_kg: float = 0.0
    """Price on emissions of imported energy [currency/kg]."""
    peak_per_kw2_h: float = 0.0
    """Quadratic penalty on import power; > 0 makes the problem a QP [currency/(kW^2 h)].
    Only read when the planner is built."""

    def __post_init__(self) -> None:
        values = (self.cost, self.self_consumption_per_kwh, self.co2_per_kg, self.peak_per_kw2_h)
        if min(values) < 0:
            raise PlanInputError("objective weights must be >= 0")


@dataclass(frozen=True, slots=True)
class GridCoefficients:
    """Objective coefficients of grid power per interval [currency/W]."""

    import_per_w: npt.NDArray[np.float64]
    export_per_w: npt.NDArray[np.float64]
    """Coefficient of export power, negative when export earns [currency/W]."""


def grid_coefficients(
    weights: ObjectiveWeights,
    step_s: float,
    import_price_per_kwh: npt.NDArray[np.float64],
    export_price_per_kwh: npt.NDArray[np.float64],
    co2_g_per_kwh: npt.NDArray[np.float64] | None = None,
) -> GridCoefficients:
    """Per-interval objective coefficients of import and export power.

    Parameters
    ----------
    weights : ObjectiveWeights
    step_s : float
        Interval length [s].
    import_price_per_kwh, export_price_per_kwh : ndarray of float
        Tariff per interval [currency/kWh].
    co2_g_per_kwh : ndarray of float, optional
        Grid emission intensity per interval [g/kWh]; None counts no emissions.

    Returns
    -------
    GridCoefficients

    Notes
    -----
    The export price is capped at the import price in each interval. The meter nets
    import against export within an interval, so a higher export price cannot be earned
    by importing and exporting at once; without the cap the LP would do exactly that.
    """
    kwh_per_w = step_s / 3600.0 / 1000.0
    imp = np.asarray(import_price_per_kwh, dtype=float)
    exp = np.minimum(np.asarray(export_price_per_kwh, dtype=float), imp)
    import_per_kwh = weights.cost * imp
    export_per_kwh = -weights.cost * exp + weights.self_consumption_per_kwh
    if co2_g_per_kwh is not None:
        import_per_kwh = import_per_kwh + weights.co2_per_kg * np.asarray(co2_g_per_kwh) / 1000
    # Importing and exporting at once must never pay, whatever the weights.
    export_per_kwh = np.maximum(export_per_kwh, -import_per_kwh)
    return GridCoefficients(import_per_kwh * kwh_per_w, export_per_kwh * kwh_per_w)


@dataclass(slots=True)
class ObjectiveModel:
    """The grid part of the objective in a built problem."""

    expression: cp.Expression
    import_per_w: cp.Parameter
    export_per_w: cp.Parameter
    quadratic: bool


def build_objective(
    import_w: cp.Variable, export_w: cp.Variable, step_s: float, peak_per_kw2_h: float
) -> ObjectiveModel:
    """The grid part of the objective.

    Parameters
    ----------
    import_w, export_w : cvxpy Variable
        Grid import and export per interval [W].
    step_s : float
        Interval length [s].
    peak_per_kw2_h : float
        Quadratic peak penalty [currency/(kW^2 h)]; 0 keeps the problem linear.
    """
    steps = import_w.shape[0]
    import_per_w = cp.Parameter(steps, name="import_per_w")
    export_per_w = cp.Parameter(steps, name="export_per_w")
    expression = import_per_w @ import_w + export_per_w @ export_w
    quadratic = peak_per_kw2_h > 0
    if quadratic:
        hours = step_s / 3600.0
        expression = expression + peak_per_kw2_h * hours * cp.sum_squares(import_w / 1000.0)
    return ObjectiveModel(expression, import_per_w, export_per_w, quadratic)


def update_objective(model: ObjectiveModel, coefficients: GridCoefficients) -> None:
    """Set a built objective's coefficients for one solve."""
    model.import_per_w.value = coefficients.import_per_w
    model.export_per_w.value = coefficients.export_per_w
