"""The lifecycle of one event at the client: every legal transition, in one table.

Two rules for this module (after h11's ``_state.py``):

1. Everything that decides how an event's status changes, and which Response a change
   produces, lives in :data:`TRANSITIONS`; the engine only decides *when* a trigger fires.
2. The table does not know about time, programs or primacy. Whether an event's limits are
   applied at an instant (primacy across programs, comms-loss fallback) is a question for
   the engine's timeline, not a status.

The table speaks neutral :class:`EventChange` values; each protocol adapter maps them to its
own answers (:mod:`openderms.client.sep2.responses` to IEEE 2030.5-2018 Table 27 Response
statuses). Interpretations of the standard:

- ``STARTED`` reports the event's own effective start (interval.start plus its start
  randomization), as the server's EventStatus "Active" does. An event from a lower-primacy
  program that is overridden while it runs is still started; it is not superseded (sep.xsd
  EventStatus 4 speaks only of events "from the same program").
- An event that reaches a terminal status is never revived: a later Cancelled or Superseded
  status from the server for a completed event is ignored, silently.
- An event first seen when it is already over is reported rejected as expired (2030.5: 254)
  and never applied; one first seen already cancelled or superseded is reported with that
  change and never applied; one that asks for modes the site cannot honour is reported
  rejected as not applicable (2030.5: 252).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from openderms.client.events.errors import LocalProtocolError, Rejection

__all__ = [
    "TERMINAL",
    "TRANSITIONS",
    "EventChange",
    "EventState",
    "Transition",
    "Trigger",
    "mermaid_diagram",
    "transition",
]


class EventState(enum.Enum):
    """Where one event stands at this client."""

    NEW = "new"
    """Not yet processed (the engine's starting point for every mRID)."""
    SCHEDULED = "scheduled"
    """Received; its effective start lies ahead."""
    ACTIVE = "active"
    """Its effective window has begun and it has not ended."""
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    SUPERSEDED = "superseded"
    EXPIRED = "expired"
    """Received after its end; never applied."""
    REJECTED = "rejected"
    """Asks for something the site cannot do; never applied."""


class Trigger(enum.Enum):
    """What can happen to an event."""

    RECEIVE = "receive"
    """First seen, still ahead or running, applicable."""
    START = "start"
    """Its effective start is reached."""
    END = "end"
    """Its effective end is reached."""
    CANCEL = "cancel"
    """The server cancelled it (status 2, or 3 once the random delay is over), or stopped
    listing it."""
    SUPERSEDE = "supersede"
    """A newer overlapping event of the same program started, or the server said status 4."""
    EXPIRE = "expire"
    """First seen after its effective end."""
    REJECT = "reject"
    """First seen, asks for modes the site cannot honour."""


class EventChange(enum.Enum):
    """What a transition reports to the event's source, in no protocol's words."""

    RECEIVED = "received"
    STARTED = "started"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    SUPERSEDED = "superseded"
    REJECTED = "rejected"
    """Never applied; :attr:`Transition.rejection` says why."""


@dataclass(frozen=True, slots=True)
class Transition:
    """The outcome of one trigger in one state."""

    state: EventState
    """The state after the trigger."""
    change: EventChange | None
    """What this step reports to the source, or None."""
    rejection: Rejection | None = None
    """Why, when ``change`` is REJECTED."""


_S = EventState
_T = Trigger
_C = EventChange

TERMINAL: frozenset[EventState] = frozenset(
    {_S.COMPLETED, _S.CANCELLED, _S.SUPERSEDED, _S.EXPIRED, _S.REJECTED}
)

TRANSITIONS: dict[tuple[EventState, Trigger], Transition] = {
    # First sight.
    (_S.NEW, _T.RECEIVE): Transition(_S.SCHEDULED, _C.RECEIVED),
    (_S.NEW, _T.EXPIRE): Transition(_S.EXPIRED, _C.REJECTED, Rejection.EXPIRED),
    (_S.NEW, _T.REJECT): Transition(_S.REJECTED, _C.REJECTED, Rejection.NOT_APPLICABLE),
    (_S.NEW, _T.CANCEL): Transition(_S.CANCELLED, _C.CANCELLED),
    (_S.NEW, _T.SUPERSEDE): Transition(_S.SUPERSEDED, _C.SUPERSEDED),
    # Waiting for the effective start.
    (_S.SCHEDULED, _T.START): Transition(_S.ACTIVE, _C.STARTED),
    (_S.SCHEDULED, _T.CANCEL): Transition(_S.CANCELLED, _C.CANCELLED),
    (_S.SCHEDULED, _T.SUPERSEDE): Transition(_S.SUPERSEDED, _C.SUPERSEDED),
    # Running.
    (_S.ACTIVE, _T.END): Transition(_S.COMPLETED, _C.COMPLETED),
    (_S.ACTIVE, _T.CANCEL): Transition(_S.CANCELLED, _C.CANCELLED),
    (_S.ACTIVE, _T.SUPERSEDE): Transition(_S.SUPERSEDED, _C.SUPERSEDED),
    # The server's status can lag ours: a finished event stays finished, without a Response.
    **{
        (state, trigger): Transition(state, None)
        for state in (_S.COMPLETED, _S.CANCELLED, _S.SUPERSEDED, _S.EXPIRED, _S.REJECTED)
        for trigger in (_T.CANCEL, _T.SUPERSEDE)
    },
}


def transition(state: EventState, trigger: Trigger) -> Transition:
    """Look up what ``trigger`` does in ``state``.

    Raises
    ------
    LocalProtocolError
        When the table has no such transition (an engine bug, never the server's fault).
    """
    try:
        return TRANSITIONS[(state, trigger)]
    except KeyError:
        raise LocalProtocolError(
            f"no transition for {trigger.value!r} in state {state.value!r}"
        ) from None


def mermaid_diagram() -> str:
    """The transition table as a Mermaid state diagram, made from the table so a picture of
    the states cannot drift from the code (paste it into any Mermaid renderer).

    Returns
    -------
    str
        ``stateDiagram-v2`` text; each edge is labelled ``trigger / change``.
    """
    lines = ["stateDiagram-v2", f"    [*] --> {EventState.NEW.name}"]
    for (state, trigger), step in TRANSITIONS.items():
        if step.state is state and step.change is None:
            continue  # the "server status lags ours" no-ops would only add noise
        label = trigger.value
        if step.change is not None:
            label += f" / {step.change.value}"
            if step.rejection is not None:
                label += f" ({step.rejection.value})"
        lines.append(f"    {state.name} --> {step.state.name}: {label}")
    lines.extend(f"    {state.name} --> [*]" for state in EventState if state in TERMINAL)
    return "\n".join(lines)
