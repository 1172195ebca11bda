"""PV: generation up to the forecast, curtailable down to zero.

The forecast (from :mod:`openderms.client.forecast`) is the power available in each
interval [W]; the plan chooses how much of it to take. Curtailment has no cost of its own:
it happens when the envelope forces it or when export is worth less than nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import numpy.typing as npt

from openderms.client.optimizer._terms import Terms
from openderms.client.optimizer.errors import PlanInputError

__all__ = ["PvModel", "PvSpec", "build_pv", "update_pv"]


@dataclass(frozen=True, slots=True)
class PvSpec:
    """A PV system behind one inverter (or several, lumped)."""

    asset_id: str
    rated_w: float
    """AC rating of the inverter(s) [W]; also the base of opModMaxLimW percentages."""

    def __post_init__(self) -> None:
        if self.rated_w < 0:
            raise PlanInputError(f"pv {self.asset_id}: rated_w must be >= 0")


@dataclass(slots=True)
class PvModel:
    """Variables and parameters of one PV system in a built problem."""

    spec: PvSpec
    terms: Terms
    power_w: cp.Variable
    available_w: cp.Parameter


def build_pv(spec: PvSpec, steps: int) -> PvModel:
    """Constraints of one PV system over ``steps`` intervals.

    Parameters
    ----------
    spec : PvSpec
    steps : int
        Number of intervals in the horizon.

    Returns
    -------
    PvModel
        ``available_w`` is set by :func:`update_pv` before each solve.
    """
    power_w = cp.Variable(steps, nonneg=True, name=f"{spec.asset_id}_w")
    available_w = cp.Parameter(steps, nonneg=True, name=f"{spec.asset_id}_available_w")
    terms = Terms(
        constraints=[power_w <= available_w],
        site_w=-power_w,
        der_generation_w=power_w,
        der_output_w=power_w,
    )
    return PvModel(spec=spec, terms=terms, power_w=power_w, available_w=available_w)


def update_pv(
    model: PvModel,
    forecast_w: npt.NDArray[np.float64],
    der_connected: npt.NDArray[np.float64],
) -> None:
    """Set the power available to a built PV model for one solve.

    Parameters
    ----------
    model : PvModel
    forecast_w : ndarray of float
        Forecast AC power per interval [W]; clipped to [0, rated_w].
    der_connected : ndarray of float
        1.0 where DER may operate, 0.0 where the envelope disconnects it [unitless].
    """
    available = np.clip(np.asarray(forecast_w, dtype=float), 0.0, model.spec.rated_w)
    model.available_w.value = available * der_connected
