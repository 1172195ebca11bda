"""What the event engine asks its runtime to do, pulled with ``next_effect()``.

Small frozen dataclasses under one :class:`Effect` marker base (after aioquic's
``QuicEvent``). Times are seconds since the epoch: ``at`` is when the thing happened at the
site, which may be earlier than when the runtime drains it.
"""

from __future__ import annotations

from dataclasses import dataclass

from openderms.client.envelope import EnvelopeLimits
from openderms.client.events.errors import Rejection
from openderms.client.events.states import EventChange

__all__ = ["CommsLost", "CommsRestored", "Effect", "EnvelopeChanged", "EventTransition"]


@dataclass(frozen=True, slots=True)
class Effect:
    """Marker base of every effect."""


@dataclass(frozen=True, slots=True)
class EventTransition(Effect):
    """Tell the event's source that the event changed (the source asked to hear of it).

    The protocol adapter answers in its own words: a 2030.5 Response to ``replyTo``
    (:mod:`openderms.client.sep2.responses`), an OpenADR report.
    """

    reply_to: str
    """Where the source wants to hear of it (the control's ``reply_to``)."""
    mrid: str
    """The event's identity within its source."""
    change: EventChange
    rejection: Rejection | None
    """Why, when ``change`` is REJECTED."""
    at: float
    """When the change happened [s since epoch]."""


@dataclass(frozen=True, slots=True)
class EnvelopeChanged(Effect):
    """The limits in force, or the plan ahead, changed: re-read ``envelope()``."""

    at: float
    """When the change took effect [s since epoch]."""
    limits: EnvelopeLimits
    """The limits in force at ``at``."""
    source: str
    """Where they come from: a control's mRID, ``default:<mRID>``, ``none`` or ``fallback``."""


@dataclass(frozen=True, slots=True)
class CommsLost(Effect):
    """No server contact for ``comms_loss_timeout_s``: the fallback limits now apply."""

    at: float
    """When the timeout elapsed [s since epoch]."""
    last_contact: float
    """The last time the server was heard from [s since epoch]."""


@dataclass(frozen=True, slots=True)
class CommsRestored(Effect):
    """The source answered again after a comms loss.

    The runtime should fetch a fresh snapshot and call ``update()`` (``resync_required``);
    the transitions held while offline follow this effect, each with its own ``at``.
    """

    at: float
    """When contact returned [s since epoch]."""
    lost_at: float
    """When the comms loss was declared [s since epoch]."""
    offline_s: float
    """Time from the last contact before the loss to ``at`` [s]."""
    held_responses: int
    """How many transitions were held while offline (they follow this effect)."""
    resync_required: bool = True
    """Always True: the held schedule may be stale."""
