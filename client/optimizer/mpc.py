"""Model-predictive control glue for the runtime: when to re-plan, and what a plan asks of
each charger now. Pure: time is passed in.

The gateway re-plans every ``replan_interval_s`` (15 minutes) and also at once whenever
the envelope, the prices or a device state change; between plans it executes the interval
of the plan that contains ``now``, and the DLM takes the chargers' currents from
:func:`ev_targets_a` as targets.
"""

from __future__ import annotations

from dataclasses import dataclass

from openderms.client.envelope import GridEnvelope
from openderms.client.optimizer.plan import Plan

__all__ = ["ReplanSchedule", "ev_targets_a"]


@dataclass(frozen=True, slots=True)
class ReplanSchedule:
    """When the next plan is due."""

    replan_interval_s: float = 900.0
    """Regular re-plan period [s]."""

    def next_replan_s(
        self, last_plan_s: float | None, now: float, envelope: GridEnvelope | None = None
    ) -> float:
        """The time the next plan is due [s since epoch].

        Parameters
        ----------
        last_plan_s : float or None
            When the current plan was made; None if there is none (due now).
        now : float
            Current time [s since epoch].
        envelope : GridEnvelope, optional
            A scheduled change of limits (a control starting or ending) is a reason to
            re-plan at that instant.
        """
        if last_plan_s is None:
            return now
        due = last_plan_s + self.replan_interval_s
        if envelope is not None:
            change = envelope.next_change(last_plan_s)
            if change is not None:
                due = min(due, change)
        return due

    def is_due(
        self,
        last_plan_s: float | None,
        now: float,
        inputs_changed: bool = False,
        envelope: GridEnvelope | None = None,
    ) -> bool:
        """True when a plan should be made at ``now``.

        ``inputs_changed`` is the runtime's flag for a new envelope, new prices or a
        changed device state (a car plugged in, a new SoC target).
        """
        return inputs_changed or now >= self.next_replan_s(last_plan_s, now, envelope)


def ev_targets_a(plan: Plan, now: float) -> dict[str, float]:
    """Per-phase current each charger should offer at ``now``, from the plan [A].

    Returns an empty mapping outside the plan: with no plan in force the DLM falls back to
    each charger's maximum, inside the site limits.
    """
    index = plan.interval_at(now)
    if index is None:
        return {}
    return {charger_id: currents[index] for charger_id, currents in plan.ev_current_a.items()}
