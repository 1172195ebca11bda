"""The notification delivery worker: the asyncio adapter around the outbox.

Deliveries are independent. :meth:`DeliveryWorker.run_forever` keeps up to
``concurrency`` of them in flight: whenever slots are free it claims that many due outbox
rows (one statement, a lease), renders those queued for a Subscription (the resource as
its device would GET it now) and starts one task per row that POSTs the document to its
URL over mutual TLS (the server's own certificate as the client certificate, IEEE
2030.5-2018 §12.8 and §6.11). Each exchange, connect to last response byte, has one
deadline (``timeout_s``), so a listener that trickles its answer costs only its own slot
for at most that long; outcomes are recorded in batches as they finish. A peer that keeps
failing is backed off as a whole (:class:`~openderms.server.notify.backoff.PeerBackoff`):
its rows are put back without an attempt instead of tying up slots.

A delivery is protocol-neutral: a URL, the TLS context, a body and its content type. This
is the only notification code that reads the clock or does I/O; retry schedules are pure
(:mod:`openderms.server.notify.backoff`). Database calls are synchronous SQLAlchemy and run
in a thread (``Store.run``) so the event loop keeps serving while the database works.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlmodel import Session

from openderms.schemas.sep2.codec import SEP_XML
from openderms.server.config import ServerSettings
from openderms.server.notify.backoff import (
    PeerBackoff,
    RetryPolicy,
    is_retryable_status,
    peer_of,
)
from openderms.server.notify.errors import NotificationGoneError
from openderms.server.notify.http import DeliveryHttpError, HttpPoster
from openderms.server.notify.sink import NotificationEncoder, render_notification
from openderms.server.store.db import Store
from openderms.server.store.outbox import (
    ClaimedNotification,
    claim_due_notifications,
    record_attempt_failed,
    record_deferred,
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
    #: Put back untried (peer backed off or busy); not an attempt.
    deferred: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        return self.delivered + self.retrying + self.given_up + self.lost_claim + self.deferred

    def add(self, other: DeliveryReport) -> None:
        self.delivered += other.delivered
        self.retrying += other.retrying
        self.given_up += other.given_up
        self.lost_claim += other.lost_claim
        self.deferred += other.deferred
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


@dataclass(frozen=True, slots=True)
class _Deferred:
    """Not tried: due again at ``retry_at`` [s] with its attempt count unchanged."""

    retry_at: float


_Outcome = _Attempt | _Deferred


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
        Retry schedule of one row.
    rng
        Jitter source.
    batch_size
        Most rows claimed by one statement.
    concurrency
        Most deliveries in flight at once (also the HTTP connection pool size).
    lease_s
        Claim lease [s]; must exceed ``timeout_s`` so a live worker keeps its rows.
    timeout_s
        Deadline of one whole delivery exchange: connect, TLS, request, response [s].
    poll_interval_s
        Idle wait between passes when nothing was due [s].
    clock
        Wall clock [s since the epoch]; replaced in tests that need a virtual time.
    peers
        Backoff of failing peers (default: three failures in a row, then ``policy``'s steps).
    shutdown_grace_s
        On stop, how long deliveries in flight may still finish [s]; the rest are put back.
    per_peer
        Most deliveries in flight to one peer (an aggregator's listener may take a whole
        fleet's); its further claimed rows wait in line, so a slow peer holds at most this
        many slots, for at most ``timeout_s`` each, before it is backed off.
    """

    def __init__(
        self,
        store: Store,
        ssl_context: ssl.SSLContext | None,
        *,
        settings: ServerSettings | None = None,
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
        batch_size: int = 200,
        concurrency: int = 256,
        lease_s: float = 120.0,
        timeout_s: float = 30.0,
        poll_interval_s: float = 1.0,
        clock: Callable[[], float] = time.time,
        peers: PeerBackoff | None = None,
        shutdown_grace_s: float = 5.0,
        per_peer: int = 16,
    ) -> None:
        if lease_s <= timeout_s:
            raise ValueError("lease_s must exceed timeout_s, or two workers may both deliver")
        if min(batch_size, concurrency, per_peer) < 1:
            raise ValueError("batch_size, concurrency and per_peer must be at least 1")
        self._store = store
        self._ssl_context = ssl_context
        self._settings = settings or ServerSettings()
        self._policy = policy or RetryPolicy()
        self._rng = rng or random.Random()  # noqa: S311  # jitter, not cryptography
        self._batch_size = batch_size
        self._concurrency = concurrency
        self._lease_s = lease_s
        self._timeout_s = timeout_s
        self._poll_interval_s = poll_interval_s
        self._clock = clock
        self._peers = peers or PeerBackoff(policy=self._policy)
        self._shutdown_grace_s = shutdown_grace_s
        self._per_peer_limit = per_peer
        self._claim_threshold = min(batch_size, max(1, concurrency // 8))
        self._wakeup = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._per_peer: Counter[str] = Counter()
        #: (peer, subscription id) with a delivery in flight: a subscription's Notifications
        #: go one at a time, in claim order, so the newest state arrives last.
        self._busy: set[tuple[str, int]] = set()
        #: Claimed rows waiting for a busy peer: (row, body, monotonic time of the claim).
        self._waiting: dict[str, deque[tuple[ClaimedNotification, bytes, float]]] = {}
        #: Finished outcomes not yet recorded.
        self._finished: list[tuple[ClaimedNotification, _Outcome]] = []

    def wake(self) -> None:
        """Ask a sleeping :meth:`run_forever` loop to look for due rows now."""
        self._wakeup.set()

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; errors in one pass are logged, not fatal."""
        report = DeliveryReport()
        async with self._client() as client:
            try:
                while not stop.is_set():
                    started = 0
                    try:
                        free = self._concurrency - self._held()
                        # Claim in batches: a few freed slots wait for more (or for idle).
                        if free >= self._claim_threshold or not self._in_flight:
                            started = await self._start_batch(client, min(free, self._batch_size))
                        await self._record_finished(report)
                    except Exception:  # keep the worker alive across database hiccups
                        logger.exception("notification delivery pass failed")
                        started = 0
                    if started and self._held() < self._concurrency:
                        continue  # there may be more due rows
                    await self._idle(stop)
            finally:
                await self._shut_down(report)

    async def run_once(self, *, client: HttpPoster | None = None) -> DeliveryReport:
        """Claim one batch of due rows, deliver them concurrently, record every outcome."""
        report = DeliveryReport()
        if client is None:
            async with self._client() as own_client:
                await self._one_pass(own_client, report)
        else:
            await self._one_pass(client, report)
        return report

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

    async def _one_pass(self, client: HttpPoster, report: DeliveryReport) -> None:
        await self._start_batch(client, self._batch_size)
        while self._in_flight:  # a finished delivery may start the next one to its peer
            await asyncio.wait(self._in_flight)
        await self._record_finished(report)

    def _client(self) -> HttpPoster:
        return HttpPoster(
            self._ssl_context,
            idle_per_peer=min(self._per_peer_limit, 4),
            idle_total=self._concurrency,
        )

    async def _idle(self, stop: asyncio.Event) -> None:
        """Wait for a new row (wake), a finished delivery, stop, or the poll interval."""
        self._wakeup.clear()
        waiters: list[asyncio.Future[object]] = [
            asyncio.ensure_future(stop.wait()),
            asyncio.ensure_future(self._wakeup.wait()),
        ]
        deliveries: list[asyncio.Future[object]] = list(self._in_flight)  # type: ignore[arg-type]
        try:
            await asyncio.wait(
                [*waiters, *deliveries],
                timeout=self._poll_interval_s,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _shut_down(self, report: DeliveryReport) -> None:
        """Let deliveries in flight finish briefly, put the rest back, record everything."""
        if self._in_flight:
            await asyncio.wait(self._in_flight, timeout=self._shutdown_grace_s)
        self._release_waiting(None, self._clock())
        for task in list(self._in_flight):
            task.cancel()
        await asyncio.gather(*self._in_flight, return_exceptions=True)
        try:
            await self._record_finished(report)
        except Exception:  # the leases expire instead; nothing is lost
            logger.exception("could not record notification outcomes at shutdown")

    async def _start_batch(self, client: HttpPoster, limit: int) -> int:
        """Claim up to ``limit`` due rows and start delivering them; rows claimed."""
        claimed_at = time.monotonic()
        claimed = await self._store.run(
            claim_due_notifications,
            # OpenADR rows (application/json) are delivered by openderms.server.openadr.
            content_type=SEP_XML,
            now=self._clock(),
            limit=limit,
            lease_s=self._lease_s,
            claim_token=uuid.uuid4().hex,
        )
        if not claimed:
            return 0
        bodies = await self._store.run(self._render_all, claimed)
        now = self._clock()
        for item, body in zip(claimed, bodies, strict=True):
            peer = peer_of(item.notification_uri)
            blocked_until = self._peers.blocked_until(peer, now)
            if isinstance(body, NotificationGoneError):
                outcome: _Outcome = _Attempt(None, f"gone: {body}", permanent=True)
            elif blocked_until is not None:
                outcome = _Deferred(blocked_until)
            elif self._per_peer[peer] >= self._per_peer_limit or self._is_busy(peer, item):
                self._waiting.setdefault(peer, deque()).append((item, body, claimed_at))
                continue
            else:
                self._begin(client, item, body, peer)
                continue
            self._finished.append((item, outcome))
        return len(claimed)

    def _held(self) -> int:
        """Claimed rows this worker holds: in flight or waiting for their peer."""
        return len(self._in_flight) + sum(len(line) for line in self._waiting.values())

    def _begin(
        self, client: HttpPoster, item: ClaimedNotification, body: bytes, peer: str
    ) -> None:
        self._per_peer[peer] += 1
        if item.subscription_id is not None:
            self._busy.add((peer, item.subscription_id))
        task = asyncio.create_task(self._deliver(client, item, body, peer))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    def _next_for(self, client: HttpPoster, peer: str) -> None:
        """A slot to ``peer`` freed: start its next waiting row, or put its rows back."""
        line = self._waiting.get(peer)
        now = self._clock()
        blocked_until = self._peers.blocked_until(peer, now)
        if blocked_until is not None:
            self._release_waiting(peer, blocked_until)
            return
        while line and self._per_peer[peer] < self._per_peer_limit:
            # The first in line whose subscription has nothing in flight (keeps its order).
            index = next((i for i, w in enumerate(line) if not self._is_busy(peer, w[0])), None)
            if index is None:
                break
            item, body, claimed_at = line[index]
            del line[index]
            # Only start it if our lease outlasts its whole deadline; else hand it back.
            if time.monotonic() - claimed_at + self._timeout_s < self._lease_s:
                self._begin(client, item, body, peer)
            else:
                self._finished.append((item, _Deferred(now)))
        if not line:
            self._waiting.pop(peer, None)

    def _is_busy(self, peer: str, item: ClaimedNotification) -> bool:
        sub = item.subscription_id
        return sub is not None and (peer, sub) in self._busy

    def _release_waiting(self, peer: str | None, retry_at: float) -> None:
        """Put back the rows waiting for ``peer`` (None: every peer), due at ``retry_at``."""
        peers = list(self._waiting) if peer is None else [peer]
        for name in peers:
            for item, _body, _claimed_at in self._waiting.pop(name, ()):
                self._finished.append((item, _Deferred(retry_at)))

    async def _deliver(
        self, client: HttpPoster, item: ClaimedNotification, body: bytes, peer: str
    ) -> None:
        try:
            async with asyncio.timeout(self._timeout_s):
                attempt = await self._post(client, item, body)
        except TimeoutError:
            attempt = _Attempt(
                None, f"DeliveryDeadline: no complete answer within {self._timeout_s:g} s"
            )
        except asyncio.CancelledError:
            # Stopped mid-exchange: the outcome is unknown, so the row is due again at once
            # (a listener may see it twice, which is harmless: a Notification carries the
            # resource's current state).
            self._finished.append((item, _Deferred(self._clock())))
            raise
        finally:
            self._per_peer[peer] -= 1
            if self._per_peer[peer] <= 0:
                del self._per_peer[peer]
            if item.subscription_id is not None:
                self._busy.discard((peer, item.subscription_id))
        if attempt.ok or attempt.permanent:
            self._peers.succeeded(peer)  # it answered: the peer itself is healthy
        else:
            self._peers.failed(peer, self._clock(), self._rng)
        self._finished.append((item, attempt))
        self._next_for(client, peer)

    async def _record_finished(self, report: DeliveryReport) -> None:
        """Record the outcomes finished so far in one transaction."""
        finished, self._finished = self._finished, []
        if finished:
            report.add(await self._store.run(self._record_all, finished))

    def _render_all(
        self, session: Session, claimed: Sequence[ClaimedNotification]
    ) -> list[bytes | NotificationGoneError]:
        rendered: list[bytes | NotificationGoneError] = []
        now = self._clock()
        encoder = NotificationEncoder()  # one encoding per group of equal documents
        for item in claimed:
            if item.body is not None:
                rendered.append(item.body)
                continue
            try:
                rendered.append(
                    render_notification(session, self._settings, item, now=now, encoder=encoder)
                )
            except NotificationGoneError as exc:
                rendered.append(exc)
        session.rollback()  # rendering only reads
        return rendered

    async def _post(self, client: HttpPoster, item: ClaimedNotification, body: bytes) -> _Attempt:
        try:
            status = await client.post(
                item.notification_uri, body, {"Content-Type": item.content_type}
            )
        except DeliveryHttpError as exc:
            return _Attempt(status_code=None, error=f"{exc.kind}: {exc}")
        if 200 <= status <= 299:
            return _Attempt(status_code=status, error=None)
        return _Attempt(
            status_code=status,
            error=f"HTTP {status}",
            permanent=not is_retryable_status(status),
        )

    def _record_all(
        self, session: Session, finished: Sequence[tuple[ClaimedNotification, _Outcome]]
    ) -> DeliveryReport:
        """Record outcomes in one transaction."""
        report = DeliveryReport()
        now = self._clock()
        for item, outcome in finished:
            if isinstance(outcome, _Deferred):
                kept = record_deferred(session, item, retry_at=outcome.retry_at, commit=False)
                report.deferred += kept
                report.lost_claim += not kept
            else:
                self._record(session, item, outcome, report, now)
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
