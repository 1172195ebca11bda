"""The notification delivery worker: the asyncio adapter around the outbox.

It claims due outbox rows, POSTs each Notification document to its
``notificationURI`` over mutual TLS (the server's own certificate as the client
certificate, IEEE 2030.5-2018 §12.8 and §6.11), and records the outcome. This is the
only notification code that reads the clock or does I/O; the retry schedule is the pure
:class:`~openderms.server.notify.backoff.RetryPolicy`.

Database calls are synchronous SQLAlchemy and run in a thread (``asyncio.to_thread``)
so the event loop keeps serving while the database works.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from sqlmodel import Session

from openderms.server.notify.backoff import RetryPolicy, is_retryable_status
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
    """What one pass of the worker did (counts of rows)."""

    delivered: int = 0
    retrying: int = 0
    given_up: int = 0
    lost_claim: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        return self.delivered + self.retrying + self.given_up + self.lost_claim


@dataclass(frozen=True, slots=True)
class _Attempt:
    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code <= 299


class DeliveryWorker:
    """Deliver outbox Notifications; run one per server process.

    Parameters
    ----------
    store
        The head-end database (one short session per claim or record step).
    ssl_context
        Client TLS context carrying the server's certificate and the CA that
        notification listeners chain to. ``None`` only for plain-http test listeners.
    policy
        Retry schedule.
    rng
        Jitter source.
    batch_size
        Rows claimed per pass.
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
        """Claim one batch of due rows, deliver them concurrently, record outcomes."""
        token = uuid.uuid4().hex
        claimed = await self._store.run(
            claim_due_notifications,
            now=self._clock(),
            limit=self._batch_size,
            lease_s=self._lease_s,
            claim_token=token,
        )
        report = DeliveryReport()
        if not claimed:
            return report
        if client is None:
            async with self._client() as own_client:
                attempts = await asyncio.gather(*(self._post(own_client, c) for c in claimed))
        else:
            attempts = await asyncio.gather(*(self._post(client, c) for c in claimed))
        for item, attempt in zip(claimed, attempts, strict=True):
            await self._store.run(self._record, item, attempt, report)
        return report

    async def drain(self, *, max_passes: int = 100) -> DeliveryReport:
        """Run passes until a pass claims nothing (rows waiting for a retry stay)."""
        total = DeliveryReport()
        for _ in range(max_passes):
            report = await self.run_once()
            if not report.claimed:
                break
            total.delivered += report.delivered
            total.retrying += report.retrying
            total.given_up += report.given_up
            total.lost_claim += report.lost_claim
            total.errors.extend(report.errors)
        return total

    def _client(self) -> httpx.AsyncClient:
        verify: ssl.SSLContext | bool = self._ssl_context if self._ssl_context else True
        return httpx.AsyncClient(
            verify=verify,
            timeout=httpx.Timeout(self._timeout_s),
            follow_redirects=False,
        )

    async def _post(self, client: httpx.AsyncClient, item: ClaimedNotification) -> _Attempt:
        try:
            response = await client.post(
                item.notification_uri,
                content=item.body,
                headers={"Content-Type": item.content_type},
            )
        except httpx.HTTPError as exc:
            return _Attempt(status_code=None, error=f"{type(exc).__name__}: {exc}")
        if 200 <= response.status_code <= 299:
            return _Attempt(status_code=response.status_code, error=None)
        return _Attempt(status_code=response.status_code, error=f"HTTP {response.status_code}")

    def _record(
        self,
        session: Session,
        item: ClaimedNotification,
        attempt: _Attempt,
        report: DeliveryReport,
    ) -> None:
        now = self._clock()
        attempts_made = item.attempts + 1
        if attempt.ok:
            assert attempt.status_code is not None
            if record_delivered(session, item, now=now, status_code=attempt.status_code):
                report.delivered += 1
            else:
                report.lost_claim += 1
            return
        error = attempt.error or "unknown error"
        report.errors.append(error)
        permanent = attempt.status_code is not None and not is_retryable_status(
            attempt.status_code
        )
        if permanent or self._policy.gives_up_after(attempts_made):
            if record_given_up(session, item, error=error, status_code=attempt.status_code):
                report.given_up += 1
                logger.warning(
                    "gave up notification %d to %s after %d attempts: %s",
                    item.id,
                    item.notification_uri,
                    attempts_made,
                    error,
                )
            else:
                report.lost_claim += 1
            return
        retry_at = now + self._policy.delay_s(attempts_made, self._rng)
        if record_attempt_failed(
            session, item, retry_at=retry_at, error=error, status_code=attempt.status_code
        ):
            report.retrying += 1
        else:
            # Our lease ran out and another worker took the row; it owns the outcome.
            report.lost_claim += 1
