"""The EventStatus of a DERControl, derived at read time (IEEE 2030.5 §10.10, Table 27).

Nothing stores a status: the status follows from the control's times and two facts the
server records (cancelled at, superseded at) and from ``now``. This module is the one
place the transitions live:

=========================  ======================  ==================================
fact at ``now``            currentStatus           dateTime
=========================  ======================  ==================================
superseded                 4 Superseded            when it was superseded
cancelled                  2 Cancelled, or 3 with  when it was cancelled
                           randomization
started (now >= start)     1 Active                start of the event
otherwise                  0 Scheduled             creationTime
=========================  ======================  ==================================
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

__all__ = ["ControlFacts", "EventStatusCode", "StatusAt", "event_status_at"]


class EventStatusCode(IntEnum):
    """EventStatus.currentStatus (sep.xsd)."""

    SCHEDULED = 0
    ACTIVE = 1
    CANCELLED = 2
    CANCELLED_WITH_RANDOMIZATION = 3
    SUPERSEDED = 4


@dataclass(frozen=True, slots=True)
class ControlFacts:
    """What the status depends on (all times in seconds since the epoch)."""

    creation_time: int
    start_time: int
    duration_s: int
    cancelled_time: int | None = None
    cancel_randomized: bool = False
    superseded_time: int | None = None


@dataclass(frozen=True, slots=True)
class StatusAt:
    """EventStatus content: currentStatus and its dateTime [s]."""

    code: EventStatusCode
    date_time: int


def event_status_at(facts: ControlFacts, now: int) -> StatusAt:
    """The EventStatus of a control at `now` [s] (see the module table)."""
    if facts.superseded_time is not None and facts.superseded_time <= now:
        return StatusAt(EventStatusCode.SUPERSEDED, facts.superseded_time)
    if facts.cancelled_time is not None and facts.cancelled_time <= now:
        code = (
            EventStatusCode.CANCELLED_WITH_RANDOMIZATION
            if facts.cancel_randomized
            else EventStatusCode.CANCELLED
        )
        return StatusAt(code, facts.cancelled_time)
    if now >= facts.start_time:
        return StatusAt(EventStatusCode.ACTIVE, facts.start_time)
    return StatusAt(EventStatusCode.SCHEDULED, facts.creation_time)
