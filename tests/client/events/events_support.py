"""Builders and a virtual clock for the event-engine tests (no sockets, no sleeps).

The engine speaks neutral transitions; these tests state their rules in IEEE 2030.5 terms,
so the builders take 2030.5 EventStatus and responseRequired values and :func:`drain`
turns the engine's transitions into the Responses the 2030.5 adapter would post
(:mod:`openderms.client.sep2.responses`).
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from openderms.client.envelope import EnvelopeLimits
from openderms.client.events import (
    DefaultControl,
    Effect,
    EngineConfig,
    EventEngine,
    EventTransition,
    Program,
    ProgramSnapshot,
    ScheduledControl,
)
from openderms.client.sep2.responses import (
    EVENT_STATUS,
    ResponseRequired,
    SendResponse,
    reports_for,
    send_response,
)
from openderms.schemas.sep2.enums import EventStatusCode, ResponseStatus

T0 = 1_700_000_000.0
"""An arbitrary epoch instant the virtual clock starts from [s]."""
REPLY_TO = "/rsps/1/rsp"
ALL_RESPONSES = ResponseRequired.MESSAGE_RECEIVED | ResponseRequired.SPECIFIC_RESPONSE


def control(
    mrid: str,
    *,
    start: float,
    duration_s: float,
    program_id: str = "P1",
    creation_time: float = T0 - 100.0,
    export_limit_w: float | None = 5000.0,
    limits: EnvelopeLimits | None = None,
    randomize_start_s: float = 0.0,
    randomize_duration_s: float = 0.0,
    server_status: EventStatusCode = EventStatusCode.SCHEDULED,
    response_required: ResponseRequired = ALL_RESPONSES,
    reply_to: str | None = REPLY_TO,
) -> ScheduledControl:
    """A control with sensible defaults: an export limit, Responses wanted."""
    return ScheduledControl(
        mrid=mrid,
        program_id=program_id,
        creation_time=creation_time,
        start=start,
        duration_s=duration_s,
        randomize_start_s=randomize_start_s,
        randomize_duration_s=randomize_duration_s,
        server_status=EVENT_STATUS[server_status],
        limits=limits if limits is not None else EnvelopeLimits(export_limit_w=export_limit_w),
        reply_to=reply_to,
        reports=reports_for(response_required),
    )


def snapshot(
    *controls: ScheduledControl,
    programs: Iterable[Program] = (Program("P1", 1),),
    defaults: Iterable[DefaultControl] = (),
) -> ProgramSnapshot:
    """A snapshot of the given controls under the given programs."""
    return ProgramSnapshot(programs=tuple(programs), controls=controls, defaults=tuple(defaults))


def engine(now: float = T0, *, seed: int = 7, config: EngineConfig | None = None) -> EventEngine:
    """An engine with a seeded random source."""
    return EventEngine(random.Random(seed), now, config)


def drain(engine: EventEngine) -> list[Effect | SendResponse]:
    """Every pending effect, oldest first, transitions as the 2030.5 Responses they become."""
    effects: list[Effect | SendResponse] = []
    while (effect := engine.next_effect()) is not None:
        effects.append(send_response(effect) if isinstance(effect, EventTransition) else effect)
    return effects


def responses(
    effects: Iterable[Effect | SendResponse], mrid: str | None = None
) -> list[ResponseStatus]:
    """The Response statuses among ``effects``, optionally for one control."""
    return [
        e.status
        for e in effects
        if isinstance(e, SendResponse) and (mrid is None or e.mrid == mrid)
    ]


def run_until(engine: EventEngine, until: float) -> list[Effect | SendResponse]:
    """Drive the engine's timer like the runtime would, up to ``until``; collect effects."""
    effects = drain(engine)
    while (deadline := engine.next_deadline()) is not None and deadline <= until:
        engine.handle_timer(deadline)
        effects.extend(drain(engine))
    engine.handle_timer(until)
    effects.extend(drain(engine))
    return effects
