"""The transition table of :mod:`openderms.client.events.states`, tested on its own."""

from __future__ import annotations

import pytest

from openderms.client.events import LocalProtocolError
from openderms.client.events.states import (
    TERMINAL,
    TRANSITIONS,
    EventState,
    Trigger,
    mermaid_diagram,
    transition,
)
from openderms.client.sep2.responses import response_status
from openderms.schemas.sep2.enums import ResponseStatus

TERMINAL_STATES = [state for state in EventState if state in TERMINAL]


@pytest.mark.parametrize(
    ("state", "trigger", "after", "response"),
    [
        (EventState.NEW, Trigger.RECEIVE, EventState.SCHEDULED, ResponseStatus.EVENT_RECEIVED),
        (EventState.SCHEDULED, Trigger.START, EventState.ACTIVE, ResponseStatus.EVENT_STARTED),
        (EventState.ACTIVE, Trigger.END, EventState.COMPLETED, ResponseStatus.EVENT_COMPLETED),
        (EventState.ACTIVE, Trigger.CANCEL, EventState.CANCELLED, ResponseStatus.EVENT_CANCELLED),
        (
            EventState.ACTIVE,
            Trigger.SUPERSEDE,
            EventState.SUPERSEDED,
            ResponseStatus.EVENT_SUPERSEDED,
        ),
        (EventState.NEW, Trigger.EXPIRE, EventState.EXPIRED, ResponseStatus.REJECTED_EXPIRED),
        (
            EventState.NEW,
            Trigger.REJECT,
            EventState.REJECTED,
            ResponseStatus.REJECTED_NOT_APPLICABLE,
        ),
    ],
)
def test_transition_reports_table_27_status(
    state: EventState, trigger: Trigger, after: EventState, response: ResponseStatus
) -> None:
    """Each lifecycle step reports a change the 2030.5 adapter answers with the IEEE
    2030.5 Table 27 status for it."""
    step = transition(state, trigger)

    assert step.change is not None
    assert (step.state, response_status(step.change, step.rejection)) == (after, response)
    assert int(response) in {1, 2, 3, 6, 7, 252, 254}


@pytest.mark.parametrize("state", TERMINAL_STATES)
@pytest.mark.parametrize("trigger", [Trigger.CANCEL, Trigger.SUPERSEDE])
def test_terminal_states_ignore_late_server_status(state: EventState, trigger: Trigger) -> None:
    """A finished event stays finished and reports nothing when the server catches up."""
    step = transition(state, trigger)

    assert (step.state, step.change) == (state, None)


@pytest.mark.parametrize("state", TERMINAL_STATES)
def test_terminal_states_cannot_start_again(state: EventState) -> None:
    """No event is revived: START from a terminal state is a local protocol error."""
    with pytest.raises(LocalProtocolError, match="no transition"):
        transition(state, Trigger.START)


def test_events_cannot_complete_without_starting() -> None:
    """END is only legal for a running event."""
    with pytest.raises(LocalProtocolError):
        transition(EventState.SCHEDULED, Trigger.END)


def test_every_live_state_can_reach_a_terminal_state() -> None:
    """From each non-terminal state some trigger leads out; nothing gets stuck."""
    for state in set(EventState) - TERMINAL:
        targets = {step.state for (s, _), step in TRANSITIONS.items() if s is state}
        assert targets - {state}, state


def test_state_diagram_is_generated_from_the_table() -> None:
    """Every reporting transition appears in the generated diagram, with its change."""
    diagram = mermaid_diagram()

    for (state, trigger), step in TRANSITIONS.items():
        if step.change is not None:
            edge = f"{state.name} --> {step.state.name}: {trigger.value} / {step.change.value}"
            assert edge in diagram
