"""Cancellation, Responses, expiry and comms loss of the 2030.5 event engine.

Rules from sep.xsd (EventStatus 2/3/4, RespondableResource.responseRequired) and IEEE
2030.5-2018 Table 27 (Response status values). Virtual clock throughout.
"""

from __future__ import annotations

from dataclasses import replace

from events_support import (
    T0,
    control,
    drain,
    engine,
    responses,
    run_until,
    snapshot,
)

from openderms.client.envelope import EnvelopeLimits
from openderms.client.events import (
    CommsLost,
    CommsRestored,
    DefaultControl,
    EngineConfig,
    EnvelopeChanged,
    EventState,
    ScheduledControl,
)
from openderms.client.sep2.responses import EVENT_STATUS, ResponseRequired, SendResponse
from openderms.schemas.sep2.enums import EventStatusCode, ResponseStatus

HOUR = 3600.0
R = ResponseStatus


def _with_status(listed: ScheduledControl, status: EventStatusCode) -> ScheduledControl:
    """The same control as the server lists it after a status change."""
    return replace(listed, server_status=EVENT_STATUS[status])


def test_responses_sent_at_each_transition() -> None:
    """received at receipt, started at the effective start, completed at the end."""
    eng = engine()
    eng.update(snapshot(control("A", start=T0 + 600, duration_s=1800)), T0)

    effects = run_until(eng, T0 + HOUR)

    sent = [
        (e.status, e.at - T0, e.mrid, e.reply_to) for e in effects if isinstance(e, SendResponse)
    ]
    assert sent == [
        (R.EVENT_RECEIVED, 0, "A", "/rsps/1/rsp"),
        (R.EVENT_STARTED, 600, "A", "/rsps/1/rsp"),
        (R.EVENT_COMPLETED, 2400, "A", "/rsps/1/rsp"),
    ]


def test_response_time_is_the_transition_time_even_when_timer_runs_late() -> None:
    """A late timer still reports createdDateTime as when the transition happened."""
    eng = engine()
    eng.update(snapshot(control("A", start=T0 + 600, duration_s=1800)), T0)
    drain(eng)

    eng.handle_timer(T0 + 5 * HOUR)

    assert [(e.status, e.at - T0) for e in drain(eng) if isinstance(e, SendResponse)] == [
        (R.EVENT_STARTED, 600),
        (R.EVENT_COMPLETED, 2400),
    ]


def test_response_required_bit0_asks_only_for_received() -> None:
    """responseRequired 01: 'message received' only."""
    eng = engine()
    listed = control(
        "A", start=T0, duration_s=HOUR, response_required=ResponseRequired.MESSAGE_RECEIVED
    )
    eng.update(snapshot(listed), T0)

    assert responses(run_until(eng, 2 * HOUR + T0)) == [R.EVENT_RECEIVED]


def test_response_required_bit1_asks_for_specific_responses_only() -> None:
    """responseRequired 02: started/completed but not 'received'."""
    eng = engine()
    listed = control(
        "A", start=T0, duration_s=HOUR, response_required=ResponseRequired.SPECIFIC_RESPONSE
    )
    eng.update(snapshot(listed), T0)

    assert responses(run_until(eng, 2 * HOUR + T0)) == [R.EVENT_STARTED, R.EVENT_COMPLETED]


def test_no_response_when_none_required_or_no_reply_to() -> None:
    """responseRequired 00, or no replyTo: the engine posts nothing."""
    eng = engine()
    eng.update(
        snapshot(
            control("A", start=T0, duration_s=HOUR, response_required=ResponseRequired.NONE),
            control("B", start=T0 + 2 * HOUR, duration_s=HOUR, reply_to=None),
        ),
        T0,
    )

    assert responses(run_until(eng, 4 * HOUR + T0)) == []


