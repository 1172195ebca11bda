"""Scheduling, randomization, supersession, primacy and defaults of the 2030.5 event engine.

Each test drives the engine with a virtual clock (no sleeps) and checks one rule of the
sep.xsd documentation (EventStatus, RandomizableEvent, DERProgram primacy,
DefaultDERControl).
"""

from __future__ import annotations

from events_support import T0, control, drain, engine, responses, run_until, snapshot

from openderms.client.envelope import EnvelopeLimits
from openderms.client.events import (
    DefaultControl,
    EventState,
    Program,
)
from openderms.client.sep2.responses import SendResponse
from openderms.schemas.sep2.enums import EventStatusCode, ResponseStatus

HOUR = 3600.0
NO_LIMITS = EnvelopeLimits()


def test_event_starts_at_interval_start() -> None:
    """An unrandomized event takes effect exactly at interval.start, not before."""
    eng = engine()
    eng.update(snapshot(control("A", start=T0 + 600, duration_s=1800)), T0)

    assert eng.next_deadline() == T0 + 600
    run_until(eng, T0 + 599.999)
    assert eng.active(T0 + 599.999).control is None
    run_until(eng, T0 + 600)
    assert eng.active(T0 + 600).limits.export_limit_w == 5000.0
    assert eng.tracked("A").state is EventState.ACTIVE


def test_event_ends_after_duration() -> None:
    """The event stops applying at interval.start + interval.duration."""
    eng = engine()
    eng.update(snapshot(control("A", start=T0 + 600, duration_s=1800)), T0)

    run_until(eng, T0 + 2399.9)
    assert eng.active(T0 + 2399.9).source == "A"
    run_until(eng, T0 + 2400)
    assert eng.active(T0 + 2400).control is None
    assert eng.tracked("A").state is EventState.COMPLETED


def test_randomize_start_offsets_within_bounds() -> None:
    """The start offset lies in [0, randomizeStart] (or [randomizeStart, 0]) and varies."""
    offsets: dict[float, list[float]] = {300.0: [], -300.0: []}
    for bound, drawn in offsets.items():
        for seed in range(200):
            eng = engine(seed=seed)
            eng.update(
                snapshot(control("A", start=T0 + HOUR, duration_s=HOUR, randomize_start_s=bound)),
                T0,
            )
            drawn.append(eng.tracked("A").start_offset_s)
            assert eng.next_deadline() == T0 + HOUR + drawn[-1]

    assert all(0.0 <= o <= 300.0 for o in offsets[300.0])
    assert all(-300.0 <= o <= 0.0 for o in offsets[-300.0])
    assert len(set(offsets[300.0])) > 150  # drawn, not a constant


def test_randomize_duration_offsets_within_bounds() -> None:
    """The event ends within [duration, duration + randomizeDuration] of its start."""
    for seed in range(100):
        eng = engine(seed=seed)
        eng.update(
            snapshot(control("A", start=T0, duration_s=HOUR, randomize_duration_s=-600)), T0
        )
        run_until(eng, T0)
        end = eng.next_deadline()
        assert end is not None
        assert T0 + HOUR - 600 <= end <= T0 + HOUR


def test_randomization_is_drawn_once_per_event() -> None:
    """Re-polling the same control keeps its drawn start (no re-randomization per poll)."""
    eng = engine()
    listed = snapshot(control("A", start=T0 + HOUR, duration_s=HOUR, randomize_start_s=900))
    eng.update(listed, T0)
    first = eng.next_deadline()

    for poll in range(1, 4):
        eng.update(listed, T0 + poll * 60)

    assert eng.next_deadline() == first


def test_same_seed_replays_same_schedule() -> None:
    """Randomness comes only from the injected Random: the same seed gives the same plan."""
    listed = snapshot(
        control("A", start=T0 + HOUR, duration_s=HOUR, randomize_start_s=900),
        control("B", start=T0 + 3 * HOUR, duration_s=HOUR, randomize_duration_s=600),
    )
    plans = []
    for _ in range(2):
        eng = engine(seed=42)
        eng.update(listed, T0)
        plans.append(eng.envelope(T0, 6 * HOUR))
    assert plans[0] == plans[1]


