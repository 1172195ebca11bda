"""What a planner wishes of the site for one dispatch cycle, and what the dispatcher grants.

A :class:`SiteTargets` is a wish (the optimizer's plan for the interval in force); the
envelope is a hard limit. :func:`openderms.client.dispatch.targets.decide_targets` turns the
wish into a :class:`TargetDecision` that stays inside the envelope and the site limits, and
the dispatcher writes that. Pure data.

Signs follow :mod:`openderms.client.devices.capabilities`: battery power is positive when
discharging [W]; EV currents are per phase [A].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["SiteTargets", "TargetDecision"]


@dataclass(frozen=True, slots=True)
class SiteTargets:
    """The plan's setpoints for the interval in force."""

    battery_power_w: float | None = None
    """All batteries together, positive discharging, negative charging [W]; None leaves
    the batteries to the envelope-only policy."""
    ev_current_a: Mapping[str, float] = field(default_factory=dict)
    """Per charger: the most current per phase the plan wants offered [A]. The DLM
    allocates up to it from live meter readings; a charger not named has no plan cap."""
    heat_pump_w: Mapping[str, float] = field(default_factory=dict)
    """Per heat pump: planned electric power [W]; 0 means the plan does not need it on."""
    source: str = "optimizer"
    """Who made the wish (for logs and reports)."""

    def is_empty(self) -> bool:
        """True when the wish asks for nothing."""
        return self.battery_power_w is None and not self.ev_current_a and not self.heat_pump_w


@dataclass(frozen=True, slots=True)
class TargetDecision:
    """The targets after clamping: what the dispatcher writes."""

    battery_power_w: float | None = None
    """Battery setpoint for all batteries, positive discharging [W]; None: the envelope-only
    policy drives the batteries (no wish, or the envelope sets a target itself)."""
    ev_current_a: Mapping[str, float] = field(default_factory=dict)
    """Per charger: current per phase to offer, from the DLM [A]; 0 pauses."""
    heat_pump_mode: Mapping[str, int] = field(default_factory=dict)
    """Per heat pump: SG-Ready state, 1 blocked, 2 normal, 3 recommended on."""
    load_change_w: float = 0.0
    """Expected change of the chargers' draw once written, positive more load [W]; the PV
    limit counts it so that pausing a charger cannot push export over its limit."""
    clamped: tuple[str, ...] = ()
    """One line per target the envelope or the site cut, naming the limit."""
