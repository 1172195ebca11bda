"""The shape every constraint builder returns, so the planner can add them up."""

from __future__ import annotations

from dataclasses import dataclass, field

import cvxpy as cp

__all__ = [
    "COMFORT_PENALTY_PER_KELVIN_HOUR",
    "ENVELOPE_PENALTY_PER_KWH",
    "TARGET_PENALTY_PER_KWH",
    "Terms",
]


@dataclass(slots=True)
class Terms:
    """What one asset adds to the problem.

    Every power expression is a vector over the horizon's intervals, average power over
    the interval [W]. Costs are in currency units, already scaled by interval length.
    """

    constraints: list[cp.Constraint] = field(default_factory=list)
    site_w: cp.Expression | float = 0.0
    """Contribution to site power at the connection point, positive imports [W]."""
    der_generation_w: cp.Expression | float = 0.0
    """Generation of controlled DER, counted against opModGenLimW [W]."""
    der_load_w: cp.Expression | float = 0.0
    """Load or charge of controlled DER, counted against opModLoadLimW [W]."""
    der_output_w: cp.Expression | float = 0.0
    """Net output of the generating DER (PV, battery), held by opModFixedW and
    opModTargetW; positive generates [W]. Chargers and heat pumps are loads, not part of
    it."""
    cost: cp.Expression | float = 0.0
    """Economic terms that belong to the asset (degradation, surplus value) [currency]."""
    penalty: cp.Expression | float = 0.0
    """Penalized slack for targets that cannot be met [currency-equivalent]."""


# Penalties put targets in an order: the envelope first, then people's targets, then money.
# They are far above any plausible energy price, so a target is missed only when it cannot
# be met, never because missing it is cheaper.
ENVELOPE_PENALTY_PER_KWH = 1000.0
"""Price of exceeding an envelope limit the site cannot honour [currency/kWh]."""
TARGET_PENALTY_PER_KWH = 10.0
"""Price of energy missing from an EV or battery-reserve target [currency/kWh]."""
COMFORT_PENALTY_PER_KELVIN_HOUR = 3.0
"""Price of leaving a heat pump's comfort band [currency/(K h)]."""
