"""The gateway runtime: the one asyncio loop that reads the clock, for any protocols.

On every input (a timer, a session's wake-up) it reads the clock once, turns it into site
time (the 2030.5 server's clock when that session is the time source), samples the site
when due, lets every :class:`~openderms.client.runtime.session.Session` handle its timer,
dispatches the most restrictive limits of all sources
(:class:`~openderms.client.events.SiteEvents`) to the devices, and only then awaits the
sessions' network exchanges. It re-arms a single timer from the earliest deadline of all of
them (STYLE.md §2, after aioquic's ``QuicConnectionProtocol``).

:meth:`GatewayRuntime.step` is that one pass with ``local_now`` given, so tests drive the
whole gateway through minutes of virtual time. Build one with
:func:`openderms.client.runtime.app.open_gateway`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from openderms.client.config import TimingConfig
from openderms.client.envelope import EnvelopeLimits, GridEnvelope
from openderms.client.events import SiteEvents
from openderms.client.runtime.session import FaultChange, LimitsChanged, Session
from openderms.client.runtime.site import DeviceFault, SiteIO

__all__ = ["GatewayRuntime"]

log = logging.getLogger(__name__)

_ENVELOPE_HORIZON_S = 86_400.0
_STEP_ERROR_PAUSE_S = 1.0
"""Pause after a step failed unexpectedly, so a persistent fault cannot spin the loop [s]."""
_MAX_SLEEP_S = 60.0
"""Wake at least this often, so a changed wall clock is noticed [s]."""


def _same_clock(local_now: float) -> float:
    return local_now


class GatewayRuntime:
    """Runs one site's devices for any number of protocol sessions.

    Parameters
    ----------
    sessions : sequence of Session
        In order of precedence (the first decides setpoints and prices that cannot be
        combined; see :mod:`openderms.client.events.sources`). Owned: closed by
        :meth:`close`.
    site : SiteIO
        The devices side (owned).
    timing : TimingConfig
        Sample and dispatch periods.
    clock : callable
        The local clock [s since epoch]; ``time.time`` unless a test drives the runtime.
    site_clock : callable
        Local time to site time [s since epoch] (the 2030.5 server's clock); the identity
        by default.
    events : SiteEvents, optional
        Where every session's engine is registered (made here when not given; a planner
        built before the runtime reads its envelope).
    """

    def __init__(
        self,
        *,
        sessions: Sequence[Session],
        site: SiteIO,
        timing: TimingConfig,
        clock: Callable[[], float] = time.time,
        site_clock: Callable[[float], float] = _same_clock,
        events: SiteEvents | None = None,
    ) -> None:
        self.sessions = tuple(sessions)
        self.site = site
        self.timing = timing
        self._clock = clock
        self._site_clock = site_clock
        self.events = events if events is not None else SiteEvents()
        """Every source's events; the limits dispatched are their combination."""
        registered = dict(self.events)
        for session in self.sessions:
            if registered.get(session.source) is not session.engine:
                self.events.add(session.source, session.engine)
        now = self.site_now()
        self.limits: EnvelopeLimits | None = None
        """The limits last dispatched."""
        self.limits_source = ""
        self.faults: dict[str, str] = {}
        """Devices currently faulted, with the last message."""
        self._read_faults: dict[str, str] = {}
        self._apply_faults: dict[str, str] = {}
        self._next_sample_at = now
        self._next_dispatch_at = now
        self._dispatch_needed = True
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self.steps = 0
        self.on_step: Callable[[GatewayRuntime], None] | None = None
        """Called after every step (the demo and tests watch the gateway through it)."""

    def session(self, source: str) -> Session:
        """The session of ``source``."""
        for session in self.sessions:
            if session.source == source:
                return session
        raise KeyError(source)

    def site_now(self, local_now: float | None = None) -> float:
        """Site time [s since epoch] (at ``local_now``, else at the local clock)."""
        return self._site_clock(self._clock() if local_now is None else local_now)

    # -------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Start every session (restoring what each holds)."""
        now = self.site_now()
        for session in self.sessions:
            await session.start(now, self.wake)

    async def close(self) -> None:
        """Close the sessions and the devices."""
        for session in self.sessions:
            await session.close()
        with contextlib.suppress(Exception):
            await self.site.close()

    def stop(self) -> None:
        """Ask :meth:`run` to return (safe from a signal handler)."""
        self._stopping.set()
        self._wake.set()

    def wake(self) -> None:
        """Run a step as soon as possible."""
        self._wake.set()

    async def run(self) -> None:
        """Start, loop until :meth:`stop`, close."""
        await self.start()
        try:
            while not self._stopping.is_set():
                self._wake.clear()
                try:
                    await self.step(self._clock())
                except Exception:  # the gateway must outlive any one bad step
                    log.exception("gateway step failed; carrying on")
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), _STEP_ERROR_PAUSE_S)
                    continue
                delay_s = self.seconds_to_next_deadline()
                if delay_s > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), delay_s)
        finally:
            await self.close()

    def next_deadline(self) -> float:
        """The earliest time anything is due [s since epoch, site clock]."""
        candidates = [self._next_sample_at, self._next_dispatch_at]
        candidates += [d for s in self.sessions if (d := s.next_deadline()) is not None]
        return min(candidates)

    def seconds_to_next_deadline(self) -> float:
        """How long the one timer sleeps [s], bounded by ``_MAX_SLEEP_S``."""
        if self._dispatch_needed:
            return 0.0
        return min(max(self.next_deadline() - self.site_now(), 0.0), _MAX_SLEEP_S)

    # -------------------------------------------------------------------- step

    async def step(self, local_now: float) -> None:
        """One pass: sample, timers, dispatch, then the sessions' exchanges.

        Parameters
        ----------
        local_now : float
            The local clock [s since epoch].
        """
        now = self._site_clock(local_now)
        if now >= self._next_sample_at:
            await self._sample(now)
        # What the sessions hold as due goes to the devices before any network I/O:
        # a slow or hung server must not delay the start or end of a control.
        await self._follow_sessions(now)
        for session in self.sessions:
            await session.exchange(now)
        # Exchanges take real time: continue from the clock as it is now (never backwards).
        now = self._site_clock(max(local_now, self._clock()))  # a time sync may move it too
        await self._follow_sessions(now)
        for session in self.sessions:
            await session.flush(now)
        self.steps += 1
        if self.on_step is not None:
            self.on_step(self)

    async def _follow_sessions(self, now: float) -> None:
        """Timers, effects, and a dispatch when the limits changed or one is due."""
        for session in self.sessions:
            session.handle_timer(now)
            while (effect := session.next_effect()) is not None:
                if isinstance(effect, LimitsChanged):
                    self._dispatch_needed = True
        if self._dispatch_needed or now >= self._next_dispatch_at:
            await self._dispatch(now)

    async def _dispatch(self, now: float) -> None:
        active = self.events.active(now)
        self.limits, self.limits_source = active.limits, active.source
        self._dispatch_needed = False
        self._next_dispatch_at = now + self.timing.dispatch_s
        faults = await self.site.apply(active.limits, now)
        self._apply_faults = _by_device(faults)
        self._update_faults(now)

    async def _sample(self, now: float) -> None:
        self._next_sample_at = now + self.timing.sample_s
        reading = await self.site.read(now)
        for session in self.sessions:
            session.handle_reading(reading, now)
        self._read_faults = _by_device(reading.faults)
        self._update_faults(now)

    def _update_faults(self, now: float) -> None:
        current = {**self._read_faults, **self._apply_faults}
        changes = [FaultChange(d, current[d]) for d in sorted(set(current) - set(self.faults))]
        changes += [FaultChange(d, None) for d in sorted(set(self.faults) - set(current))]
        for change in changes:
            if change.message is not None:
                log.warning("device %s faulted: %s", change.device, change.message)
            else:
                log.info("device %s recovered", change.device)
        self.faults = current
        if changes:
            for session in self.sessions:
                session.handle_faults(changes, now)

    # ------------------------------------------------------------ inspection

    def envelope(self, horizon_s: float = _ENVELOPE_HORIZON_S) -> GridEnvelope:
        """The combined limits from now over ``horizon_s`` [s], as the sources' engines know
        them (what a planner such as :mod:`openderms.client.optimizer` plans inside)."""
        return self.events.envelope(self.site_now(), horizon_s)

    def status(self) -> dict[str, Any]:
        """A summary for logs, the demo and tests (each session adds its own keys)."""
        summary: dict[str, Any] = {
            "limits": self.limits,
            "limits_source": self.limits_source,
            "comms_lost": any(engine.comms_lost for _, engine in self.events),
            "faults": dict(self.faults),
        }
        for session in self.sessions:
            summary.update(session.status())
        return summary


def _by_device(faults: Sequence[DeviceFault]) -> dict[str, str]:
    return {fault.device: fault.message for fault in faults}
