"""The DER event engine of one source (a 2030.5 server, an OpenADR VTN): sans-IO.

The rules are IEEE 2030.5's, which OpenADR's events also fit; the words are neutral: the
engine reports :class:`~openderms.client.events.states.EventChange` values, and each
protocol adapter turns them into its own answers. One engine serves one source; the limits
of several sources meet in :class:`~openderms.client.events.sources.SiteEvents`.

Three things drive it (after aioquic's ``QuicConnection``):

- :meth:`EventEngine.update` with a :class:`ProgramSnapshot` each time the runtime has
  fetched the programs, controls and defaults (this also counts as server contact);
- :meth:`EventEngine.note_contact` whenever the server answered anything;
- :meth:`EventEngine.handle_timer` at (or after) :meth:`EventEngine.next_deadline`.

The runtime pulls :class:`Effect` objects with :meth:`EventEngine.next_effect` (transitions
to report, envelope changes, comms loss and recovery) and reads the timeline of limits with
:meth:`EventEngine.envelope` and :meth:`EventEngine.active`. Those two answer for the
present and the future as currently known; finished events are forgotten, so they do not
reconstruct the past. Nothing here reads a clock,
sleeps, or touches the network; randomness comes from the injected ``random.Random``.

Rules implemented (sep.xsd documentation of EventStatus, RandomizableEvent, DERControl,
DERProgram, DefaultDERControl, RespondableResource; IEEE 2030.5-2018 Table 27):

Scheduling
    An event runs over its *effective* window: ``interval.start`` plus a start offset drawn
    once per event, uniformly within [0, randomizeStart] (or [randomizeStart, 0]), for
    ``interval.duration`` plus a duration offset drawn the same way from
    randomizeDuration. A negative drawn duration is clamped to an empty window.
Supersession within a program
    A newer event (later creationTime; mRID breaks ties) whose scheduled interval overlaps
    an older one of the same program supersedes it at the newer event's effective start
    (sep.xsd EventStatus 4: "at the earliest Effective Start Time of the overlapping
    event"). The older event stops there, is reported superseded and never resumes. A newer
    event that is itself cancelled or superseded before it starts supersedes nothing.
    *Interpretation*: this holds whatever modes the two events set (sep.xsd's
    potentiallySuperseded case, overlapping in some but not all controls, is treated as a
    full supersession), and overlap is judged on the scheduled intervals, as the server
    judges it, not on the randomized ones.
Primacy across programs
    At each instant the event in effect is the one whose program has the lowest primacy
    value. *Interpretation of the specification*: the losing event is not superseded
    (status 4 is defined for events of the same program); it keeps its own lifecycle and
    Responses and is simply not in effect while overlapped, and it is in effect again if
    it still runs after the winner ends. Equal primacy across programs: the newer event
    wins at that instant.
Cancellation
    Status 2 stops the event at once. Status 3 stops a running event after a delay drawn
    once, uniformly within [0, max(|randomizeStart|, |randomizeDuration|)] (sep.xsd
    EventStatus 3); an event that has not started yet, or that this client first sees
    already cancelled, is cancelled at once. Status 4 from the server stops it at once as
    superseded. *Interpretation*: a running or scheduled event the server stops listing is
    treated as cancelled at once (servers keep cancelled events listed, so a vanished one
    was withdrawn).
Defaults
    Defaults are ranked by their program's primacy. With no event in effect the top
    DefaultDERControl applies, and each mode it leaves unset comes from the next program's
    default. *Interpretation*: while an event is in effect, the modes the event leaves
    unset are also taken from that default chain (:meth:`EnvelopeLimits.merged_over`), so
    an export-limit event does not lift the default import limit.
Reports
    Each transition of :mod:`openderms.client.events.states` that reports a change is
    emitted as :class:`EventTransition` when the control has a ``reply_to`` and its
    ``reports`` ask for that change (2030.5: ``responseRequired``, mapped by
    :mod:`openderms.client.sep2.responses`).
Comms loss
    The held schedule keeps running. Once ``comms_loss_timeout_s`` passes without contact,
    the configured safe limits (over the default chain), or the default chain when none are
    configured, replace every event until contact returns. Transitions falling due
    meanwhile are held and released after :class:`CommsRestored`, which also asks the
    runtime for a fresh snapshot.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections import deque
from dataclasses import dataclass, field

from openderms.client.envelope import EnvelopeLimits, EnvelopeSegment, GridEnvelope
from openderms.client.events.effects import (
    CommsLost,
    CommsRestored,
    Effect,
    EnvelopeChanged,
    EventTransition,
)
from openderms.client.events.errors import EngineConfigError, LocalProtocolError, Rejection
from openderms.client.events.model import (
    LIMIT_MODES,
    DefaultControl,
    Program,
    ProgramSnapshot,
    ScheduledControl,
    SourceStatus,
)
from openderms.client.events.states import EventChange, EventState, Trigger, transition

__all__ = [
    "FALLBACK_SOURCE",
    "NO_SOURCE",
    "ActiveControls",
    "EngineConfig",
    "EventEngine",
    "TrackedEvent",
]

_LIVE = frozenset({EventState.SCHEDULED, EventState.ACTIVE})
# Order of simultaneous happenings: stops before starts (a superseded event hands over to
# its successor at the same instant), the comms-loss declaration last.
_ORDER = {Trigger.END: 0, Trigger.CANCEL: 0, Trigger.SUPERSEDE: 0, Trigger.START: 1}
_COMMS_ORDER = 2
NO_SOURCE = "none"
"""The source named when neither an event nor a default is in force."""
FALLBACK_SOURCE = "fallback"
"""The source named while the comms-loss fallback is in force."""


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """How the engine behaves where the standard leaves the choice to the site."""

    comms_loss_timeout_s: float | None = None
    """Time without server contact after which the fallback applies [s]; None: never."""
    comms_loss_limits: EnvelopeLimits | None = None
    """Safe limits during comms loss; modes left unset come from the default chain.
    None: the default chain alone."""
    supported_modes: frozenset[str] = LIMIT_MODES
    """The :class:`EnvelopeLimits` fields the site can honour; a control that sets any other
    is rejected as not applicable (2030.5 Response 252)."""

    def __post_init__(self) -> None:
        timeout = self.comms_loss_timeout_s
        if timeout is not None and not (math.isfinite(timeout) and timeout > 0):
            raise EngineConfigError(f"comms_loss_timeout_s must be positive, got {timeout}")
        unknown = set(self.supported_modes) - LIMIT_MODES
        if unknown:
            raise EngineConfigError(f"unknown modes in supported_modes: {sorted(unknown)}")
        object.__setattr__(self, "supported_modes", frozenset(self.supported_modes))


@dataclass(slots=True)
class TrackedEvent:
    """The engine's record of one event; read-only for callers (:meth:`EventEngine.tracked`)."""

    control: ScheduledControl
    """The control as the server last listed it."""
    received_at: float
    """When this client first saw it [s since epoch]."""
    start_offset_s: float
    """Drawn start randomization [s]."""
    duration_offset_s: float
    """Drawn duration randomization [s]."""
    state: EventState = EventState.NEW
    stop_at: float | None = None
    """When a cancellation or server supersession takes effect [s since epoch]."""
    stop_trigger: Trigger | None = None

    @property
    def effective_start(self) -> float:
        """Scheduled start plus the drawn start offset [s since epoch]."""
        return self.control.start + self.start_offset_s

    @property
    def effective_end(self) -> float:
        """Effective start plus duration plus the drawn duration offset [s since epoch]."""
        end = self.effective_start + self.control.duration_s + self.duration_offset_s
        return max(self.effective_start, end)

    @property
    def apply_from(self) -> float:
        """The effective start, or the moment of receipt for an event received late."""
        return max(self.effective_start, self.received_at)

    def rank_key(self) -> tuple[float, str]:
        """Newer sorts later: creationTime, then mRID to break ties deterministically."""
        return (self.control.creation_time, self.control.mrid)


