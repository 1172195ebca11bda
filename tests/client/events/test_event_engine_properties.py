"""Property tests: the envelope is a proper timeline and the winning event sets its limits."""

from __future__ import annotations

import itertools

from events_support import T0, engine, run_until, snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

from openderms.client.envelope import EnvelopeLimits, GridEnvelope
from openderms.client.events import (
    DefaultControl,
    EngineConfig,
    Program,
    ScheduledControl,
)
from openderms.client.sep2.responses import EVENT_STATUS
from openderms.schemas.sep2.enums import EventStatusCode

HORIZON_S = 12 * 3600.0
PROGRAM_IDS = ("P1", "P2", "P3")


@st.composite
def programs(draw: st.DrawFn) -> tuple[Program, ...]:
    """Three programs; primacies may tie."""
    return tuple(Program(p, draw(st.integers(0, 3))) for p in PROGRAM_IDS)


@st.composite
def any_controls(draw: st.DrawFn) -> list[ScheduledControl]:
    """Controls of any shape: overlapping, randomized, some cancelled or superseded."""
    count = draw(st.integers(0, 8))
    controls = []
    for index in range(count):
        controls.append(
            ScheduledControl(
                mrid=f"E{index}",
                program_id=draw(st.sampled_from(PROGRAM_IDS)),
                creation_time=T0 - draw(st.integers(1, 10_000)),
                start=T0 + draw(st.integers(-3600, 10 * 3600)),
                duration_s=draw(st.integers(0, 4 * 3600)),
                randomize_start_s=draw(st.integers(-3600, 3600)),
                randomize_duration_s=draw(st.integers(-3600, 3600)),
                server_status=EVENT_STATUS[draw(st.sampled_from(list(EventStatusCode)))],
                limits=EnvelopeLimits(export_limit_w=float(draw(st.integers(0, 10_000)))),
            )
        )
    return controls


@st.composite
def cross_program_controls(draw: st.DrawFn) -> list[ScheduledControl]:
    """Unrandomized controls that overlap across programs but never within one."""
    controls: list[ScheduledControl] = []
    creation = itertools.count(1)
    for program_id in PROGRAM_IDS:
        at = T0 + draw(st.integers(0, 3600))
        for _ in range(draw(st.integers(0, 4))):
            duration = draw(st.integers(60, 3 * 3600))
            controls.append(
                ScheduledControl(
                    mrid=f"{program_id}-{len(controls)}",
                    program_id=program_id,
                    creation_time=T0 - 10_000 + next(creation) * draw(st.integers(1, 50)),
                    start=at,
                    duration_s=duration,
                    limits=EnvelopeLimits(export_limit_w=float(draw(st.integers(0, 10_000)))),
                )
            )
            at += duration + draw(st.integers(0, 3600))
    return controls


def _check_timeline(plan: GridEnvelope, start: float, end: float) -> None:
    for earlier, later in itertools.pairwise(plan.segments):
        assert earlier.end <= later.start, (earlier, later)
    for segment in plan.segments:
        assert start <= segment.start < segment.end <= end


@settings(max_examples=150, deadline=None)
@given(programs(), any_controls(), st.integers(0, 2**32 - 1))
def test_envelope_never_contains_overlapping_segments(
    programs_: tuple[Program, ...], controls: list[ScheduledControl], seed: int
) -> None:
    """Whatever the server sends, every envelope is a non-overlapping timeline in the horizon,
    and it agrees with active() at every instant, as the clock runs through the schedule."""
    eng = engine(seed=seed, config=EngineConfig(comms_loss_timeout_s=6 * 3600.0))
    eng.update(snapshot(*controls, programs=programs_), T0)
    now = T0
    while now < T0 + HORIZON_S:
        plan = eng.envelope(now, HORIZON_S)
        _check_timeline(plan, now, now + HORIZON_S)
        for t in [now, *plan.boundaries(now, now + HORIZON_S)]:
            assert plan.at(t) == eng.active(t).limits
        deadline = eng.next_deadline()
        if deadline is None:
            break
        assert deadline > now  # handle_timer always makes progress
        now = deadline
        run_until(eng, now)


def _oracle(
    t: float,
    controls: list[ScheduledControl],
    primacy: dict[str, int],
    default: EnvelopeLimits,
) -> tuple[EnvelopeLimits, str]:
    covering = [c for c in controls if c.start <= t < c.end]
    if not covering:
        return default, "default:D"
    winner = min(covering, key=lambda c: (primacy[c.program_id], -c.creation_time, c.mrid))
    return winner.limits.merged_over(default), winner.mrid


@settings(max_examples=150, deadline=None)
@given(programs(), cross_program_controls(), st.integers(0, 20_000))
def test_limits_at_every_instant_come_from_the_winning_event(
    programs_: tuple[Program, ...], controls: list[ScheduledControl], import_limit: int
) -> None:
    """At each instant: the lowest-primacy (then newest) covering event, over the default."""
    default_limits = EnvelopeLimits(export_limit_w=20_000.0, import_limit_w=float(import_limit))
    defaults = [DefaultControl("P1", default_limits, mrid="D")]
    primacy = {p.program_id: p.primacy for p in programs_}
    eng = engine()
    eng.update(snapshot(*controls, programs=programs_, defaults=defaults), T0)

    plan = eng.envelope(T0, HORIZON_S)

    edges = sorted({T0, *(c.start for c in controls), *(c.end for c in controls)})
    instants = [t for t in edges if t < T0 + HORIZON_S]
    instants += [(a + b) / 2 for a, b in itertools.pairwise(instants)]
    for t in sorted(instants):
        expected_limits, expected_source = _oracle(t, controls, primacy, default_limits)
        assert plan.at(t) == expected_limits, t - T0
        if expected_source != "default:D":
            assert plan.source_at(t) == expected_source
    # And the live clock agrees with the plan made at T0.
    for t in sorted(instants):
        run_until(eng, t)
        assert eng.active(t).source == _oracle(t, controls, primacy, default_limits)[1]
