"""The one interface between the gateway runtime and a protocol session.

A *session* is one protocol's conversation on behalf of the site: the 2030.5 client
(:class:`openderms.client.sep2.session.Sep2Session`), an OpenADR VEN, an aggregator's many
EndDevices. The runtime (:class:`openderms.client.runtime.gateway.GatewayRuntime`) knows
none of them; it drives every session through :class:`Session`, after aioquic's
``QuicConnection`` (STYLE.md §2):

- ``next_deadline()`` says when the session must next be called;
- ``handle_timer(now)``, ``handle_reading(reading, now)`` and ``handle_faults(changes,
  now)`` take time and inputs in and never block: they update state and queue effects;
- ``next_effect()`` drains what the session asks of the runtime (:class:`LimitsChanged`);
- ``exchange(now)`` and ``flush(now)`` are the session's own network turns, awaited by the
  runtime after the devices got what is due (a slow server never delays a control).

Each session owns the :class:`~openderms.client.events.EventEngine` of its source; the
runtime registers it in :class:`~openderms.client.events.SiteEvents`, where the limits of
every source meet (most restrictive per limit). Times are the site clock [s since epoch].
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from openderms.client.events import EventEngine
from openderms.client.runtime.site import SiteReading

__all__ = ["FaultChange", "LimitsChanged", "Session", "SessionEffect"]


@dataclass(frozen=True, slots=True)
class SessionEffect:
    """Marker base of what a session asks of the runtime."""


@dataclass(frozen=True, slots=True)
class LimitsChanged(SessionEffect):
    """The session's limits (or whether they apply) changed: dispatch the site again."""

    at: float
    """When [s since epoch]."""


@dataclass(frozen=True, slots=True)
class FaultChange:
    """A device started or stopped failing (the runtime tracks reads and dispatches)."""

    device: str
    message: str | None
    """What failed; None when the device recovered."""


class Session(Protocol):
    """What the runtime needs from one protocol session."""

    source: str
    """The session's name in :class:`~openderms.client.events.SiteEvents`."""
    engine: EventEngine
    """The events of this source."""

    async def start(self, now: float, wake: Callable[[], None]) -> None:
        """Restore persisted state and open listeners; ``wake`` asks the runtime for a step
        (say, when a Notification arrived)."""
        ...

    async def close(self) -> None:
        """Close listeners and connections."""
        ...

    def next_deadline(self) -> float | None:
        """When the session must next be called [s since epoch], or None."""
        ...

    def handle_timer(self, now: float) -> None:
        """Process what is due at ``now`` without I/O (the engine's timer, its effects)."""
        ...

    def handle_reading(self, reading: SiteReading, now: float) -> None:
        """Take in one read of the site (telemetry to report)."""
        ...

    def handle_faults(self, changes: Sequence[FaultChange], now: float) -> None:
        """Take in devices that faulted or recovered."""
        ...

    def next_effect(self) -> SessionEffect | None:
        """Pop the oldest pending effect, or None."""
        ...

    async def exchange(self, now: float) -> None:
        """Run the network exchanges that are due; errors are the session's to handle."""
        ...

    async def flush(self, now: float) -> None:
        """Deliver at once what the last :meth:`handle_timer` queued (Responses, reports)."""
        ...

    def status(self) -> dict[str, Any]:  # Any: a summary for logs and tests
        """A summary of the session for logs, the demo and tests."""
        ...