@dataclass(frozen=True, slots=True)
class ActiveControls:
    """What is in force at one instant and why."""

    at: float
    """The instant [s since epoch]."""
    limits: EnvelopeLimits
    """The limits in force (event over default chain, default chain, or fallback)."""
    source: str
    """The winning control's mRID, ``default:<id>``, ``none`` or ``fallback``."""
    control: ScheduledControl | None
    """The event in effect, if any."""
    default: DefaultControl | None
    """The top default of the chain that fills unset modes, if any."""
    overridden: tuple[ScheduledControl, ...] = ()
    """Events running but not in effect (lower primacy, or comms-loss fallback)."""
    comms_lost: bool = False


@dataclass(frozen=True, slots=True)
class _Window:
    start: float
    end: float
    end_trigger: Trigger
    event: TrackedEvent = field(compare=False)


def _draw(rng: random.Random, bound_s: float) -> float:
    # Uniform in [0, bound] or [bound, 0] (sep.xsd RandomizableEvent); no draw for 0 keeps
    # the random sequence of unrandomized schedules untouched.
    if bound_s == 0:
        return 0.0
    return rng.uniform(min(0.0, bound_s), max(0.0, bound_s))


def _overlap(a: ScheduledControl, b: ScheduledControl) -> bool:
    return a.start < b.end and b.start < a.end


