"""The event engine's neutral words in IEEE 2030.5 terms: Response statuses, responseRequired.

The engine (:mod:`openderms.client.events`) reports :class:`EventChange` values and
:class:`Rejection` reasons; a 2030.5 server hears Response statuses (IEEE 2030.5-2018
Table 27) posted to the control's ``replyTo``. ``responseRequired`` (sep.xsd
RespondableResource, HexBinary8) says which it wants: bit 0 "received", bit 1 the specific
statuses (started, completed, cancelled, superseded); rejections (252 not applicable, 253
invalid, 254 expired) are answered when bit 0 or bit 1 is set. Bit 2 (user response) is not
answered: a gateway has no user to ask. Pure tables, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntFlag

from openderms.client.events import EventChange, EventTransition, Rejection, SourceStatus
from openderms.schemas.sep2.enums import EventStatusCode, ResponseStatus

__all__ = [
    "EVENT_STATUS",
    "ResponseRequired",
    "SendResponse",
    "reports_for",
    "response_status",
    "send_response",
]


class ResponseRequired(IntFlag):
    """Bits of ``RespondableResource.responseRequired`` (sep.xsd, HexBinary8)."""

    NONE = 0
    """No Response wanted (the default, "00")."""
    MESSAGE_RECEIVED = 0x01
    """Bit 0: the end device shall indicate that the message was received."""
    SPECIFIC_RESPONSE = 0x02
    """Bit 1: the end device shall indicate specific responses (started, completed...)."""
    USER_RESPONSE = 0x04
    """Bit 2: an end user / customer response is required."""


EVENT_STATUS: dict[EventStatusCode, SourceStatus] = {
    EventStatusCode.SCHEDULED: SourceStatus.SCHEDULED,
    EventStatusCode.ACTIVE: SourceStatus.ACTIVE,
    EventStatusCode.CANCELLED: SourceStatus.CANCELLED,
    EventStatusCode.CANCELLED_WITH_RANDOMIZATION: SourceStatus.CANCELLED_WITH_RANDOMIZATION,
    EventStatusCode.SUPERSEDED: SourceStatus.SUPERSEDED,
}
"""``EventStatus.currentStatus`` (sep.xsd) as the engine's :class:`SourceStatus`."""

_CHANGE_STATUS: dict[EventChange, ResponseStatus] = {
    EventChange.RECEIVED: ResponseStatus.EVENT_RECEIVED,
    EventChange.STARTED: ResponseStatus.EVENT_STARTED,
    EventChange.COMPLETED: ResponseStatus.EVENT_COMPLETED,
    EventChange.CANCELLED: ResponseStatus.EVENT_CANCELLED,
    EventChange.SUPERSEDED: ResponseStatus.EVENT_SUPERSEDED,
}
_REJECTION_STATUS: dict[Rejection, ResponseStatus] = {
    Rejection.NOT_APPLICABLE: ResponseStatus.REJECTED_NOT_APPLICABLE,
    Rejection.INVALID: ResponseStatus.REJECTED_INVALID,
    Rejection.EXPIRED: ResponseStatus.REJECTED_EXPIRED,
}
_SPECIFIC = frozenset(
    {EventChange.STARTED, EventChange.COMPLETED, EventChange.CANCELLED, EventChange.SUPERSEDED}
)


def response_status(change: EventChange, rejection: Rejection | None = None) -> ResponseStatus:
    """The Table 27 status that reports ``change`` (a rejection without a reason is 253)."""
    if change is EventChange.REJECTED:
        return _REJECTION_STATUS[rejection or Rejection.INVALID]
    return _CHANGE_STATUS[change]


def reports_for(required: ResponseRequired) -> frozenset[EventChange]:
    """The changes a control with this ``responseRequired`` wants to hear of."""
    wanted: set[EventChange] = set()
    if required & ResponseRequired.MESSAGE_RECEIVED:
        wanted |= {EventChange.RECEIVED, EventChange.REJECTED}
    if required & ResponseRequired.SPECIFIC_RESPONSE:
        wanted |= _SPECIFIC | {EventChange.REJECTED}
    return frozenset(wanted)


@dataclass(frozen=True, slots=True)
class SendResponse:
    """A Response to post to a control's ``replyTo`` (2030.5 Response function set)."""

    reply_to: str
    """The collection to POST to (the control's replyTo)."""
    mrid: str
    """The control's mRID: the Response's ``subject``."""
    status: ResponseStatus
    """Table 27 status."""
    at: float
    """When the status occurred: the Response's ``createdDateTime`` [s since epoch]."""


def send_response(transition: EventTransition) -> SendResponse:
    """The Response that reports one of the engine's transitions."""
    return SendResponse(
        reply_to=transition.reply_to,
        mrid=transition.mrid,
        status=response_status(transition.change, transition.rejection),
        at=transition.at,
    )
