"""A slow notification listener costs only its own delivery slot (issue 12, item 3).

Real mutual-TLS listeners on 127.0.0.1, the real delivery worker loop on SQLite: one
device's listener reads the request, then answers one byte per ``DRIP_S`` (each byte well
inside any per-read timeout, so only a deadline on the whole exchange ends it). While its
deliveries hang, another device's Notification must still arrive at once; each slow
exchange must end at the deadline and count as a failed attempt; once the slow peer has
failed ``THRESHOLD`` times in a row its further rows are put back untried (backed off)
instead of taking slots. Prints what it tried and what held.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import ssl
import threading
import time
from pathlib import Path

from hardening_testlib import Tally
from sqlmodel import select

from openderms.certs import pki, tls
from openderms.server.notify.backoff import PeerBackoff, RetryPolicy, peer_of
from openderms.server.notify.worker import DeliveryWorker
from openderms.server.store.db import Store
from openderms.server.store.outbox import NotificationOutbox, OutboxStatus, enqueue_notification

DRIP_S = 0.5  # one response byte per half second: never a read timeout
DEADLINE_S = 3.0  # the worker's deadline on one whole exchange
THRESHOLD = 2  # failures in a row before the slow peer is backed off
BODY = b'<?xml version="1.0" encoding="UTF-8"?><Notification xmlns="urn:ieee:std:2030.5:ns"/>'
RESPONSE = b"HTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n"


class Listener:
    """HTTPS listener on 127.0.0.1 in its own thread; ``drip_s`` makes it trickle."""

    def __init__(self, context: ssl.SSLContext, drip_s: float | None = None) -> None:
        self._context = context
        self._drip_s = drip_s
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self.connections = 0
        self.arrivals: list[tuple[str, float]] = []  # (path, time.monotonic())
        self.port = 0

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def __enter__(self) -> Listener:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *_exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self._context)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                path = head.split(b" ", 2)[1].decode()
                self.arrivals.append((path, time.monotonic()))
                if self._drip_s is None:
                    writer.write(RESPONSE)
                    await writer.drain()
                    continue
                for byte in RESPONSE:  # never finishes within the deadline
                    writer.write(bytes([byte]))
                    await writer.drain()
                    await asyncio.sleep(self._drip_s)
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            return
        finally:
            writer.close()


def _enqueue(store: Store, uri: str) -> int:
    with store.session() as session:
        row = enqueue_notification(
            session,
            subscription_id=None,
            end_device_id=None,
            resource_href="/edev/1/derp/1/derc",
            notification_uri=uri,
            body=BODY,
            now=time.time(),
        )
        session.commit()
        assert row.id is not None
        return row.id


def _rows(store: Store) -> dict[int, NotificationOutbox]:
    with store.session() as session:
        return {row.id: row for row in session.exec(select(NotificationOutbox)).all() if row.id}


async def _until(predicate: object, timeout_s: float) -> float:
    """Wait (bounded) until ``predicate()``; seconds it took."""
    assert callable(predicate)
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout_s, f"not within {timeout_s} s"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def test_a_trickling_listener_delays_no_other_device_and_is_backed_off(
    tmp_path: Path,
) -> None:
    paths = pki.init_pki(tmp_path / "pki")
    slow_device = pki.issue_device(tmp_path / "pki", "slow-listener")
    fast_device = pki.issue_device(tmp_path / "pki", "fast-listener")
    server_side = tls.client_context(
        paths.server_cert, paths.server_key, paths.serca_cert, check_hostname=False
    )
    store = Store.open(f"sqlite:///{tmp_path / 'server.db'}")
    slow_ctx = tls.server_context(slow_device.cert, slow_device.key, paths.serca_cert)
    fast_ctx = tls.server_context(fast_device.cert, fast_device.key, paths.serca_cert)
    policy = RetryPolicy(base_delay_s=60.0, max_delay_s=120.0, max_attempts=5)
    with Listener(slow_ctx, drip_s=DRIP_S) as slow, Listener(fast_ctx) as fast:
        worker = DeliveryWorker(
            store,
            server_side,
            policy=policy,
            rng=random.Random(7),
            concurrency=8,
            per_peer=2,
            lease_s=20.0,
            timeout_s=DEADLINE_S,
            poll_interval_s=0.1,
            peers=PeerBackoff(policy=policy, threshold=THRESHOLD),
        )
        stop = asyncio.Event()
        loop_task = asyncio.create_task(worker.run_forever(stop))
        try:
            slow_ids = [_enqueue(store, f"{slow.url}/slow/{i}") for i in range(3)]
            worker.wake()
            await _until(lambda: len(slow.arrivals) >= 2, timeout_s=5)
            # The slow peer now holds its deliveries open; another device's must not wait.
            fast_queued = time.monotonic()
            fast_id = _enqueue(store, f"{fast.url}/fast/0")
            worker.wake()
            await _until(lambda: _rows(store)[fast_id].status == OutboxStatus.DELIVERED, 5)
            fast_latency = fast.arrivals[0][1] - fast_queued
            slow_in_flight = slow.connections
            # Each slow exchange ends at the deadline, as a failed attempt.
            waited = await _until(
                lambda: all(_rows(store)[i].attempts >= 1 for i in slow_ids[:2]), 3 * DEADLINE_S
            )
            slow_end = time.monotonic() - slow.arrivals[0][1]
            # Backed off now: a new row for the slow peer is put back untried.
            later_id = _enqueue(store, f"{slow.url}/slow/later")
            worker.wake()
            await _until(lambda: _rows(store)[later_id].next_attempt_at > time.time() + 5, 5)
            fast_again_id = _enqueue(store, f"{fast.url}/fast/1")
            worker.wake()
            await _until(lambda: _rows(store)[fast_again_id].status == OutboxStatus.DELIVERED, 5)
        finally:
            stop.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(loop_task, timeout=15)
        rows = _rows(store)
        slow_connections = slow.connections
    store.dispose()
    failed = [rows[i] for i in slow_ids[:2]]
    later = rows[later_id]
    print(
        f"\ntried: 3 Notifications to a listener answering 1 byte / {DRIP_S} s, then 1 to a "
        f"healthy listener; deadline {DEADLINE_S} s, backoff after {THRESHOLD} failures\n"
        f"held: healthy Notification acknowledged {fast_latency * 1000:.0f} ms after it was "
        f"queued while {slow_in_flight} slow exchanges hung; slow exchanges ended after "
        f"{slow_end:.1f} s ({waited:.1f} s after the healthy one) as "
        f"{sorted({(r.last_error or '').split(':')[0] for r in failed})}; slow peer "
        f"{peer_of(slow.url)} got {slow_connections} connections in all; a later row for it "
        f"was put back untried for {later.next_attempt_at - time.time():.0f} s "
        f"(attempts {later.attempts})"
    )
    tally = Tally("slow notification peer")
    tally.check(fast_latency < 1.0, f"healthy Notification waited {fast_latency:.2f} s")
    tally.check(slow_in_flight == 2, f"{slow_in_flight} exchanges to one peer (cap 2)")
    tally.check(
        all(r.status == OutboxStatus.PENDING and r.attempts == 1 for r in failed),
        "a timed-out slow row was not recorded as one failed attempt",
    )
    tally.check(
        all("DeliveryDeadline" in (r.last_error or "") for r in failed),
        f"slow rows ended with {[r.last_error for r in failed]}",
    )
    tally.check(slow_end < DEADLINE_S + 2.0, f"slow exchange lasted {slow_end:.1f} s")
    tally.check(
        later.attempts == 0 and later.status == OutboxStatus.PENDING,
        "a row for the backed-off peer was tried",
    )
    tally.check(
        rows[fast_again_id].status == OutboxStatus.DELIVERED,
        "healthy peer not served while the slow one is backed off",
    )
    assert not tally.report()
