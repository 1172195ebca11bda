"""The notification delivery worker: the asyncio adapter around the outbox.

One pass: claim due outbox rows (a lease), render the Notification of each row queued for a
Subscription (the resource as its device would GET it now), POST every document to its
``notificationURI`` over mutual TLS (the server's own certificate as the client
certificate, IEEE 2030.5-2018 §12.8 and §6.11), and record all outcomes in one
transaction. This is the only notification code that reads the clock or does I/O; the
retry schedule is the pure :class:`~openderms.server.notify.backoff.RetryPolicy`.

Database calls are synchronous SQLAlchemy and run in a thread (``Store.run``) so the
event loop keeps serving while the database works.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx
from sqlmodel import Session

from openderms.server.config import ServerSettings
from openderms.server.notify.backoff import RetryPolicy, is_retryable_status
from openderms.server.notify.errors import NotificationGoneError
from openderms.server.notify.sink import render_notification
from openderms.server.store.db import Store
from openderms.server.store.outbox import (
    ClaimedNotification,
    claim_due_notifications,
    record_attempt_failed,
    record_delivered,
    record_given_up,
)

__all__ = ["DeliveryReport", "DeliveryWorker"]

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class DeliveryReport:
    """What one or more passes of the worker did (counts of rows)."""

    delivered: int = 0
    retrying: int = 0
    given_up: int = 0
    lost_claim: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        return self.delivered + self.retrying + self.given_up + self.lost_claim

    def add(self, other: DeliveryReport) -> None:
        self.delivered += other.delivered
        self.retrying += other.retrying
        self.given_up += other.given_up
        self.lost_claim += other.lost_claim
        self.errors.extend(other.errors)


@dataclass(frozen=True, slots=True)
class _Attempt:
    status_code: int | None
    error: str | None
    #: Never retry (the listener refused for good, or the notification is gone).
    permanent: bool = False

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code <= 299


class DeliveryWorker:
    """Deliver outbox Notifications; run one per server process.

    Parameters
    ----------
    store
        The head-end database.
    ssl_context
        Client TLS context carrying the server's certificate and the CA that
        notification listeners chain to. ``None`` only for plain-http test listeners.
    settings
        Server settings the read services use when rendering a subscribed resource.
    policy
        Retry schedule.
    rng
        Jitter source.
    batch_size
        Rows claimed (and POSTed concurrently) per pass.
    lease_s
        Claim lease [s]; must exceed ``timeout_s`` so a live worker keeps its rows.
    timeout_s
        Per-request timeout for connect, read and write [s].
    poll_interval_s
        Idle wait between passes when nothing was due [s].
    clock
        Wall clock [s since the epoch]; replaced in tests that need a virtual time.
    """

    def __init__(
        self,
        store: Store,
        ssl_context: ssl.SSLContext | None,
        *,
        settings: ServerSettings | None = None,
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
        batch_size: int = 50,
        lease_s: float = 120.0,
        timeout_s: float = 30.0,
        poll_interval_s: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if lease_s <= timeout_s:
            raise ValueError("lease_s must exceed timeout_s, or two workers may both deliver")
        self._store = store
        self._ssl_context = ssl_context
        self._settings = settings or ServerSettings()
        self._policy = policy or RetryPolicy()
        self._rng = rng or random.Random()  # noqa: S311  # jitter, not cryptography
        self._batch_size = batch_size
        self._lease_s = lease_s
        self._timeout_s = timeout_s
        self._poll_interval_s = poll_interval_s
        self._clock = clock
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        """Ask a sleeping :meth:`run_forever` loop to look for due rows now."""
        self._wakeup.set()

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; errors in one pass are logged, not fatal."""
        async with self._client() as client:
            while not stop.is_set():
                try:
                    report = await self.run_once(client=client)
                except Exception:  # keep the worker alive across database hiccups
                    logger.exception("notification delivery pass failed")
                    report = DeliveryReport()
                if report.claimed:
                    continue  # there may be more due rows
                self._wakeup.clear()
                waiters = [
                    asyncio.ensure_future(stop.wait()),
                    asyncio.ensure_future(self._wakeup.wait()),
                ]
                await asyncio.wait(
                    waiters, timeout=self._poll_interval_s, return_when=asyncio.FIRST_COMPLETED
                )
                for waiter in waiters:
                    waiter.cancel()

    async def run_once(self, *, client: httpx.AsyncClient | None = None) -> DeliveryReport:
        """Claim one batch of due rows, render, deliver concurrently, record outcomes."""
        claimed = await self._store.run(
            claim_due_notifications,
            now=self._clock(),
            limit=self._batch_size,
            lease_s=self._lease_s,
            claim_token=uuid.uuid4().hex,
        )
        if not claimed:
            return DeliveryReport()
        bodies = await self._store.run(self._render_all, claimed)
        if client is None:
            async with self._client() as own_client:
                attempts = await self._post_all(own_client, claimed, bodies)
        else:
            attempts = await self._post_all(client, claimed, bodies)
        return await self._store.run(self._record_all, claimed, attempts)

    async def drain(self, *, max_passes: int = 100) -> DeliveryReport:
        """Run passes until a pass claims nothing (rows waiting for a retry stay)."""
        total = DeliveryReport()
        async with self._client() as client:
            for _ in range(max_passes):
                report = await self.run_once(client=client)
                if not report.claimed:
                    break
                total.add(report)
        return total

    def _client(self) -> httpx.AsyncClient:
        verify: ssl.SSLContext | bool = self._ssl_context if self._ssl_context else True
        return httpx.AsyncClient(
            verify=verify,
            timeout=httpx.Timeout(self._timeout_s),
            follow_redirects=False,
        )

    def _render_all(
        self, session: Session, claimed: Sequence[ClaimedNotification]
    ) -> list[bytes | NotificationGoneError]:
        rendered: list[bytes | NotificationGoneError] = []
        now = self._clock()
        for item in claimed:
            if item.body is not None:
                rendered.append(item.body)
                continue
            try:
                rendered.append(render_notification(session, self._settings, item, now=now))
            except NotificationGoneError as exc:
                rendered.append(exc)
        session.rollback()  # rendering only reads
        return rendered

    async def _post_all(
        self,
        client: httpx.AsyncClient,
        claimed: Sequence[ClaimedNotification],
        bodies: Sequence[bytes | NotificationGoneError],
    ) -> list[_Attempt]:
        async def one(item: ClaimedNotification, body: bytes | NotificationGoneError) -> _Attempt:
            if isinstance(body, NotificationGoneError):
                return _Attempt(status_code=None, error=f"gone: {body}", permanent=True)
            return await self._post(client, item, body)

        pairs = zip(claimed, bodies, strict=True)
        return list(await asyncio.gather(*(one(item, body) for item, body in pairs)))

    async def _post(
        self, client: httpx.AsyncClient, item: ClaimedNotification, body: bytes
    ) -> _Attempt:
        try:
            response = await client.post(
                item.notification_uri,
                content=body,
                headers={"Content-Type": item.content_type},
            )
        except httpx.HTTPError as exc:
            return _Attempt(status_code=None, error=f"{type(exc).__name__}: {exc}")
        if 200 <= response.status_code <= 299:
            return _Attempt(status_code=response.status_code, error=None)
        return _Attempt(
            status_code=response.status_code,
            error=f"HTTP {response.status_code}",
            permanent=not is_retryable_status(response.status_code),
        )

    def _record_all(
        self,
        session: Session,
        claimed: Sequence[ClaimedNotification],
        attempts: Sequence[_Attempt],
    ) -> DeliveryReport:
        """Record every outcome of a pass in one transaction."""
        report = DeliveryReport()
        now = self._clock()
        for item, attempt in zip(claimed, attempts, strict=True):
            self._record(session, item, attempt, report, now)
        session.commit()
        return report

    def _record(
        self,
        session: Session,
        item: ClaimedNotification,
        attempt: _Attempt,
        report: DeliveryReport,
        now: float,
    ) -> None:
        attempts_made = item.attempts + 1
        if attempt.ok:
            assert attempt.status_code is not None
            kept = record_delivered(
                session, item, now=now, status_code=attempt.status_code, commit=False
            )
            report.delivered += kept
            report.lost_claim += not kept
            return
        error = attempt.error or "unknown error"
        report.errors.append(error)
        if attempt.permanent or self._policy.gives_up_after(attempts_made):
            kept = record_given_up(
                session, item, error=error, status_code=attempt.status_code, commit=False
            )
            if kept:
                logger.warning(
                    "gave up notification %d to %s after %d attempts: %s",
                    item.id,
                    item.notification_uri,
                    attempts_made,
                    error,
                )
            report.given_up += kept
            report.lost_claim += not kept
            return
        retry_at = now + self._policy.delay_s(attempts_made, self._rng)
        kept = record_attempt_failed(
            session,
            item,
            retry_at=retry_at,
            error=error,
            status_code=attempt.status_code,
            commit=False,
        )
        # Not kept: our lease ran out and another worker took the row; it owns the outcome.
        report.retrying += kept
        report.lost_claim += not kept