def test_cancelled_event_stops_at_once() -> None:
    """Status 2 on a running event: limits revert at that instant; 'cancelled' is reported."""
    listed = control("A", start=T0, duration_s=2 * HOUR)
    eng = engine()
    eng.update(snapshot(listed), T0)
    run_until(eng, T0 + HOUR)

    eng.update(snapshot(_with_status(listed, EventStatusCode.CANCELLED)), T0 + HOUR)
    effects = drain(eng)

    assert eng.active(T0 + HOUR).control is None
    assert [(e.status, e.at) for e in effects if isinstance(e, SendResponse)] == [
        (R.EVENT_CANCELLED, T0 + HOUR)
    ]
    assert any(isinstance(e, EnvelopeChanged) and e.at == T0 + HOUR for e in effects)


def test_cancelled_with_randomization_ends_within_window() -> None:
    """Status 3: a running event stops within max(|randomizeStart|, |randomizeDuration|)."""
    stops = []
    for seed in range(60):
        eng = engine(seed=seed)
        listed = control("A", start=T0, duration_s=4 * HOUR, randomize_duration_s=-900.0)
        eng.update(snapshot(listed), T0)
        run_until(eng, T0 + HOUR)
        cancel = _with_status(listed, EventStatusCode.CANCELLED_WITH_RANDOMIZATION)
        eng.update(snapshot(cancel), T0 + HOUR)

        effects = run_until(eng, T0 + 5 * HOUR)

        [when] = [e.at for e in effects if isinstance(e, SendResponse)]
        assert T0 + HOUR <= when <= T0 + HOUR + 900
        assert eng.tracked("A").state is EventState.CANCELLED
        stops.append(when)
    assert len(set(stops)) > 30  # randomized, not a fixed delay


def test_cancelled_with_randomization_keeps_event_in_effect_until_its_stop() -> None:
    """Until the drawn stop, the cancelled-with-randomization event still applies."""
    eng = engine(seed=3)
    listed = control("A", start=T0, duration_s=4 * HOUR, randomize_start_s=600.0)
    eng.update(snapshot(listed), T0)
    run_until(eng, T0 + HOUR)
    eng.update(
        snapshot(_with_status(listed, EventStatusCode.CANCELLED_WITH_RANDOMIZATION)), T0 + HOUR
    )
    stop = eng.next_deadline()

    assert stop is not None and T0 + HOUR < stop <= T0 + HOUR + 600
    assert eng.active(T0 + HOUR).source == "A"
    run_until(eng, stop)
    assert eng.active(stop).control is None


def test_cancelled_with_randomization_before_start_cancels_at_once() -> None:
    """An event that has not started has no load to de-synchronize: cancelled immediately."""
    eng = engine()
    listed = control("A", start=T0 + HOUR, duration_s=HOUR, randomize_duration_s=900.0)
    eng.update(snapshot(listed), T0)
    drain(eng)

    eng.update(
        snapshot(_with_status(listed, EventStatusCode.CANCELLED_WITH_RANDOMIZATION)), T0 + 60
    )

    assert [(e.status, e.at) for e in drain(eng) if isinstance(e, SendResponse)] == [
        (R.EVENT_CANCELLED, T0 + 60)
    ]
    assert eng.next_deadline() is None


def test_server_superseded_status_stops_event() -> None:
    """Status 4 from the server terminates the event at once, reported superseded."""
    listed = control("A", start=T0, duration_s=2 * HOUR)
    eng = engine()
    eng.update(snapshot(listed), T0)
    run_until(eng, T0 + 600)

    eng.update(snapshot(_with_status(listed, EventStatusCode.SUPERSEDED)), T0 + 600)

    assert responses(drain(eng)) == [R.EVENT_SUPERSEDED]
    assert eng.active(T0 + 600).control is None


def test_control_first_seen_cancelled_is_reported_and_never_applied() -> None:
    """A control listed as cancelled when first seen gets 'cancelled' and no limits."""
    eng = engine()
    listed = control("A", start=T0 - 60, duration_s=HOUR)
    eng.update(snapshot(_with_status(listed, EventStatusCode.CANCELLED)), T0)

    assert responses(drain(eng)) == [R.EVENT_CANCELLED]
    assert eng.envelope(T0, 2 * HOUR).segments == ()