def test_newer_overlapping_event_supersedes_older_in_same_program() -> None:
    """A newer overlapping event ends the older one at its start; the older never resumes."""
    older = control("A", start=T0, duration_s=3 * HOUR, creation_time=T0 - 200)
    newer = control(
        "B", start=T0 + HOUR, duration_s=HOUR, creation_time=T0 - 100, export_limit_w=2000
    )
    eng = engine()
    eng.update(snapshot(older, newer), T0)
    plan = eng.envelope(T0, 4 * HOUR)

    effects = run_until(eng, T0 + 4 * HOUR)

    assert [(s.source, s.start - T0, s.end - T0) for s in plan.segments] == [
        ("A", 0, HOUR),
        ("B", HOUR, 2 * HOUR),  # and A does not come back
    ]
    assert responses(effects, "A") == [
        ResponseStatus.EVENT_RECEIVED,
        ResponseStatus.EVENT_STARTED,
        ResponseStatus.EVENT_SUPERSEDED,
    ]
    superseded_at = [
        e.at
        for e in effects
        if isinstance(e, SendResponse) and e.status is ResponseStatus.EVENT_SUPERSEDED
    ]
    assert superseded_at == [T0 + HOUR]
    assert eng.tracked("A").state is EventState.SUPERSEDED


def test_newer_event_starting_first_supersedes_older_before_it_starts() -> None:
    """An older event overlapped by an earlier-starting newer one never starts."""
    older = control("A", start=T0 + HOUR, duration_s=HOUR, creation_time=T0 - 200)
    newer = control("B", start=T0 + 1800, duration_s=HOUR, creation_time=T0 - 100)
    eng = engine()
    eng.update(snapshot(older, newer), T0)
    received = drain(eng)

    effects = run_until(eng, T0 + 4 * HOUR)

    assert responses(received, "A") == [ResponseStatus.EVENT_RECEIVED]
    assert responses(effects, "A") == [ResponseStatus.EVENT_SUPERSEDED]


def test_adjacent_events_in_same_program_do_not_supersede() -> None:
    """Events that only touch (end == start) both run to completion."""
    first = control("A", start=T0, duration_s=HOUR, creation_time=T0 - 200)
    second = control("B", start=T0 + HOUR, duration_s=HOUR, creation_time=T0 - 100)
    eng = engine()
    eng.update(snapshot(first, second), T0)

    effects = run_until(eng, T0 + 3 * HOUR)

    assert ResponseStatus.EVENT_COMPLETED in responses(effects, "A")
    assert ResponseStatus.EVENT_SUPERSEDED not in responses(effects)


def test_cancelled_newer_event_supersedes_nothing() -> None:
    """A newer event cancelled before it starts leaves the older one running to its end."""
    older = control("A", start=T0, duration_s=3 * HOUR, creation_time=T0 - 200)
    newer = control("B", start=T0 + HOUR, duration_s=HOUR, creation_time=T0 - 100)
    eng = engine()
    eng.update(snapshot(older, newer), T0)
    run_until(eng, T0 + 600)
    cancelled = control(
        "B",
        start=T0 + HOUR,
        duration_s=HOUR,
        creation_time=T0 - 100,
        server_status=EventStatusCode.CANCELLED,
    )
    eng.update(snapshot(older, cancelled), T0 + 600)

    effects = run_until(eng, T0 + 4 * HOUR)

    assert responses(effects, "A") == [ResponseStatus.EVENT_COMPLETED]
    assert eng.tracked("A").state is EventState.COMPLETED


PROGRAMS = (Program("P1", 1), Program("P2", 2))


def test_lower_primacy_program_wins() -> None:
    """Overlapping events of two programs: the program with the lower primacy value applies."""
    strong = control("S", program_id="P1", start=T0 + HOUR, duration_s=HOUR, export_limit_w=1000)
    weak = control(
        "W",
        program_id="P2",
        start=T0,
        duration_s=3 * HOUR,
        export_limit_w=4000,
        creation_time=T0 - 10,
    )
    eng = engine()
    eng.update(snapshot(strong, weak, programs=PROGRAMS), T0)
    run_until(eng, T0 + HOUR)

    now = eng.active(T0 + HOUR)

    assert now.source == "S"
    assert now.limits.export_limit_w == 1000
    assert [c.mrid for c in now.overridden] == ["W"]


def test_lower_priority_program_event_is_not_superseded_and_resumes() -> None:
    """The losing program's event is not superseded; it applies again after the winner ends."""
    strong = control("S", program_id="P1", start=T0 + HOUR, duration_s=HOUR, export_limit_w=1000)
    weak = control("W", program_id="P2", start=T0, duration_s=3 * HOUR, export_limit_w=4000)
    eng = engine()
    eng.update(snapshot(strong, weak, programs=PROGRAMS), T0)
    plan = eng.envelope(T0, 4 * HOUR)

    effects = run_until(eng, T0 + 4 * HOUR)

    assert [(s.source, s.start - T0, s.end - T0) for s in plan.segments] == [
        ("W", 0, HOUR),
        ("S", HOUR, 2 * HOUR),
        ("W", 2 * HOUR, 3 * HOUR),
    ]
    assert ResponseStatus.EVENT_SUPERSEDED not in responses(effects)
    assert responses(effects, "W") == [
        ResponseStatus.EVENT_RECEIVED,
        ResponseStatus.EVENT_STARTED,
        ResponseStatus.EVENT_COMPLETED,
    ]


