"""One engine per source (:class:`SiteEvents`): updates stay within their source and the
limits of all sources meet, most restrictive per limit. Virtual clock, no sockets."""

from __future__ import annotations

import pytest
from events_support import T0, control, drain, engine, responses, snapshot

from openderms.client.envelope import EnvelopeLimits
from openderms.client.events import DefaultControl, EventState, Program, SiteEvents
from openderms.schemas.sep2.enums import ResponseStatus

HOUR = 3600.0


def two_sources() -> SiteEvents:
    events = SiteEvents()
    events.add("sep2", engine())
    events.add("vtn", engine(seed=8))
    return events


def test_one_sources_snapshot_never_cancels_another_sources_events() -> None:
    """A source that stops listing an event withdraws its own only."""
    events = two_sources()
    events.update("sep2", snapshot(control("A", start=T0, duration_s=HOUR)), T0)
    events.update("vtn", snapshot(control("B", start=T0, duration_s=HOUR)), T0)

    events.update("vtn", snapshot(), T0 + 60)  # the VTN lists nothing now
    events.handle_timer(T0 + 120)

    assert events.engine("sep2").tracked("A").state is EventState.ACTIVE
    assert ResponseStatus.EVENT_CANCELLED not in responses(drain(events.engine("sep2")))
    assert responses(drain(events.engine("vtn")), "B")[-1] is ResponseStatus.EVENT_CANCELLED
    assert events.active(T0 + 120).source == "sep2:A"


def test_limits_of_two_sources_combine_most_restrictive_per_limit() -> None:
    events = two_sources()
    events.update(
        "sep2",
        snapshot(
            control(
                "A",
                start=T0,
                duration_s=HOUR,
                limits=EnvelopeLimits(export_limit_w=5000.0, generation_limit_w=3000.0),
            )
        ),
        T0,
    )
    events.update(
        "vtn",
        snapshot(
            control(
                "B",
                start=T0 + 600,
                duration_s=HOUR,
                limits=EnvelopeLimits(export_limit_w=2000.0, connect=False),
            ),
            programs=(Program("P1", 1),),
            defaults=(DefaultControl("P1", EnvelopeLimits(import_limit_w=8000.0)),),
        ),
        T0,
    )

    before, during = events.active(T0 + 60), events.active(T0 + 900)

    assert before.limits == EnvelopeLimits(
        export_limit_w=5000.0, generation_limit_w=3000.0, import_limit_w=8000.0
    )
    assert during.limits == EnvelopeLimits(
        export_limit_w=2000.0, generation_limit_w=3000.0, import_limit_w=8000.0, connect=False
    )
    assert during.source == "sep2:A + vtn:B"
    envelope = events.envelope(T0, 2 * HOUR)
    assert envelope.at(T0 + 900) == during.limits
    assert envelope.at(T0 + 60).export_limit_w == 5000.0
    assert envelope.at(T0 + HOUR + 300).export_limit_w == 2000.0  # only B still runs
    assert envelope.baseline == EnvelopeLimits(import_limit_w=8000.0)


def test_a_source_is_added_once() -> None:
    events = two_sources()
    with pytest.raises(ValueError, match="already"):
        events.add("vtn", engine())