def test_withdrawn_control_is_treated_as_cancelled() -> None:
    """A running control the server stops listing is cancelled at once (interpretation)."""
    eng = engine()
    eng.update(snapshot(control("A", start=T0, duration_s=2 * HOUR)), T0)
    run_until(eng, T0 + 600)

    eng.update(snapshot(), T0 + 900)

    assert responses(drain(eng)) == [R.EVENT_CANCELLED]
    assert eng.active(T0 + 900).control is None


def test_expired_event_is_not_applied() -> None:
    """An event already over when received: 'rejected, expired' (254), never applied."""
    eng = engine()
    eng.update(snapshot(control("A", start=T0 - 2 * HOUR, duration_s=HOUR)), T0)

    effects = drain(eng)

    assert responses(effects) == [R.REJECTED_EXPIRED]
    assert eng.tracked("A").state is EventState.EXPIRED
    assert eng.envelope(T0 - 3 * HOUR, 4 * HOUR).segments == ()
    assert eng.next_deadline() is None


def test_event_received_while_running_starts_at_receipt() -> None:
    """An event whose window already began applies from the moment it is received."""
    eng = engine()
    eng.update(snapshot(control("A", start=T0 - 600, duration_s=HOUR)), T0)

    effects = drain(eng)

    assert [(e.status, e.at) for e in effects if isinstance(e, SendResponse)] == [
        (R.EVENT_RECEIVED, T0),
        (R.EVENT_STARTED, T0),
    ]
    assert eng.active(T0).source == "A"


def test_unsupported_mode_is_rejected_not_applied() -> None:
    """A control setting a mode the site cannot honour: 'not applicable' (252), no limits."""
    eng = engine(config=EngineConfig(supported_modes=frozenset({"export_limit_w"})))
    listed = control("A", start=T0, duration_s=HOUR, limits=EnvelopeLimits(fixed_w_pct=-50.0))
    eng.update(snapshot(listed), T0)

    assert responses(drain(eng)) == [R.REJECTED_NOT_APPLICABLE]
    assert eng.active(T0).control is None


def test_held_schedule_runs_offline() -> None:
    """Without any server contact the held schedule keeps running (before the timeout)."""
    eng = engine(config=EngineConfig(comms_loss_timeout_s=6 * HOUR))
    eng.update(snapshot(control("A", start=T0 + HOUR, duration_s=2 * HOUR)), T0)

    effects = run_until(eng, T0 + 2 * HOUR)  # no note_contact, no update

    assert eng.active(T0 + 2 * HOUR).source == "A"
    assert responses(effects) == [R.EVENT_RECEIVED, R.EVENT_STARTED]
    assert not any(isinstance(e, CommsLost) for e in effects)


SAFE = EnvelopeLimits(export_limit_w=1500.0)


def test_comms_loss_falls_back_after_timeout() -> None:
    """comms_loss_timeout_s after the last contact the configured safe limits apply."""
    eng = engine(config=EngineConfig(comms_loss_timeout_s=HOUR, comms_loss_limits=SAFE))
    eng.update(snapshot(control("A", start=T0, duration_s=4 * HOUR, export_limit_w=9000)), T0)
    eng.note_contact(T0 + 600)

    effects = run_until(eng, T0 + 2 * HOUR)

    [lost] = [e for e in effects if isinstance(e, CommsLost)]
    assert (lost.at, lost.last_contact) == (T0 + 600 + HOUR, T0 + 600)
    now = eng.active(T0 + 2 * HOUR)
    assert (now.source, now.limits, now.comms_lost) == ("fallback", SAFE, True)
    assert [c.mrid for c in now.overridden] == ["A"]


