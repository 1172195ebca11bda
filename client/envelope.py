"""The grid envelope: what the grid grants a site over time, in one protocol-free timeline.

IEEE 2030.5 DERControls and OpenADR 3 events are two ways of saying the same thing; the
event engine turns either into a :class:`GridEnvelope`, the optimizer plans inside it and
the dispatcher writes device setpoints that never leave it.

Conventions
-----------
- Times are seconds since the epoch (2030.5 TimeType), passed in; nothing here reads a clock.
- Site power is signed at the connection point: positive imports from the grid, negative
  exports to it [W]. Limits are non-negative magnitudes [W].
- ``None`` means "no limit granted" for that quantity.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace

__all__ = [
    "EnvelopeLimits",
    "EnvelopeSegment",
    "GridEnvelope",
    "combine_envelopes",
    "most_restrictive",
]


@dataclass(frozen=True, slots=True)
class EnvelopeLimits:
    """The limits in force at one instant. Every field is optional; ``None`` is unlimited.

    Attributes map onto IEEE 2030.5 DERControlBase and CSIP-AUS elements, already scaled
    out of their power-of-ten multipliers.
    """

    export_limit_w: float | None = None
    """Maximum export at the connection point [W] (CSIP-AUS opModExpLimW)."""
    import_limit_w: float | None = None
    """Maximum import at the connection point [W] (CSIP-AUS opModImpLimW)."""
    generation_limit_w: float | None = None
    """Maximum generation or discharge of the controlled DER [W] (CSIP-AUS opModGenLimW)."""
    load_limit_w: float | None = None
    """Maximum load or charge of the controlled DER [W] (CSIP-AUS opModLoadLimW)."""
    max_generation_pct: float | None = None
    """Maximum generation as a percentage of rated power [%] (2030.5 opModMaxLimW)."""
    fixed_w_pct: float | None = None
    """Fixed active power as a signed percentage of rated power [%], positive generates
    (2030.5 opModFixedW)."""
    target_w: float | None = None
    """Active power target for the DER [W], positive generates (2030.5 opModTargetW)."""
    connect: bool | None = None
    """False: the DER must disconnect from the grid (2030.5 opModConnect)."""
    energize: bool | None = None
    """False: the DER must not energize the grid (2030.5 opModEnergize)."""
    ramp_w_per_s: float | None = None
    """Ramp rate for changes of active power [W/s] (setGradW / rampTms derived)."""
    import_price_per_kwh: float | None = None
    """Import price [currency/kWh]."""
    export_price_per_kwh: float | None = None
    """Export price (feed-in) [currency/kWh]."""

    def is_unlimited(self) -> bool:
        """True when no field constrains anything."""
        return all(getattr(self, f.name) is None for f in fields(self))

    def merged_over(self, fallback: EnvelopeLimits) -> EnvelopeLimits:
        """These limits, with each field this one leaves unset taken from ``fallback``.

        This is how a DefaultDERControl fills the modes an active control does not set.
        """
        values = {
            f.name: getattr(self, f.name)
            if getattr(self, f.name) is not None
            else getattr(fallback, f.name)
            for f in fields(self)
        }
        return EnvelopeLimits(**values)


# Which way "more restrictive" points, per field: min for upper bounds, "all" for booleans.
_UPPER_BOUNDS = (
    "export_limit_w",
    "import_limit_w",
    "generation_limit_w",
    "load_limit_w",
    "max_generation_pct",
    "ramp_w_per_s",
)
_BOOLEANS = ("connect", "energize")


def _min_optional(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _and_optional(a: bool | None, b: bool | None) -> bool | None:
    if a is None:
        return b
    if b is None:
        return a
    return a and b


def most_restrictive(limits: Iterable[EnvelopeLimits]) -> EnvelopeLimits:
    """Combine limits so that honouring the result honours every input.

    Upper bounds take the minimum, connect/energize are false if any is false. Setpoints
    (fixed, target) and prices cannot be combined safely, so the first one given wins;
    callers order ``limits`` by precedence.

    Parameters
    ----------
    limits : iterable of EnvelopeLimits
        In order of precedence (highest first).

    Returns
    -------
    EnvelopeLimits
    """
    result = EnvelopeLimits()
    for item in limits:
        updates: dict[str, float | bool | None] = {}
        for name in _UPPER_BOUNDS:
            updates[name] = _min_optional(getattr(result, name), getattr(item, name))
        for name in _BOOLEANS:
            updates[name] = _and_optional(getattr(result, name), getattr(item, name))
        for name in ("fixed_w_pct", "target_w", "import_price_per_kwh", "export_price_per_kwh"):
            if getattr(result, name) is None:
                updates[name] = getattr(item, name)
        result = replace(result, **updates)  # type: ignore[arg-type]  # names checked above
    return result


@dataclass(frozen=True, slots=True)
class EnvelopeSegment:
    """Limits that hold over the half-open interval [start, end) [s since epoch]."""

    start: float
    end: float
    limits: EnvelopeLimits
    source: str = ""
    """Where the limits come from: a control's mRID, "default", "fallback", an event id."""

    def __post_init__(self) -> None:
        if not self.end > self.start:
            raise ValueError(f"segment must end after it starts: [{self.start}, {self.end})")


