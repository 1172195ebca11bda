"""The hook through which services tell subscribers that a resource changed.

The notification part (``openderms.server.notify``) implements `ChangeSink` with an outbox
table; a service calls ``resource_changed`` inside its own transaction, before its commit,
so the outbox row commits atomically with the change (IEEE 2030.5 §9.6 Subscription).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from sqlmodel import Session

__all__ = ["ChangeSink", "NullChangeSink", "RecordingChangeSink", "notify_all"]


class ChangeSink(Protocol):
    """Receives the href of every subscribable resource a service changed."""

    def resource_changed(self, session: Session, href: str) -> None:
        """Record that the resource (or list) at `href` changed, in `session`'s transaction."""
        ...


class NullChangeSink:
    """A sink that drops changes (a server without subscriptions)."""

    def resource_changed(self, session: Session, href: str) -> None:
        del session, href


class RecordingChangeSink:
    """A sink that remembers hrefs in memory (tests, and what a service reported)."""

    def __init__(self) -> None:
        self.hrefs: list[str] = []

    def resource_changed(self, session: Session, href: str) -> None:
        del session
        self.hrefs.append(href)


def notify_all(sink: ChangeSink, session: Session, hrefs: Iterable[str]) -> None:
    """Report each distinct href once, in order."""
    seen: set[str] = set()
    for href in hrefs:
        if href not in seen:
            seen.add(href)
            sink.resource_changed(session, href)
