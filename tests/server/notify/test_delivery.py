"""Delivery of outbox Notifications to a real mutual-TLS listener on 127.0.0.1.

The worker's clock is virtual (a list the test advances), so retries are checked
without sleeping; the sockets, TLS handshakes and HTTP are real.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
from pathlib import Path

import pytest
from notify_listener import NotificationListener
from notify_pki import NotifyPki, make_notify_pki

from openderms.server.notify.backoff import RetryPolicy
from openderms.server.notify.worker import DeliveryWorker
from openderms.server.store.db import Store
from openderms.server.store.outbox import NotificationOutbox, OutboxStatus, enqueue_notification

T0 = 1_800_000_000.0
BODY = b'<?xml version="1.0" encoding="UTF-8"?><Notification xmlns="urn:ieee:std:2030.5:ns"/>'


class VirtualClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _enqueue(
    store: Store, uri: str, body: bytes = BODY, *, now: float = T0, subscription_id: int = 1
) -> int:
    with store.session() as session:
        row = enqueue_notification(
            session,
            subscription_id=subscription_id,
            end_device_id=None,
            resource_href="/derp/1/derc",
            notification_uri=uri,
            body=body,
            now=now,
        )
        session.commit()
        assert row.id is not None
        return row.id


def _row(store: Store, row_id: int) -> NotificationOutbox:
    with store.session() as session:
        row = session.get(NotificationOutbox, row_id)
        assert row is not None
        return row


def _worker(
    store: Store, notify_pki: NotifyPki, clock: VirtualClock, policy: RetryPolicy | None = None
) -> DeliveryWorker:
    return DeliveryWorker(
        store,
        notify_pki.server_client_context(),
        policy=policy or RetryPolicy(base_delay_s=2.0, max_delay_s=60.0, max_attempts=5),
        rng=random.Random(3),
        lease_s=30.0,
        timeout_s=5.0,
        clock=clock,
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_notification_is_posted_over_mutual_tls_with_the_server_certificate(
    store: Store, notify_pki: NotifyPki
) -> None:
    """§12.8: the server POSTs the Notification as application/sep+xml to notificationURI."""
    with NotificationListener(notify_pki.listener_context()) as listener:
        row_id = _enqueue(store, f"{listener.url}/note/7")
        report = await _worker(store, notify_pki, VirtualClock(T0)).run_once()
        (received,) = listener.received
    assert report.delivered == 1
    assert (received.method, received.path) == ("POST", "/note/7")
    assert received.content_type == "application/sep+xml"
    assert received.body == BODY
    assert received.peer_cert_sha256 == notify_pki.server_cert_sha256
    row = _row(store, row_id)
    assert (row.status, row.attempts, row.last_status_code) == (OutboxStatus.DELIVERED, 1, 201)


async def test_failed_notification_is_retried_after_the_backoff_delay(
    store: Store, notify_pki: NotifyPki
) -> None:
    clock = VirtualClock(T0)
    worker = _worker(store, notify_pki, clock)
    with NotificationListener(notify_pki.listener_context(), statuses=[503]) as listener:
        row_id = _enqueue(store, listener.url + "/n")
        first = await worker.run_once()
        retry_at = _row(store, row_id).next_attempt_at
        clock.now = retry_at - 0.01
        early = await worker.run_once()
        clock.now = retry_at
        second = await worker.run_once()
        received = listener.received
    assert (first.retrying, early.claimed, second.delivered) == (1, 0, 1)
    assert T0 + 1.0 <= retry_at <= T0 + 2.0  # first step of 2 s, equal jitter
    assert [r.body for r in received] == [BODY, BODY]
    row = _row(store, row_id)
    assert (row.status, row.attempts) == (OutboxStatus.DELIVERED, 2)


async def test_unreachable_listener_is_given_up_after_max_attempts_and_recorded(
    store: Store, notify_pki: NotifyPki
) -> None:
    clock = VirtualClock(T0)
    worker = _worker(
        store, notify_pki, clock, RetryPolicy(base_delay_s=1, max_delay_s=4, max_attempts=3)
    )
    row_id = _enqueue(store, f"https://127.0.0.1:{_closed_port()}/n")
    outcomes = []
    for _ in range(3):
        report = await worker.run_once()
        outcomes.append((report.retrying, report.given_up))
        clock.now = _row(store, row_id).next_attempt_at
    after = await worker.run_once()
    row = _row(store, row_id)
    assert outcomes == [(1, 0), (1, 0), (0, 1)]
    assert after.claimed == 0
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 3)
    assert row.last_error is not None and "ConnectError" in row.last_error


async def test_listener_refusing_with_4xx_is_not_retried(
    store: Store, notify_pki: NotifyPki
) -> None:
    with NotificationListener(notify_pki.listener_context(), statuses=[404]) as listener:
        row_id = _enqueue(store, listener.url + "/gone")
        report = await _worker(store, notify_pki, VirtualClock(T0)).run_once()
    row = _row(store, row_id)
    assert report.given_up == 1
    assert (row.status, row.attempts, row.last_status_code) == (OutboxStatus.FAILED, 1, 404)


async def test_listener_with_a_certificate_from_another_pki_gets_nothing(
    store: Store, notify_pki: NotifyPki, tmp_path: Path
) -> None:
    """The server verifies the listener's chain up to its SERCA before it sends anything."""
    stranger = make_notify_pki(tmp_path / "other")
    with NotificationListener(stranger.listener_context()) as listener:
        row_id = _enqueue(store, listener.url + "/n")
        report = await _worker(store, notify_pki, VirtualClock(T0)).run_once()
        received = listener.received
    assert report.retrying == 1
    assert received == []
    assert "CERTIFICATE_VERIFY_FAILED" in (_row(store, row_id).last_error or "")