def test_comms_loss_without_safe_limits_falls_back_to_default() -> None:
    """With no safe limits configured the default control applies during comms loss."""
    default = DefaultControl("P1", EnvelopeLimits(export_limit_w=2500.0))
    eng = engine(config=EngineConfig(comms_loss_timeout_s=HOUR))
    eng.update(snapshot(control("A", start=T0, duration_s=4 * HOUR), defaults=[default]), T0)

    run_until(eng, T0 + 2 * HOUR)

    assert eng.active(T0 + 2 * HOUR).limits == EnvelopeLimits(export_limit_w=2500.0)


def test_envelope_shows_fallback_from_comms_deadline() -> None:
    """The envelope ahead already contains the fallback from the comms-loss deadline."""
    eng = engine(config=EngineConfig(comms_loss_timeout_s=HOUR, comms_loss_limits=SAFE))
    eng.update(snapshot(control("A", start=T0, duration_s=4 * HOUR)), T0)

    plan = eng.envelope(T0, 6 * HOUR)

    assert [(s.source, s.start - T0, s.end - T0) for s in plan.segments] == [
        ("A", 0, HOUR),
        ("fallback", HOUR, 6 * HOUR),
    ]
    assert plan.baseline == SAFE


def test_responses_held_while_comms_lost() -> None:
    """Responses falling due during comms loss are held, not emitted."""
    eng = engine(config=EngineConfig(comms_loss_timeout_s=HOUR, comms_loss_limits=SAFE))
    eng.update(snapshot(control("A", start=T0 + 2 * HOUR, duration_s=HOUR)), T0)
    drain(eng)

    effects = run_until(eng, T0 + 4 * HOUR)

    assert responses(effects) == []


def test_recovery_resyncs_after_contact() -> None:
    """Contact after a loss: CommsRestored (resync), then the held Responses, then limits."""
    eng = engine(config=EngineConfig(comms_loss_timeout_s=HOUR, comms_loss_limits=SAFE))
    eng.update(snapshot(control("A", start=T0 + 2 * HOUR, duration_s=4 * HOUR)), T0)
    drain(eng)
    run_until(eng, T0 + 3 * HOUR)

    eng.note_contact(T0 + 3 * HOUR)
    effects = drain(eng)

    restored = effects[0]
    assert isinstance(restored, CommsRestored)
    assert (restored.lost_at, restored.offline_s, restored.held_responses) == (
        T0 + HOUR,
        3 * HOUR,
        1,
    )
    assert restored.resync_required
    assert [(e.status, e.at) for e in effects if isinstance(e, SendResponse)] == [
        (R.EVENT_STARTED, T0 + 2 * HOUR)
    ]
    assert isinstance(effects[-1], EnvelopeChanged) and effects[-1].source == "A"
    assert not eng.comms_lost


def test_update_counts_as_contact() -> None:
    """A fetched snapshot proves contact: it postpones the comms-loss deadline."""
    eng = engine(config=EngineConfig(comms_loss_timeout_s=HOUR))
    eng.update(snapshot(), T0)

    eng.update(snapshot(), T0 + 1800)

    assert eng.next_deadline() == T0 + 1800 + HOUR


def test_next_deadline_is_none_when_nothing_is_pending() -> None:
    """No events and no comms timeout: nothing to wake up for."""
    eng = engine()
    eng.update(snapshot(), T0)

    assert eng.next_deadline() is None


def test_envelope_changed_emitted_when_limits_change() -> None:
    """EnvelopeChanged fires at the start and end of an event, with the new limits."""
    eng = engine()
    eng.update(snapshot(control("A", start=T0 + 600, duration_s=600)), T0)

    changes = [e for e in run_until(eng, T0 + HOUR) if isinstance(e, EnvelopeChanged)]

    assert [(c.at - T0, c.source, c.limits.export_limit_w) for c in changes] == [
        (0, "none", None),
        (600, "A", 5000.0),
        (1200, "none", None),
    ]
