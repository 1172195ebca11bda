"""The grid envelope: segment lookup, interval sampling and combination rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openderms.client.envelope import (
    EnvelopeLimits,
    EnvelopeSegment,
    GridEnvelope,
    most_restrictive,
)

EXPORT_5KW = EnvelopeLimits(export_limit_w=5000.0)
EXPORT_1KW = EnvelopeLimits(export_limit_w=1000.0)


def test_baseline_applies_outside_every_segment() -> None:
    """With no control in force the baseline (the DefaultDERControl) holds."""
    envelope = GridEnvelope.from_segments(
        [EnvelopeSegment(100.0, 200.0, EXPORT_1KW, "ctl")], baseline=EXPORT_5KW
    )

    assert envelope.at(99.0) == EXPORT_5KW
    assert envelope.at(200.0) == EXPORT_5KW
    assert envelope.source_at(250.0) == "baseline"


def test_segment_is_half_open() -> None:
    """A segment holds from its start up to, not including, its end."""
    envelope = GridEnvelope.from_segments([EnvelopeSegment(100.0, 200.0, EXPORT_1KW, "ctl")])

    assert envelope.at(100.0) == EXPORT_1KW
    assert envelope.at(199.999) == EXPORT_1KW
    assert envelope.at(200.0).is_unlimited()


def test_overlapping_segments_are_refused() -> None:
    """The event engine resolves overlaps; an envelope that still has them is a bug."""
    with pytest.raises(ValueError, match="overlap"):
        GridEnvelope.from_segments(
            [
                EnvelopeSegment(0.0, 100.0, EXPORT_1KW, "a"),
                EnvelopeSegment(50.0, 150.0, EXPORT_5KW, "b"),
            ]
        )


def test_empty_segment_is_refused() -> None:
    with pytest.raises(ValueError, match="end after it starts"):
        EnvelopeSegment(10.0, 10.0, EXPORT_1KW)


def test_interval_partly_covered_takes_the_control_for_the_whole_interval() -> None:
    """A plan honouring `over()` honours the envelope at every instant of the interval."""
    envelope = GridEnvelope.from_segments(
        [EnvelopeSegment(1000.0, 1100.0, EXPORT_1KW, "short")], baseline=EXPORT_5KW
    )

    steps = envelope.over(start=900.0, step_s=900.0, steps=3)

    assert [s.export_limit_w for s in steps] == [1000.0, 5000.0, 5000.0]


def test_most_restrictive_takes_minimum_limits_and_any_disconnect() -> None:
    combined = most_restrictive(
        [
            EnvelopeLimits(export_limit_w=3000.0, connect=True, target_w=100.0),
            EnvelopeLimits(
                export_limit_w=2000.0, import_limit_w=8000.0, connect=False, target_w=5.0
            ),
        ]
    )

    assert combined.export_limit_w == 2000.0
    assert combined.import_limit_w == 8000.0
    assert combined.connect is False
    assert combined.target_w == 100.0  # setpoints: first (highest precedence) wins


def test_merged_over_fills_only_unset_modes_from_fallback() -> None:
    """Modes an active control leaves unset fall back to the default control's."""
    active = EnvelopeLimits(export_limit_w=1500.0)
    default = EnvelopeLimits(export_limit_w=5000.0, import_limit_w=10000.0)

    merged = active.merged_over(default)

    assert merged.export_limit_w == 1500.0
    assert merged.import_limit_w == 10000.0


def test_next_change_is_the_first_boundary_after_now() -> None:
    envelope = GridEnvelope.from_segments(
        [EnvelopeSegment(100.0, 200.0, EXPORT_1KW), EnvelopeSegment(300.0, 400.0, EXPORT_5KW)]
    )

    assert envelope.next_change(0.0) == 100.0
    assert envelope.next_change(150.0) == 200.0
    assert envelope.next_change(400.0) is None


limits_strategy = st.builds(
    EnvelopeLimits,
    export_limit_w=st.none() | st.floats(0, 20000),
    import_limit_w=st.none() | st.floats(0, 20000),
)


@given(
    starts=st.lists(st.integers(0, 50), min_size=1, max_size=6, unique=True),
    limits=st.lists(limits_strategy, min_size=6, max_size=6),
    baseline=limits_strategy,
)
def test_sampled_limits_never_exceed_any_instant_in_the_interval(
    starts: list[int], limits: list[EnvelopeLimits], baseline: EnvelopeLimits
) -> None:
    """For every interval, the sampled export limit is <= the limit at every instant in it."""
    ordered = sorted(starts)
    segments = [
        EnvelopeSegment(s * 100.0, s * 100.0 + 60.0, limits[i], str(i))
        for i, s in enumerate(ordered)
    ]
    envelope = GridEnvelope.from_segments(segments, baseline=baseline)

    sampled = envelope.over(start=0.0, step_s=250.0, steps=22)

    for index, interval in enumerate(sampled):
        for t in range(index * 250, index * 250 + 250, 10):
            at_t = envelope.at(float(t)).export_limit_w
            if at_t is not None:
                assert interval.export_limit_w is not None
                assert interval.export_limit_w <= at_t