class EventEngine:
    """Schedules one source's DER events and turns them into a :class:`GridEnvelope`.

    Parameters
    ----------
    rng : random.Random
        Source of randomizeStart, randomizeDuration and cancel-randomization draws.
    now : float
        When the engine starts [s since epoch]; the comms-loss clock runs from here until
        the first contact.
    config : EngineConfig, optional
        Site choices (comms-loss timeout and safe limits, supported modes).
    """

    def __init__(self, rng: random.Random, now: float, config: EngineConfig | None = None) -> None:
        _check_time(now)
        self._rng = rng
        self._config = config or EngineConfig()
        self._programs: dict[str, Program] = {}
        self._defaults: dict[str, DefaultControl] = {}
        self._events: dict[str, TrackedEvent] = {}
        self._effects: deque[Effect] = deque()
        self._held: list[EventTransition] = []
        self._last_contact = now
        self._lost_at: float | None = None
        self._processed_to = now
        self._reported: tuple[EnvelopeLimits, str] | None = None
        self._chain: tuple[EnvelopeLimits, str, DefaultControl | None] = self._rank_defaults()
        self._live_cache: dict[str, _Window] | None = None
        self._merged: dict[str, EnvelopeLimits] = {}

    # ----------------------------------------------------------------- inputs

    def update(self, snapshot: ProgramSnapshot, now: float) -> None:
        """Take in what the server lists now; counts as server contact.

        Parameters
        ----------
        snapshot : ProgramSnapshot
            Every program, control and default the server lists for this site.
        now : float
            Current time [s since epoch].
        """
        now = self._clamp(now)
        self._advance(now)
        plan_before = self._plan_key()
        self._contact(now)
        self._programs = {p.program_id: p for p in snapshot.programs}
        self._defaults = {d.program_id: d for d in snapshot.defaults}
        self._chain = self._rank_defaults()
        self._changed(limits=True)
        listed = {c.mrid for c in snapshot.controls}
        for control in sorted(snapshot.controls, key=lambda c: (c.creation_time, c.mrid)):
            tracked = self._events.get(control.mrid)
            if tracked is None:
                self._receive(control, now)
            else:
                self._refresh(tracked, control, now)
        for mrid in [m for m in self._events if m not in listed]:
            tracked = self._events.pop(mrid)
            self._changed(limits=True)
            if tracked.state in _LIVE:
                self._fire(tracked, Trigger.CANCEL, now)
        self._advance(now)
        self._report(now, force=self._plan_key() != plan_before)

    def note_contact(self, now: float) -> None:
        """The server answered (any request). Ends a comms loss.

        Parameters
        ----------
        now : float
            Current time [s since epoch].
        """
        now = self._clamp(now)
        self._advance(now)
        self._contact(now)
        self._report(now)

    def handle_timer(self, now: float) -> None:
        """Process every transition due at or before ``now`` [s since epoch]."""
        self._advance(self._clamp(now))

    # ---------------------------------------------------------------- outputs

    def next_effect(self) -> Effect | None:
        """Pop the oldest pending effect, or None when there is none."""
        return self._effects.popleft() if self._effects else None

    def next_deadline(self) -> float | None:
        """When :meth:`handle_timer` must next be called [s since epoch], or None."""
        times = [t for t, *_ in self._pending(self._live_windows())]
        comms = self._comms_deadline()
        if comms is not None:
            times.append(comms)
        return min(times) if times else None

    def envelope(self, now: float, horizon_s: float) -> GridEnvelope:
        """The limits from ``now`` to ``now + horizon_s`` as far as the engine knows them.

        Each segment's source is the winning control's mRID, ``fallback`` or
        ``default:<id>``. Stretches where the default chain holds and equals the baseline
        are left to the baseline; the baseline is what holds once the horizon is over and
        no event runs (the default chain, or the fallback if comms are lost by then).
        Segments never overlap and lie within [now, now + horizon_s).

        Parameters
        ----------
        now : float
            Start of the horizon [s since epoch].
        horizon_s : float
            Length of the horizon [s], positive.
        """
        _check_time(now)
        if not (math.isfinite(horizon_s) and horizon_s > 0):
            raise LocalProtocolError(f"horizon_s must be positive, got {horizon_s}")
        end = now + horizon_s
        windows = self._windows()
        edges = {now, end}
        for window in windows:
            edges.update(t for t in (window.start, window.end) if now < t < end)
        comms = self._comms_deadline()
        if comms is not None and now < comms < end:
            edges.add(comms)
        baseline = self._baseline(end)
        segments: list[EnvelopeSegment] = []
        ordered = sorted(edges)
        # Sweep the slices in time order, keeping only the windows that cover the slice.
        by_start = sorted(windows, key=lambda w: w.start)
        upcoming = 0
        covering: list[_Window] = []
        for lo, hi in itertools.pairwise(ordered):
            while upcoming < len(by_start) and by_start[upcoming].start <= lo:
                covering.append(by_start[upcoming])
                upcoming += 1
            covering = [w for w in covering if w.end > lo]
            limits, source, *_ = self._in_force(lo, covering)
            if (limits, source) == baseline and source != FALLBACK_SOURCE:
                continue  # the default chain is the baseline; a fallback is always shown
            last = segments[-1] if segments else None
            if (
                last is not None
                and last.end == lo
                and (last.limits, last.source)
                == (
                    limits,
                    source,
                )
            ):
                segments[-1] = EnvelopeSegment(last.start, hi, limits, source)
            else:
                segments.append(EnvelopeSegment(lo, hi, limits, source))
        return GridEnvelope.from_segments(segments, baseline[0])

    def active(self, now: float) -> ActiveControls:
        """What is in force at ``now`` [s since epoch], with its source."""
        _check_time(now)
        limits, source, winner, default, covering = self._in_force(now, self._windows())
        overridden = tuple(
            e.control for e in covering if winner is None or e.control.mrid != winner.mrid
        )
        return ActiveControls(
            at=now,
            limits=limits,
            source=source,
            control=winner,
            default=default,
            overridden=overridden,
            comms_lost=self._comms_lost_at(now),
        )

    def tracked(self, mrid: str) -> TrackedEvent:
        """The engine's record of one event (for inspection and tests; do not mutate)."""
        return self._events[mrid]

    @property
    def comms_lost(self) -> bool:
        """True while the comms-loss fallback is in force."""
        return self._lost_at is not None

    # ------------------------------------------------------------- lifecycle

    def _receive(self, control: ScheduledControl, now: float) -> None:
        tracked = TrackedEvent(
            control=control,
            received_at=now,
            start_offset_s=_draw(self._rng, control.randomize_start_s),
            duration_offset_s=_draw(self._rng, control.randomize_duration_s),
        )
        self._events[control.mrid] = tracked
        self._changed(limits=True)
        status = control.server_status
        if status in (SourceStatus.CANCELLED, SourceStatus.CANCELLED_WITH_RANDOMIZATION):
            # Never started here, so there is no running load to de-synchronize: stop at once.
            self._fire(tracked, Trigger.CANCEL, now)
        elif status is SourceStatus.SUPERSEDED:
            self._fire(tracked, Trigger.SUPERSEDE, now)
        elif tracked.effective_end <= now:
            self._fire(tracked, Trigger.EXPIRE, now)
        elif not control.set_modes() <= self._config.supported_modes:
            self._fire(tracked, Trigger.REJECT, now)
        else:
            self._fire(tracked, Trigger.RECEIVE, now)

    def _refresh(self, tracked: TrackedEvent, control: ScheduledControl, now: float) -> None:
        self._changed(limits=True)
        old = tracked.control
        tracked.control = control
        # Randomization is drawn once per event; redraw only if the server changed the bounds.
        if control.randomize_start_s != old.randomize_start_s:
            tracked.start_offset_s = _draw(self._rng, control.randomize_start_s)
        if control.randomize_duration_s != old.randomize_duration_s:
            tracked.duration_offset_s = _draw(self._rng, control.randomize_duration_s)
        if tracked.state not in _LIVE:
            return
        status = control.server_status
        pending = tracked.stop_at
        if status is SourceStatus.CANCELLED and (pending is None or pending > now):
            self._stop(tracked, now, Trigger.CANCEL)
        elif status is SourceStatus.CANCELLED_WITH_RANDOMIZATION and pending is None:
            delay_s = 0.0
            if tracked.state is EventState.ACTIVE:
                bound_s = max(abs(control.randomize_start_s), abs(control.randomize_duration_s))
                delay_s = _draw(self._rng, bound_s)
            self._stop(tracked, now + delay_s, Trigger.CANCEL)
        elif status is SourceStatus.SUPERSEDED and (pending is None or pending > now):
            self._stop(tracked, now, Trigger.SUPERSEDE)

    def _stop(self, tracked: TrackedEvent, at: float, trigger: Trigger) -> None:
        self._changed()
        tracked.stop_at = at
        tracked.stop_trigger = trigger

    def _changed(self, *, limits: bool = False) -> None:
        # Windows depend on every event's state; merged limits only on controls and defaults.
        self._live_cache = None
        if limits:
            self._merged.clear()

    def _fire(self, tracked: TrackedEvent, trigger: Trigger, at: float) -> None:
        self._changed()
        step = transition(tracked.state, trigger)
        tracked.state = step.state
        if step.change is not None:
            self._report_change(tracked.control, step.change, step.rejection, at)

    def _report_change(
        self,
        control: ScheduledControl,
        change: EventChange,
        rejection: Rejection | None,
        at: float,
    ) -> None:
        if control.reply_to is None or change not in control.reports:
            return
        effect = EventTransition(
            reply_to=control.reply_to,
            mrid=control.mrid,
            change=change,
            rejection=rejection,
            at=at,
        )
        if self._lost_at is not None:
            self._held.append(effect)
        else:
            self._effects.append(effect)

    # ------------------------------------------------------------------ time

    def _clamp(self, now: float) -> float:
        # A wall clock that steps back (NTP) must not replay or reorder transitions.
        _check_time(now)
        return max(now, self._processed_to)

    def _live_windows(self) -> dict[str, _Window]:
        """Every live event's window as currently known, and what will end it (cached until
        the next change of any event; windows do not depend on ``now``).

        Supersession only looks at same-program events whose scheduled intervals overlap;
        they are found by bisecting on the scheduled start, so a day of back-to-back
        five-minute controls costs n log n, not n squared.
        """
        if self._live_cache is not None:
            return self._live_cache
        by_program: dict[str, list[TrackedEvent]] = {}
        for tracked in self._events.values():
            if tracked.state in _LIVE:
                by_program.setdefault(tracked.control.program_id, []).append(tracked)
        windows: dict[str, _Window] = {}
        for group in by_program.values():
            group.sort(key=lambda e: e.control.start)
            starts = [e.control.start for e in group]
            longest_s = max(e.control.duration_s for e in group)
            for tracked in group:
                candidates: list[tuple[float, int, Trigger]] = [
                    (tracked.effective_end, 0, Trigger.END)
                ]
                if tracked.stop_at is not None and tracked.stop_trigger is not None:
                    candidates.append((tracked.stop_at, 1, tracked.stop_trigger))
                lo = bisect.bisect_right(starts, tracked.control.start - longest_s)
                hi = bisect.bisect_left(starts, tracked.control.end)
                for other in group[lo:hi]:
                    if (
                        other is not tracked
                        and other.rank_key() > tracked.rank_key()
                        and _overlap(other.control, tracked.control)
                        # A newer event stopped before it starts supersedes nothing.
                        and (other.stop_at is None or other.stop_at > other.apply_from)
                    ):
                        candidates.append((other.apply_from, 1, Trigger.SUPERSEDE))
                end, _, trigger = min(candidates, key=lambda c: (c[0], c[1]))
                windows[tracked.control.mrid] = _Window(tracked.apply_from, end, trigger, tracked)
        return windows

    @staticmethod
    def _next(window: _Window) -> tuple[float, Trigger]:
        if window.event.state is EventState.SCHEDULED:
            if window.end <= window.start and window.end_trigger is not Trigger.END:
                return (window.end, window.end_trigger)
            return (window.start, Trigger.START)
        return (max(window.end, window.start), window.end_trigger)

    def _pending(
        self, windows: dict[str, _Window]
    ) -> list[tuple[float, int, tuple[float, str], Trigger, TrackedEvent]]:
        pending = []
        for window in windows.values():
            at, trigger = self._next(window)
            pending.append((at, _ORDER[trigger], window.event.rank_key(), trigger, window.event))
        return pending

    def _comms_deadline(self) -> float | None:
        timeout = self._config.comms_loss_timeout_s
        if timeout is None or self._lost_at is not None:
            return None
        return self._last_contact + timeout

    def _advance(self, until: float) -> None:
        """Fire, in time order, everything due at or before ``until``."""
        current: float | None = None
        while True:
            live = self._live_windows()
            pending = self._pending(live)
            step = min(pending, key=lambda p: p[:3]) if pending else None
            comms = self._comms_deadline()
            if comms is not None and (
                comms > until or (step is not None and (step[0], step[1]) < (comms, _COMMS_ORDER))
            ):
                comms = None
            if comms is None and (step is None or step[0] > until):
                break
            at = comms if comms is not None else step[0] if step is not None else until
            if current is not None and at != current:
                self._report(current, self._windows(live))
            current = at
            if comms is not None:
                self._lost_at = comms
                self._effects.append(CommsLost(at=comms, last_contact=self._last_contact))
            elif step is not None:
                self._fire(step[4], step[3], at)
        if current is not None:
            self._report(current)
        self._processed_to = max(self._processed_to, until)

    def _contact(self, now: float) -> None:
        if self._lost_at is not None:
            self._effects.append(
                CommsRestored(
                    at=now,
                    lost_at=self._lost_at,
                    offline_s=now - self._last_contact,
                    held_responses=len(self._held),
                )
            )
            self._effects.extend(self._held)
            self._held.clear()
            self._lost_at = None
        self._last_contact = max(self._last_contact, now)

    # --------------------------------------------------------------- timeline

    def _windows(self, live: dict[str, _Window] | None = None) -> list[_Window]:
        windows = self._live_windows() if live is None else live
        return [w for w in windows.values() if w.end > w.start]

    def _primacy(self, program_id: str) -> int:
        program = self._programs.get(program_id)
        return program.primacy if program is not None else 256

    def _default_chain(self) -> tuple[EnvelopeLimits, str, DefaultControl | None]:
        return self._chain

    def _rank_defaults(self) -> tuple[EnvelopeLimits, str, DefaultControl | None]:
        ranked = sorted(
            self._defaults.values(), key=lambda d: (self._primacy(d.program_id), d.program_id)
        )
        if not ranked:
            return EnvelopeLimits(), NO_SOURCE, None
        limits = EnvelopeLimits()
        for default in reversed(ranked):
            limits = default.limits.merged_over(limits)
        top = ranked[0]
        return limits, f"default:{top.mrid or top.program_id}", top

    def _fallback(self) -> tuple[EnvelopeLimits, str]:
        chain, _, _ = self._default_chain()
        safe = self._config.comms_loss_limits
        return (safe.merged_over(chain) if safe is not None else chain), FALLBACK_SOURCE

    def _comms_lost_at(self, t: float) -> bool:
        if self._lost_at is not None:
            return t >= self._lost_at
        deadline = self._comms_deadline()
        return deadline is not None and t >= deadline

    def _baseline(self, t: float) -> tuple[EnvelopeLimits, str]:
        if self._comms_lost_at(t):
            return self._fallback()
        limits, source, _ = self._default_chain()
        return limits, source

    def _in_force(
        self, t: float, windows: list[_Window]
    ) -> tuple[
        EnvelopeLimits, str, ScheduledControl | None, DefaultControl | None, list[TrackedEvent]
    ]:
        chain, chain_source, top = self._default_chain()
        covering = [w.event for w in windows if w.start <= t < w.end]
        if self._comms_lost_at(t):
            limits, source = self._fallback()
            return limits, source, None, top, covering
        if not covering:
            return chain, chain_source, None, top, covering
        winner = min(
            covering,
            key=lambda e: (
                self._primacy(e.control.program_id),
                -e.control.creation_time,
                e.control.mrid,
            ),
        )
        merged = self._merged.get(winner.control.mrid)
        if merged is None:
            merged = self._merged[winner.control.mrid] = winner.control.limits.merged_over(chain)
        return (
            merged,
            winner.control.mrid,
            winner.control,
            top,
            covering,
        )

    def _plan_key(self) -> tuple[object, ...]:
        windows = tuple(
            sorted(
                (w.event.control.mrid, w.start, w.end, w.event.control.limits)
                for w in self._windows()
            )
        )
        return (windows, self._default_chain()[:2], self._lost_at)

    def _report(
        self, t: float, windows: list[_Window] | None = None, *, force: bool = False
    ) -> None:
        windows = self._windows() if windows is None else windows
        limits, source, *_ = self._in_force(t, windows)
        if force or self._reported != (limits, source):
            self._reported = (limits, source)
            self._effects.append(EnvelopeChanged(at=t, limits=limits, source=source))


def _check_time(now: float) -> None:
    if not math.isfinite(now):
        raise LocalProtocolError(f"time must be finite seconds since the epoch, got {now!r}")
