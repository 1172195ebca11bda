"""The 2030.5 session alone, driven through its session interface with a virtual clock.

No sockets: the real server runs in memory (:mod:`openderms.testing.memory_head_end`), and
no runtime or devices are involved; the test is the runtime, calling ``handle_timer``,
``exchange`` and ``flush`` with ``now`` and draining effects.
"""

from __future__ import annotations

from pathlib import Path

from openderms.client.runtime.session import LimitsChanged
from openderms.client.sep2.schedule import Job
from openderms.client.sep2.session import Sep2Session
from openderms.client.sep2.state import STATE_KEY, load_state
from openderms.schemas.sep2.enums import ResponseStatus
from openderms.testing.clock import VirtualClock
from openderms.testing.memory_head_end import memory_head_end


async def drive(session: Sep2Session, clock: VirtualClock, seconds: float) -> int:
    """One pass a second, as the runtime makes it; returns how many LimitsChanged came."""
    changes = 0
    end_s = clock.now_s + seconds
    while clock.now_s < end_s:
        clock.now_s += 1.0
        now = clock.now_s
        session.handle_timer(now)
        await session.exchange(now)
        session.handle_timer(now)
        await session.flush(now)
        while (effect := session.next_effect()) is not None:
            changes += isinstance(effect, LimitsChanged)
    return changes


async def test_sep2_session_walks_follows_a_control_and_answers_it(tmp_path: Path) -> None:
    async with memory_head_end(tmp_path) as server:
        session, clock = server.session, server.clock
        await session.start(clock.now_s, lambda: None)

        await drive(session, clock, 2)
        assert session.view is not None, "walked to its EndDevice"
        assert session.schedule.jobs[Job.WALK].rate_s == 10  # the server's pollRate
        control = await server.control({"op_mod_gen_lim_w": 3000}, duration_s=600, starts_in_s=15)
        changes = await drive(session, clock, 30)

        active = session.engine.active(clock.now_s)
        assert active.limits.generation_limit_w == 3000
        assert active.source == control["mrid"]
        assert changes >= 2  # the control was scheduled, then started
        assert {ResponseStatus.EVENT_RECEIVED, ResponseStatus.EVENT_STARTED} <= (
            await server.response_statuses()
        )
        # What must survive a restart is one typed document, not loose keys.
        assert session.store.get(STATE_KEY) is not None
        state = load_state(session.store)
        assert state.end_device_href == session.view.end_device_href
        assert state.last_contact_s is not None and state.last_contact_s > clock.now_s - 15
        assert len(state.responded) >= 2