async def test_outbox_rows_survive_a_restart_and_the_next_instance_delivers_them(
    tmp_path: Path, notify_pki: NotifyPki
) -> None:
    """Rows committed by one server instance that stopped before delivering are delivered
    by the next instance opened on the same database."""
    url = f"sqlite:///{tmp_path / 'server.db'}"
    with NotificationListener(notify_pki.listener_context()) as listener:
        first = Store.open(url)
        row_ids = [
            _enqueue(first, listener.url + f"/n{i}", BODY + bytes([48 + i])) for i in range(3)
        ]
        first.dispose()  # stopped: nothing delivered
        assert listener.received == []
        second = Store.open(url)
        report = await _worker(second, notify_pki, VirtualClock(T0)).drain()
        received = sorted(r.path for r in listener.received)
        statuses = {_row(second, i).status for i in row_ids}
        second.dispose()
    assert report.delivered == 3
    assert received == ["/n0", "/n1", "/n2"]
    assert statuses == {OutboxStatus.DELIVERED}


@pytest.mark.postgres
async def test_two_workers_with_their_own_engines_deliver_each_row_once(
    store: Store, notify_pki: NotifyPki
) -> None:
    """Two workers, two connection pools, one PostgreSQL outbox: no row is POSTed twice."""
    if store.dialect != "postgresql":
        pytest.skip("row locks (FOR UPDATE SKIP LOCKED) are the PostgreSQL case")
    from sqlalchemy import text

    from openderms.server.store.db import make_engine

    with store.session() as session:
        schema = session.execute(text("SELECT current_schema()")).scalar_one()
    url = os.environ["OPENDERMS_TEST_POSTGRES_URL"]
    other = Store(make_engine(url, schema=schema))
    with NotificationListener(notify_pki.listener_context()) as listener:
        # 120 subscriptions' rows (one subscription's rows go one at a time, in order).
        ids = [_enqueue(store, listener.url + f"/n{i}", subscription_id=i) for i in range(120)]
        workers = [
            DeliveryWorker(s, notify_pki.server_client_context(), batch_size=7, clock=lambda: T0)
            for s in (store, other)
        ]
        reports = await asyncio.gather(*(w.drain() for w in workers))
        paths = [r.path for r in listener.received]
    other.dispose()
    assert sorted(paths) == sorted(f"/n{i}" for i in range(120))  # each exactly once
    assert all(r.delivered > 0 for r in reports), reports  # both took part
    assert sum(r.delivered for r in reports) == len(ids)
