"""Outbox claims: due rows only, one claimant per lease, stale claimants refused.

Runs on SQLite and PostgreSQL (the ``store`` fixture of tests/server/conftest.py).
"""

from __future__ import annotations

import threading

from openderms.server.store.db import Store
from openderms.server.store.outbox import (
    NotificationOutbox,
    OutboxStatus,
    claim_due_notifications,
    enqueue_notification,
    record_attempt_failed,
    record_delivered,
)

T0 = 1_800_000_000.0


def _enqueue(store: Store, count: int, *, now: float = T0) -> list[int]:
    with store.session() as session:
        rows = [
            enqueue_notification(
                session,
                subscription_id=None,
                end_device_id=None,
                resource_href="/derp/1/derc",
                notification_uri="https://127.0.0.1:1/note",
                body=f"<Notification>{i}</Notification>".encode(),
                now=now,
            )
            for i in range(count)
        ]
        session.commit()
        return [row.id for row in rows if row.id is not None]


def _row(store: Store, row_id: int) -> NotificationOutbox:
    with store.session() as session:
        row = session.get(NotificationOutbox, row_id)
        assert row is not None
        return row


def test_claim_takes_only_rows_whose_time_has_come(store: Store) -> None:
    (due,) = _enqueue(store, 1, now=T0)
    _enqueue(store, 1, now=T0 + 60)  # a retry scheduled for later
    claimed = store.call(
        claim_due_notifications, now=T0 + 1, limit=10, lease_s=30, claim_token="w1"
    )
    assert [c.id for c in claimed] == [due]
    assert claimed[0].body == b"<Notification>0</Notification>"


def test_claimed_row_is_not_claimed_again_while_the_lease_runs(store: Store) -> None:
    _enqueue(store, 3)
    first = store.call(claim_due_notifications, now=T0, limit=10, lease_s=30, claim_token="w1")
    second = store.call(
        claim_due_notifications, now=T0 + 29, limit=10, lease_s=30, claim_token="w2"
    )
    assert len(first) == 3
    assert second == []


def test_expired_lease_is_reclaimed_and_the_stale_worker_cannot_record(store: Store) -> None:
    """A worker that outlived its lease must not overwrite the new claimant's outcome."""
    _enqueue(store, 1)
    (stale,) = store.call(claim_due_notifications, now=T0, limit=10, lease_s=30, claim_token="w1")
    (fresh,) = store.call(
        claim_due_notifications, now=T0 + 31, limit=10, lease_s=30, claim_token="w2"
    )
    assert fresh.id == stale.id
    assert not store.call(record_delivered, stale, now=T0 + 32, status_code=201)
    assert store.call(record_delivered, fresh, now=T0 + 33, status_code=201)
    row = _row(store, fresh.id)
    assert (row.status, row.attempts, row.delivered_at) == (OutboxStatus.DELIVERED, 1, T0 + 33)


def test_delivered_row_is_never_claimed_again(store: Store) -> None:
    _enqueue(store, 1)
    (item,) = store.call(claim_due_notifications, now=T0, limit=1, lease_s=30, claim_token="a")
    store.call(record_delivered, item, now=T0, status_code=200)
    later = store.call(
        claim_due_notifications, now=T0 + 10_000, limit=10, lease_s=30, claim_token="b"
    )
    assert later == []


def test_failed_attempt_makes_the_row_due_again_at_the_retry_time(store: Store) -> None:
    _enqueue(store, 1)
    (item,) = store.call(claim_due_notifications, now=T0, limit=1, lease_s=30, claim_token="a")
    store.call(record_attempt_failed, item, retry_at=T0 + 8, error="HTTP 503", status_code=503)
    early = store.call(claim_due_notifications, now=T0 + 7, limit=1, lease_s=30, claim_token="b")
    (again,) = store.call(
        claim_due_notifications, now=T0 + 8, limit=1, lease_s=30, claim_token="c"
    )
    assert early == []
    assert again.id == item.id
    assert again.attempts == 1
    assert _row(store, item.id).last_error == "HTTP 503"


def test_concurrent_claimers_get_disjoint_rows(store: Store) -> None:
    """Four threads claiming at once: every row goes to exactly one of them."""
    ids = _enqueue(store, 200)
    results: list[list[int]] = [[] for _ in range(4)]
    barrier = threading.Barrier(4)

    def claim_all(slot: int) -> None:
        barrier.wait()
        while True:
            batch = store.call(
                claim_due_notifications,
                now=T0,
                limit=7,
                lease_s=300,
                claim_token=f"w{slot}",
            )
            if not batch:
                return
            results[slot].extend(item.id for item in batch)

    threads = [threading.Thread(target=claim_all, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    claimed = [row_id for part in results for row_id in part]
    assert sorted(claimed) == sorted(ids)  # all claimed, none twice


def test_claim_takes_at_most_limit_rows(store: Store) -> None:
    """Regression: as `id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)` PostgreSQL 15
    re-ran the sub-select and claimed every due row; the batch must stay at `limit`."""
    _enqueue(store, 20)
    sizes = [
        len(store.call(claim_due_notifications, now=T0, limit=7, lease_s=30, claim_token=f"w{i}"))
        for i in range(4)
    ]
    assert sizes == [7, 7, 6, 0]


def test_a_subscription_row_waits_while_another_of_its_rows_is_in_flight(store: Store) -> None:
    """Notifications of one subscription are delivered one at a time, across processes:
    the later row is not claimable while the earlier one's lease runs."""
    with store.session() as session:
        for sub in (1, 1, 2):
            enqueue_notification(
                session,
                subscription_id=sub,
                end_device_id=None,
                resource_href="/x",
                notification_uri="https://127.0.0.1:9/n",
                body=b"<Notification/>",
                now=T0,
            )
        session.commit()
    first = store.call(claim_due_notifications, now=T0, limit=1, lease_s=60, claim_token="a")
    others = store.call(claim_due_notifications, now=T0, limit=10, lease_s=60, claim_token="b")
    assert [c.subscription_id for c in first] == [1]
    assert [c.subscription_id for c in others] == [2]  # sub 1's second row waits
    store.call(record_delivered, first[0], now=T0, status_code=201)
    after = store.call(claim_due_notifications, now=T0, limit=10, lease_s=60, claim_token="c")
    assert [c.subscription_id for c in after] == [1]
