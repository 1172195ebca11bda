"""The grid envelope as hard limits on the plan, interval by interval.

:meth:`GridEnvelope.over` gives the most restrictive :class:`EnvelopeLimits` per interval;
:func:`envelope_arrays` turns them into finite arrays (no limit becomes a bound that cannot
bind) and :func:`build_envelope` constrains the site:

- import and export at the connection point (CSIP-AUS opModImpLimW, opModExpLimW, and the
  site's own connection limit);
- generation of controlled DER, PV plus battery discharge (opModGenLimW, and 2030.5
  opModMaxLimW as a percentage of the rated generation);
- load of controlled DER, battery charge plus EV chargers plus heat pumps (opModLoadLimW);
- connect/energize false: DER exchange no power (applied through each asset's limits);
- a fixed or target active power (2030.5 opModFixedW, opModTargetW) for the output of the
  generating DER, PV plus discharge minus charge (chargers and heat pumps are loads and
  are not part of it).

Limits the site can always honour (export, generation, load: curtailing and idling reach
zero) are plain constraints. Import and a fixed power cannot always be honoured (the
inflexible load alone may exceed the import limit; there may be no sun for a fixed
generation), so each has a violation slack priced far above anything else: the plan keeps
them whenever it physically can and reports by how much it could not. The import slack is
further capped at the inflexible load's own excess over the limit.

Not modelled: ``ramp_w_per_s`` (the dispatcher ramps setpoints inside an interval).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import numpy.typing as npt

from openderms.client.envelope import EnvelopeLimits
from openderms.client.optimizer._terms import ENVELOPE_PENALTY_PER_KWH
from openderms.client.optimizer.errors import PlanInputError

__all__ = [
    "EnvelopeArrays",
    "EnvelopeModel",
    "SiteSpec",
    "build_envelope",
    "envelope_arrays",
    "update_envelope",
]


@dataclass(frozen=True, slots=True)
class SiteSpec:
    """The site's own connection, whatever the grid grants."""

    import_limit_w: float = 3 * 63 * 230.0
    """Connection (fuse) limit for import [W]; three phases of 63 A by default."""
    export_limit_w: float = 3 * 63 * 230.0
    """Connection limit for export [W]."""

    def __post_init__(self) -> None:
        if self.import_limit_w < 0 or self.export_limit_w < 0:
            raise PlanInputError("site connection limits must be >= 0")


@dataclass(frozen=True, slots=True)
class EnvelopeArrays:
    """Per-interval limits as finite arrays [W], and masks [unitless]."""

    import_limit_w: npt.NDArray[np.float64]
    export_limit_w: npt.NDArray[np.float64]
    generation_limit_w: npt.NDArray[np.float64]
    load_limit_w: npt.NDArray[np.float64]
    der_connected: npt.NDArray[np.float64]
    """1.0 where DER may exchange power, 0.0 where connect or energize is false."""
    fixed_mask: npt.NDArray[np.float64]
    """1.0 where a fixed or target DER output applies."""
    fixed_w: npt.NDArray[np.float64]
    """DER output to hold where ``fixed_mask`` is 1, positive generates [W]."""


def envelope_arrays(
    limits: Sequence[EnvelopeLimits],
    site: SiteSpec,
    rated_generation_w: float,
    rated_load_w: float,
) -> EnvelopeArrays:
    """Turn per-interval envelope limits into finite arrays.

    Parameters
    ----------
    limits : sequence of EnvelopeLimits
        One per interval, as :meth:`GridEnvelope.over` returns them.
    site : SiteSpec
        The connection limits, which hold in every interval.
    rated_generation_w : float
        Rated generation of the controlled DER, PV plus battery discharge [W]; the base of
        opModMaxLimW and opModFixedW percentages and the bound used when no generation
        limit is given.
    rated_load_w : float
        Rated controllable load, battery charge plus chargers plus heat pumps [W]; the
        bound used when no load limit is given.

    Returns
    -------
    EnvelopeArrays
    """
    steps = len(limits)
    imp = np.full(steps, site.import_limit_w)
    exp = np.full(steps, site.export_limit_w)
    gen = np.full(steps, rated_generation_w)
    load = np.full(steps, rated_load_w)
    connected = np.ones(steps)
    fixed_mask = np.zeros(steps)
    fixed_w = np.zeros(steps)
    for index, item in enumerate(limits):
        if item.import_limit_w is not None:
            imp[index] = min(imp[index], max(item.import_limit_w, 0.0))
        if item.export_limit_w is not None:
            exp[index] = min(exp[index], max(item.export_limit_w, 0.0))
        if item.generation_limit_w is not None:
            gen[index] = min(gen[index], max(item.generation_limit_w, 0.0))
        if item.max_generation_pct is not None:
            pct_w = rated_generation_w * max(item.max_generation_pct, 0.0) / 100.0
            gen[index] = min(gen[index], pct_w)
        if item.load_limit_w is not None:
            load[index] = min(load[index], max(item.load_limit_w, 0.0))
        if item.connect is False or item.energize is False:
            connected[index] = 0.0
        if item.fixed_w_pct is not None:
            fixed_mask[index] = 1.0
            fixed_w[index] = rated_generation_w * item.fixed_w_pct / 100.0
        elif item.target_w is not None:
            fixed_mask[index] = 1.0
            fixed_w[index] = item.target_w
    # A disconnected DER outputs nothing, so a fixed output there can only be zero.
    fixed_w = fixed_w * connected * fixed_mask
    return EnvelopeArrays(imp, exp, gen, load, connected, fixed_mask, fixed_w)