def test_default_control_applies_when_no_event_active() -> None:
    """With no event in effect, the DefaultDERControl's limits are in force."""
    default = DefaultControl("P1", EnvelopeLimits(export_limit_w=10_000), mrid="D1")
    eng = engine()
    eng.update(snapshot(control("A", start=T0 + HOUR, duration_s=HOUR), defaults=[default]), T0)

    assert eng.active(T0).limits == EnvelopeLimits(export_limit_w=10_000)
    assert eng.active(T0).source == "default:D1"
    assert eng.active(T0 + 2 * HOUR).source == "default:D1"
    assert eng.envelope(T0, 4 * HOUR).baseline == EnvelopeLimits(export_limit_w=10_000)


def test_modes_unset_by_active_event_fall_back_to_default() -> None:
    """An export-limit event keeps the default's import limit (documented interpretation)."""
    default = DefaultControl("P1", EnvelopeLimits(export_limit_w=10_000, import_limit_w=8000))
    eng = engine()
    eng.update(snapshot(control("A", start=T0, duration_s=HOUR), defaults=[default]), T0)

    assert eng.active(T0).limits == EnvelopeLimits(export_limit_w=5000, import_limit_w=8000)


def test_highest_primacy_default_wins_and_lower_fills_unset_modes() -> None:
    """Defaults chain by primacy: the top one wins per mode, the next fills what it leaves."""
    top = DefaultControl("P1", EnvelopeLimits(export_limit_w=3000), mrid="D1")
    low = DefaultControl("P2", EnvelopeLimits(export_limit_w=9000, import_limit_w=7000))
    eng = engine()
    eng.update(snapshot(programs=PROGRAMS, defaults=[low, top]), T0)

    assert eng.active(T0).limits == EnvelopeLimits(export_limit_w=3000, import_limit_w=7000)


def test_no_default_means_no_limits() -> None:
    """Without events or defaults nothing is limited."""
    eng = engine()
    eng.update(snapshot(), T0)

    assert eng.active(T0).limits == NO_LIMITS
    assert eng.envelope(T0, HOUR).segments == ()


def test_newer_event_received_while_older_runs_supersedes_it_at_receipt() -> None:
    """A newer overlapping event whose window already began takes over the moment it arrives."""
    older = control("A", start=T0, duration_s=3 * HOUR, creation_time=T0 - 200)
    eng = engine()
    eng.update(snapshot(older), T0)
    run_until(eng, T0 + HOUR)
    newer = control(
        "B", start=T0 + 1800, duration_s=HOUR, creation_time=T0 + 1700, export_limit_w=2000
    )

    eng.update(snapshot(older, newer), T0 + HOUR)
    effects = drain(eng)

    sent = [(e.mrid, e.status, e.at) for e in effects if isinstance(e, SendResponse)]
    assert sent == [
        ("B", ResponseStatus.EVENT_RECEIVED, T0 + HOUR),
        ("A", ResponseStatus.EVENT_SUPERSEDED, T0 + HOUR),
        ("B", ResponseStatus.EVENT_STARTED, T0 + HOUR),
    ]
    assert eng.active(T0 + HOUR).source == "B"


def test_day_of_operating_envelopes_applies_each_step_on_time() -> None:
    """A CSIP-AUS day of 48 back-to-back 30-minute export limits: each applies exactly over
    its own interval, each is started and completed once, in order (a day in milliseconds)."""
    steps = [
        control(f"DOE{i:02d}", start=T0 + i * 1800, duration_s=1800, export_limit_w=1000.0 + i)
        for i in range(48)
    ]
    eng = engine()
    eng.update(snapshot(*steps), T0)

    effects = []
    for i in range(48):
        effects += run_until(eng, T0 + i * 1800)
        assert eng.active(T0 + i * 1800).limits.export_limit_w == 1000.0 + i
    effects += run_until(eng, T0 + 25 * HOUR)

    started = [(e.mrid, e.at) for e in effects if isinstance(e, SendResponse) and e.status == 2]
    assert started == [(f"DOE{i:02d}", T0 + i * 1800) for i in range(48)]
    completed = [e.mrid for e in effects if isinstance(e, SendResponse) and e.status == 3]
    assert completed == [f"DOE{i:02d}" for i in range(48)]
    assert all(eng.tracked(c.mrid).state is EventState.COMPLETED for c in steps)