@dataclass(frozen=True, slots=True)
class GridEnvelope:
    """A timeline of non-overlapping segments, sorted by start, plus what holds elsewhere.

    ``baseline`` applies at any time no segment covers (for 2030.5, the DefaultDERControl).
    """

    segments: tuple[EnvelopeSegment, ...] = ()
    baseline: EnvelopeLimits = field(default_factory=EnvelopeLimits)

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.segments, key=lambda s: s.start))
        for earlier, later in itertools.pairwise(ordered):
            if later.start < earlier.end:
                raise ValueError(
                    f"segments overlap: {earlier.source!r} and {later.source!r} at {later.start}"
                )
        object.__setattr__(self, "segments", ordered)

    def at(self, now: float) -> EnvelopeLimits:
        """The limits in force at ``now`` [s since epoch]."""
        for segment in self.segments:
            if segment.start <= now < segment.end:
                return segment.limits
        return self.baseline

    def source_at(self, now: float) -> str:
        """The source of the limits in force at ``now``, "baseline" outside every segment."""
        for segment in self.segments:
            if segment.start <= now < segment.end:
                return segment.source
        return "baseline"

    def boundaries(self, start: float, end: float) -> list[float]:
        """Times in (start, end) at which the limits change, sorted."""
        edges = {t for s in self.segments for t in (s.start, s.end)}
        return sorted(t for t in edges if start < t < end)

    def next_change(self, now: float) -> float | None:
        """The first time after ``now`` when the limits change, or None if they never do."""
        later = self.boundaries(now, math.inf)
        return later[0] if later else None

    def over(self, start: float, step_s: float, steps: int) -> list[EnvelopeLimits]:
        """The most restrictive limits over each of ``steps`` intervals of ``step_s``.

        An optimizer interval that a control covers only in part gets that control's limits
        for the whole interval: a plan that honours these honours the envelope at every
        instant.

        Parameters
        ----------
        start : float
            Start of the first interval [s since epoch].
        step_s : float
            Interval length [s].
        steps : int
            Number of intervals.
        """
        if step_s <= 0 or steps < 0:
            raise ValueError("step_s must be positive and steps non-negative")
        result: list[EnvelopeLimits] = []
        for index in range(steps):
            lo = start + index * step_s
            hi = lo + step_s
            instants = [lo, *self.boundaries(lo, hi)]
            result.append(most_restrictive(self.at(t) for t in instants))
        return result

    @classmethod
    def from_segments(
        cls, segments: Sequence[EnvelopeSegment], baseline: EnvelopeLimits | None = None
    ) -> GridEnvelope:
        """Build an envelope; ``baseline`` defaults to no limits."""
        return cls(segments=tuple(segments), baseline=baseline or EnvelopeLimits())


def combine_envelopes(envelopes: Sequence[tuple[str, GridEnvelope]]) -> GridEnvelope:
    """Several sources' envelopes as one: the most restrictive limits at every instant.

    Parameters
    ----------
    envelopes : sequence of (source name, GridEnvelope)
        In order of precedence (highest first; it decides setpoints and prices, see
        :func:`most_restrictive`).

    Returns
    -------
    GridEnvelope
        Segments wherever any source has one, labelled ``<source>:<label>`` for each source
        whose own segment covers the stretch (joined by ``" + "``); the baseline is the
        most restrictive of the baselines.
    """
    baseline = most_restrictive(envelope.baseline for _, envelope in envelopes)
    edges = sorted(
        {t for _, envelope in envelopes for s in envelope.segments for t in (s.start, s.end)}
    )
    segments: list[EnvelopeSegment] = []
    for lo, hi in itertools.pairwise(edges):
        covering = [
            (name, envelope)
            for name, envelope in envelopes
            if any(s.start <= lo < s.end for s in envelope.segments)
        ]
        if not covering:
            continue
        limits = most_restrictive(envelope.at(lo) for _, envelope in envelopes)
        source = " + ".join(f"{name}:{envelope.source_at(lo)}" for name, envelope in covering)
        last = segments[-1] if segments else None
        if last is not None and last.end == lo and (last.limits, last.source) == (limits, source):
            segments[-1] = EnvelopeSegment(last.start, hi, limits, source)
        else:
            segments.append(EnvelopeSegment(lo, hi, limits, source))
    return GridEnvelope.from_segments(segments, baseline)