@dataclass(slots=True)
class EnvelopeModel:
    """Site-level variables, parameters and constraints of a built problem."""

    constraints: list[cp.Constraint]
    penalty: cp.Expression
    import_w: cp.Variable
    export_w: cp.Variable
    import_excess_w: cp.Variable
    fixed_error_w: cp.Variable
    import_limit_w: cp.Parameter
    import_excess_allowed_w: cp.Parameter
    export_limit_w: cp.Parameter
    generation_limit_w: cp.Parameter
    load_limit_w: cp.Parameter
    fixed_mask: cp.Parameter
    fixed_w: cp.Parameter


def build_envelope(
    steps: int,
    step_s: float,
    site_w: cp.Expression,
    der_generation_w: cp.Expression,
    der_load_w: cp.Expression,
    der_output_w: cp.Expression,
) -> EnvelopeModel:
    """The site balance and the envelope's limits over ``steps`` intervals.

    Parameters
    ----------
    steps : int
        Number of intervals.
    step_s : float
        Interval length [s].
    site_w : cvxpy Expression
        Net site power from every asset and the inflexible load, positive imports [W].
    der_generation_w, der_load_w : cvxpy Expression
        Generation and load of controlled DER [W].
    der_output_w : cvxpy Expression
        Net output of the generating DER, PV plus discharge minus charge [W].

    Returns
    -------
    EnvelopeModel
        Its parameters are set by :func:`update_envelope` before each solve.
    """
    hours = step_s / 3600.0
    import_w = cp.Variable(steps, nonneg=True, name="grid_import_w")
    export_w = cp.Variable(steps, nonneg=True, name="grid_export_w")
    excess_w = cp.Variable(steps, nonneg=True, name="import_excess_w")
    fixed_error_w = cp.Variable(steps, nonneg=True, name="fixed_error_w")
    imp = cp.Parameter(steps, nonneg=True, name="import_limit_w")
    excess_allowed = cp.Parameter(steps, nonneg=True, name="import_excess_allowed_w")
    exp = cp.Parameter(steps, nonneg=True, name="export_limit_w")
    gen = cp.Parameter(steps, nonneg=True, name="generation_limit_w")
    load = cp.Parameter(steps, nonneg=True, name="load_limit_w")
    fixed_mask = cp.Parameter(steps, nonneg=True, name="fixed_mask")
    fixed_w = cp.Parameter(steps, name="fixed_w")
    constraints: list[cp.Constraint] = [
        import_w - export_w == site_w,
        import_w <= imp + excess_w,
        # Only the inflexible load's own excess over the limit may go unhonoured: any
        # more would let a controllable asset trade a little excess for a discrete gain.
        excess_w <= excess_allowed,
        export_w <= exp,
        der_generation_w <= gen,
        der_load_w <= load,
        # fixed_w is zero wherever fixed_mask is, so it needs no mask of its own (and a
        # parameter times a parameter would break DPP).
        cp.multiply(fixed_mask, der_output_w) - fixed_w <= fixed_error_w,
        fixed_w - cp.multiply(fixed_mask, der_output_w) <= fixed_error_w,
    ]
    penalty = ENVELOPE_PENALTY_PER_KWH * hours / 1000.0 * cp.sum(excess_w + fixed_error_w)
    return EnvelopeModel(
        constraints=constraints,
        penalty=penalty,
        import_w=import_w,
        export_w=export_w,
        import_excess_w=excess_w,
        fixed_error_w=fixed_error_w,
        import_limit_w=imp,
        import_excess_allowed_w=excess_allowed,
        export_limit_w=exp,
        generation_limit_w=gen,
        load_limit_w=load,
        fixed_mask=fixed_mask,
        fixed_w=fixed_w,
    )


def update_envelope(
    model: EnvelopeModel, arrays: EnvelopeArrays, load_forecast_w: npt.NDArray[np.float64]
) -> None:
    """Set a built envelope's parameters for one solve.

    Parameters
    ----------
    model : EnvelopeModel
    arrays : EnvelopeArrays
    load_forecast_w : ndarray of float
        Inflexible load per interval [W]; where it alone exceeds the import limit, the
        difference is the most the plan may exceed it by.
    """
    model.import_limit_w.value = arrays.import_limit_w
    model.import_excess_allowed_w.value = np.maximum(load_forecast_w - arrays.import_limit_w, 0)
    model.export_limit_w.value = arrays.export_limit_w
    model.generation_limit_w.value = arrays.generation_limit_w
    model.load_limit_w.value = arrays.load_limit_w
    model.fixed_mask.value = arrays.fixed_mask
    model.fixed_w.value = arrays.fixed_w
