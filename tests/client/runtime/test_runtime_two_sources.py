"""Two protocols feed one site: the 2030.5 session and a second, fake one side by side.

The fake session stands where the OpenADR VEN will: a few dozen lines behind the same
session interface, with its own event engine. Its VTN's snapshots and the 2030.5 server's
walks each replace only their own source's events, and the limits that reach the devices
are the most restrictive of both. No sockets: the 2030.5 server runs in memory.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from openderms.client.config import TimingConfig
from openderms.client.envelope import EnvelopeLimits
from openderms.client.events import (
    EnvelopeChanged,
    EventChange,
    EventEngine,
    EventState,
    EventTransition,
    Program,
    ProgramSnapshot,
    ScheduledControl,
)
from openderms.client.runtime.gateway import GatewayRuntime
from openderms.client.runtime.session import FaultChange, LimitsChanged, SessionEffect
from openderms.client.runtime.site import DeviceFault, SiteReading
from openderms.schemas.sep2.enums import ResponseStatus
from openderms.testing.memory_head_end import memory_head_end


class FakeVenSession:
    """A second protocol: its VTN hands over whole snapshots; it reports what changed."""

    source = "fake"

    def __init__(self, now: float) -> None:
        self.engine = EventEngine(random.Random(1), now)
        self.inbox: deque[ProgramSnapshot] = deque()
        self.heard: list[tuple[str, EventChange]] = []
        self._effects: deque[SessionEffect] = deque()

    async def start(self, now: float, wake: Callable[[], None]) -> None: ...
    async def close(self) -> None: ...
    def next_deadline(self) -> float | None:
        return self.engine.next_deadline()

    def handle_timer(self, now: float) -> None:
        while self.inbox:
            self.engine.update(self.inbox.popleft(), now)
        self.engine.handle_timer(now)
        while (effect := self.engine.next_effect()) is not None:
            if isinstance(effect, EventTransition):
                self.heard.append((effect.mrid, effect.change))
            elif isinstance(effect, EnvelopeChanged):
                self._effects.append(LimitsChanged(now))

    def handle_reading(self, reading: SiteReading, now: float) -> None: ...
    def handle_faults(self, changes: Sequence[FaultChange], now: float) -> None: ...
    def next_effect(self) -> SessionEffect | None:
        return self._effects.popleft() if self._effects else None

    async def exchange(self, now: float) -> None: ...
    async def flush(self, now: float) -> None: ...
    def status(self) -> dict[str, Any]:
        return {}


def vtn_event(start_s: float, export_limit_w: float) -> ProgramSnapshot:
    event = ScheduledControl(
        mrid="vtn-event-1",
        program_id="vtn-program",
        creation_time=start_s - 60,
        start=start_s,
        duration_s=900,
        limits=EnvelopeLimits(export_limit_w=export_limit_w),
        reply_to="vtn",
        reports=frozenset(EventChange),
    )
    return ProgramSnapshot(programs=(Program("vtn-program", 0),), controls=(event,))


class RecordingSite:
    def __init__(self) -> None:
        self.applied: list[EnvelopeLimits] = []

    async def read(self, now: float) -> SiteReading:
        return SiteReading()

    async def apply(self, limits: EnvelopeLimits, now: float) -> list[DeviceFault]:
        self.applied.append(limits)
        return []

    async def close(self) -> None: ...


async def test_two_sources_feed_one_site_and_neither_cancels_the_other(tmp_path: Path) -> None:
    async with memory_head_end(tmp_path) as server:
        clock, sep2 = server.clock, server.session
        fake = FakeVenSession(clock.now_s)
        site = RecordingSite()
        runtime = GatewayRuntime(
            sessions=[sep2, fake],
            site=site,
            timing=TimingConfig(sample_s=10.0, dispatch_s=10.0),
            clock=clock,
            site_clock=sep2.clock_offset.server_now,
        )
        await runtime.start()

        async def run_for(seconds: float) -> None:
            end_s = clock.now_s + seconds
            while clock.now_s < end_s:
                clock.now_s += 1.0
                await runtime.step(clock.now_s)

        await run_for(2)
        control = await server.control({"op_mod_gen_lim_w": 3000}, duration_s=600, starts_in_s=5)
        fake.inbox.append(vtn_event(clock.now_s + 5, export_limit_w=2000))
        await run_for(40)  # four 2030.5 walks (pollRate 10 s) while the VTN event runs

        assert sep2.engine.tracked(control["mrid"]).state is EventState.ACTIVE
        assert fake.engine.tracked("vtn-event-1").state is EventState.ACTIVE
        assert site.applied[-1] == EnvelopeLimits(generation_limit_w=3000, export_limit_w=2000)
        assert runtime.limits_source == f"sep2:{control['mrid']} + fake:vtn-event-1"
        assert fake.heard == [
            ("vtn-event-1", EventChange.RECEIVED),
            ("vtn-event-1", EventChange.STARTED),
        ]

        fake.inbox.append(ProgramSnapshot(programs=(Program("vtn-program", 0),)))  # withdrawn
        await run_for(15)

        assert fake.heard[-1] == ("vtn-event-1", EventChange.CANCELLED)
        assert sep2.engine.tracked(control["mrid"]).state is EventState.ACTIVE
        assert site.applied[-1] == EnvelopeLimits(generation_limit_w=3000)
        statuses = await server.response_statuses()
        assert {ResponseStatus.EVENT_RECEIVED, ResponseStatus.EVENT_STARTED} <= statuses
        assert ResponseStatus.EVENT_CANCELLED not in statuses
        await runtime.close()
