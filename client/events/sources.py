"""Events from several sources at one site: one engine per source, limits combined.

A site may hear from a 2030.5 server, an OpenADR VTN and more. Each source's programs and
events live in their own :class:`~openderms.client.events.EventEngine`, updated only by that
source (``update(source, snapshot, now)``), so one source's snapshot never cancels another
source's events, and each source keeps its own defaults, supersession, primacy and
comms-loss clock.

How limits from two sources combine
    Per limit, the most restrictive wins (:func:`openderms.client.envelope.most_restrictive`):
    upper bounds (export, import, generation, load, max generation %, ramp) take the
    minimum, connect/energize are false if any source says false. Setpoints (fixed %,
    target) and prices cannot be combined safely, so the source added first (2030.5 in the
    gateway) wins them. Honouring the combined limits honours every source's.

Sans-IO like the engines it holds: time is passed in, nothing reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from openderms.client.envelope import (
    EnvelopeLimits,
    GridEnvelope,
    combine_envelopes,
    most_restrictive,
)
from openderms.client.events.engine import NO_SOURCE, ActiveControls, EventEngine
from openderms.client.events.model import ProgramSnapshot

__all__ = ["SiteEvents", "SiteLimits"]


@dataclass(frozen=True, slots=True)
class SiteLimits:
    """What is in force at one instant across every source."""

    at: float
    """The instant [s since epoch]."""
    limits: EnvelopeLimits
    """The most restrictive combination of every source's limits."""
    source: str
    """Where they come from: with one source its own label (a control's mRID,
    ``default:<id>``, ``none``, ``fallback``); with several, ``<source>:<label>`` of each
    source that grants anything, joined by ``" + "``."""
    by_source: tuple[tuple[str, ActiveControls], ...]
    """Each source's own answer, in the order the sources were added."""

    @property
    def comms_lost(self) -> bool:
        """True while any source's comms-loss fallback is in force."""
        return any(active.comms_lost for _, active in self.by_source)


class SiteEvents:
    """The engines of every source at one site, keyed by source name."""

    def __init__(self) -> None:
        self._engines: dict[str, EventEngine] = {}

    def add(self, source: str, engine: EventEngine) -> EventEngine:
        """Register ``engine`` as the one of ``source`` (its owner drains its effects).

        Raises
        ------
        ValueError
            ``source`` is empty or already has an engine.
        """
        if not source:
            raise ValueError("a source needs a name")
        if source in self._engines:
            raise ValueError(f"source {source!r} already has an engine")
        self._engines[source] = engine
        return engine

    def engine(self, source: str) -> EventEngine:
        """The engine of ``source``."""
        return self._engines[source]

    def __iter__(self) -> Iterator[tuple[str, EventEngine]]:
        return iter(self._engines.items())

    def update(self, source: str, snapshot: ProgramSnapshot, now: float) -> None:
        """What ``source`` lists now replaces what it listed before, and nothing else.

        Parameters
        ----------
        source : str
        snapshot : ProgramSnapshot
        now : float
            Current time [s since epoch].
        """
        self._engines[source].update(snapshot, now)

    def handle_timer(self, now: float) -> None:
        """Advance every engine to ``now`` [s since epoch]."""
        for engine in self._engines.values():
            engine.handle_timer(now)

    def next_deadline(self) -> float | None:
        """The earliest deadline of any engine [s since epoch], or None."""
        deadlines = [d for e in self._engines.values() if (d := e.next_deadline()) is not None]
        return min(deadlines) if deadlines else None

    def active(self, now: float) -> SiteLimits:
        """The combined limits in force at ``now`` [s since epoch], with their sources."""
        by_source = tuple((name, engine.active(now)) for name, engine in self._engines.items())
        limits = most_restrictive(active.limits for _, active in by_source)
        if len(by_source) == 1:
            source = by_source[0][1].source
        else:
            source = (
                " + ".join(
                    f"{name}:{active.source}"
                    for name, active in by_source
                    if active.source != NO_SOURCE
                )
                or NO_SOURCE
            )
        return SiteLimits(at=now, limits=limits, source=source, by_source=by_source)

    def envelope(self, now: float, horizon_s: float) -> GridEnvelope:
        """Every source's envelope from ``now`` over ``horizon_s`` [s], combined.

        With one source this is that source's envelope; with several, each stretch holds
        the most restrictive limits of all of them (see the module docstring).
        """
        envelopes = [
            (name, engine.envelope(now, horizon_s)) for name, engine in self._engines.items()
        ]
        if len(envelopes) == 1:
            return envelopes[0][1]
        return combine_envelopes(envelopes)
