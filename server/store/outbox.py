"""The notification outbox: Notifications written with the change that caused them.

A service that changes a subscribed resource inserts rows here inside its own
transaction, so a crash either loses the change and its notifications together or
keeps both (the transactional outbox pattern). The delivery worker later *claims*
due rows for a lease, POSTs them and records the outcome.

A row made for a Subscription carries no body: the worker renders the subscribed
resource when it delivers (so the client gets the state at delivery, and authoring a
control for a large group costs one INSERT ... SELECT, not one render per device). A
change coalesces with a row of the same subscription that is still waiting for its first
attempt: both would carry the same, current, state.

Claiming is one ``WITH picked AS MATERIALIZED (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)
UPDATE ... WHERE id IN (SELECT id FROM picked)``: on
PostgreSQL two server processes never claim the same row; SQLite has no row locks
(SQLAlchemy omits the clause) but serialises writers, so the single statement is
atomic there too. A claim is a lease (``claimed_until``): if a process dies holding
it, the row becomes due again when the lease ends. A row waits while another row of its
subscription is in flight, so a subscription's Notifications arrive in order.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, col, func, select

from openderms.server.store.subscriptions import SubscriptionRecord

__all__ = [
    "ClaimedNotification",
    "NotificationOutbox",
    "OutboxStatus",
    "claim_due_notifications",
    "enqueue_for_subscribers",
    "enqueue_notification",
    "outbox_depth",
    "record_attempt_failed",
    "record_deferred",
    "record_delivered",
    "record_given_up",
]

_MAX_ERROR_CHARS = 500


class OutboxStatus(enum.StrEnum):
    """Life of an outbox row: pending until delivered or given up."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class NotificationOutbox(SQLModel, table=True):
    """One Notification document waiting for (or done with) delivery."""

    __tablename__ = "notification_outbox"
    __table_args__ = (
        sa.Index("ix_notification_outbox_due", "status", "next_attempt_at"),
        sa.Index("ix_notification_outbox_waiting", "subscription_id", "status", "attempts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    #: The Subscription row it was made for (no FK: the row outlives a deleted subscription).
    subscription_id: int | None = Field(default=None, index=True)
    #: The subscribing EndDevice's store id, for admin queries.
    end_device_id: int | None = Field(default=None, index=True)
    #: The resource that changed (a list href such as ``/derp/1/derc``).
    resource_href: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    notification_uri: str = Field(sa_column=sa.Column(sa.String(2048), nullable=False))
    content_type: str = Field(default="application/sep+xml", max_length=64)
    #: The encoded document; None = render the subscribed resource at delivery.
    body: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary, nullable=True))
    status: str = Field(default=OutboxStatus.PENDING.value, max_length=16)
    attempts: int = Field(default=0)
    created_at: float
    next_attempt_at: float
    claim_token: str | None = Field(default=None, max_length=64)
    claimed_until: float | None = Field(default=None)
    delivered_at: float | None = Field(default=None)
    last_status_code: int | None = Field(default=None)
    last_error: str | None = Field(default=None, max_length=_MAX_ERROR_CHARS)


@dataclass(frozen=True, slots=True)
class ClaimedNotification:
    """What the worker needs to deliver one claimed row (detached from the session)."""

    id: int
    subscription_id: int | None
    end_device_id: int | None
    resource_href: str
    notification_uri: str
    content_type: str
    #: None: render the subscribed resource now (see the module docstring).
    body: bytes | None
    attempts: int
    claim_token: str


def enqueue_notification(
    session: Session,
    *,
    subscription_id: int | None,
    end_device_id: int | None,
    resource_href: str,
    notification_uri: str,
    body: bytes | None,
    now: float,
    content_type: str = "application/sep+xml",
) -> NotificationOutbox:
    """Add a Notification to the outbox in the caller's transaction (no commit).

    ``body`` None means "render the subscription's resource at delivery".

    Parameters
    ----------
    now
        Time of the change [s since the epoch]; the row is due at once.
    """
    row = NotificationOutbox(
        subscription_id=subscription_id,
        end_device_id=end_device_id,
        resource_href=resource_href,
        notification_uri=notification_uri,
        content_type=content_type,
        body=body,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(row)
    return row


def enqueue_for_subscribers(session: Session, *, watched_hrefs: list[str], now: float) -> int:
    """Queue a body-less row for every subscription to one of ``watched_hrefs`` (no commit).

    One ``INSERT ... SELECT``. A subscription that already has a row waiting for its first
    attempt gets no second one (that row will render the current state anyway).

    Returns
    -------
    int
        Rows queued.
    """
    outbox = NotificationOutbox.__table__  # type: ignore[attr-defined]  # SQLModel sets it
    subscription = SubscriptionRecord.__table__  # type: ignore[attr-defined]
    waiting = outbox.alias("waiting")
    already_waiting = (
        sa.select(waiting.c.id)
        .where(
            waiting.c.subscription_id == subscription.c.id,
            waiting.c.status == OutboxStatus.PENDING.value,
            waiting.c.attempts == 0,
            waiting.c.claimed_until.is_(None),
        )
        .exists()
    )
    chosen = sa.select(
        subscription.c.id,
        subscription.c.end_device_id,
        subscription.c.subscribed_resource,
        subscription.c.notification_uri,
        sa.literal("application/sep+xml"),
        sa.literal(OutboxStatus.PENDING.value),
        sa.literal(0),
        sa.literal(now, sa.Float),
        sa.literal(now, sa.Float),
    ).where(subscription.c.subscribed_resource.in_(watched_hrefs), ~already_waiting)
    result = session.execute(
        sa.insert(outbox).from_select(
            [
                "subscription_id",
                "end_device_id",
                "resource_href",
                "notification_uri",
                "content_type",
                "status",
                "attempts",
                "created_at",
                "next_attempt_at",
            ],
            chosen,
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # CursorResult for INSERT


def claim_due_notifications(
    session: Session,
    *,
    now: float,
    limit: int,
    lease_s: float,
    claim_token: str,
    content_type: str | None = None,
) -> list[ClaimedNotification]:
    """Claim up to ``limit`` due rows for ``lease_s`` seconds and commit the claim.

    A row is due when it is pending, its ``next_attempt_at`` has come, and nobody holds
    an unexpired lease on it. Rows are claimed oldest first.

    Parameters
    ----------
    now
        Current time [s since the epoch].
    lease_s
        How long the claim keeps other workers off the row [s]; longer than one
        delivery attempt can take.
    claim_token
        Unique per claim call; identifies this worker's rows.
    content_type
        Only rows of this content type (each protocol's worker claims its own); None = all.
    """
    table = NotificationOutbox.__table__  # type: ignore[attr-defined]  # SQLModel sets it
    # One delivery per subscription at a time, across processes: a row whose subscription
    # has another row in flight (claimed, lease running) waits, so a Notification rendered
    # later never arrives before one rendered earlier.
    other = table.alias("in_flight")
    sibling_in_flight = (
        sa.select(other.c.id)
        .where(
            other.c.subscription_id == table.c.subscription_id,
            other.c.id != table.c.id,
            other.c.status == OutboxStatus.PENDING.value,
            other.c.claimed_until >= now,
        )
        .exists()
    )
    due = sa.and_(
        table.c.status == OutboxStatus.PENDING.value,
        table.c.next_attempt_at <= now,
        sa.or_(table.c.claimed_until.is_(None), table.c.claimed_until < now),
        ~sibling_in_flight,
    )
    if content_type is not None:
        due = sa.and_(due, table.c.content_type == content_type)
    # A MATERIALIZED CTE: PostgreSQL runs the locking sub-select exactly once. As a plain
    # `id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)` the planner may re-run it per
    # row and claim far more than `limit` rows (seen on PostgreSQL 15).
    picked = (
        sa.select(table.c.id)
        .where(due)
        .order_by(table.c.next_attempt_at, table.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("picked")
        .prefix_with("MATERIALIZED")
    )
    # `due` is repeated on the UPDATE so a row another writer changed between the
    # sub-select and the update is re-checked (PostgreSQL re-evaluates it on the new row).
    statement = (
        sa.update(table)
        .where(table.c.id.in_(sa.select(picked.c.id)), due)
        .values(claim_token=claim_token, claimed_until=now + lease_s)
        .returning(
            table.c.id,
            table.c.subscription_id,
            table.c.end_device_id,
            table.c.resource_href,
            table.c.notification_uri,
            table.c.content_type,
            table.c.body,
            table.c.attempts,
        )
    )
    rows = session.execute(statement).all()
    session.commit()
    claimed = [
        ClaimedNotification(
            id=row.id,
            subscription_id=row.subscription_id,
            end_device_id=row.end_device_id,
            resource_href=row.resource_href,
            notification_uri=row.notification_uri,
            content_type=row.content_type,
            body=None if row.body is None else bytes(row.body),
            attempts=row.attempts,
            claim_token=claim_token,
        )
        for row in rows
    ]
    claimed.sort(key=lambda item: item.id)
    return claimed


def _update_claimed(
    session: Session, claimed: ClaimedNotification, values: dict[str, object], commit: bool
) -> bool:
    """Apply ``values`` only if we still hold the claim (and commit). True if applied."""
    table = NotificationOutbox.__table__  # type: ignore[attr-defined]  # SQLModel sets it
    result = session.execute(
        sa.update(table)
        .where(
            table.c.id == claimed.id,
            table.c.claim_token == claimed.claim_token,
            table.c.status == OutboxStatus.PENDING.value,
        )
        .values(claim_token=None, claimed_until=None, **values)
    )
    if commit:
        session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]  # CursorResult for UPDATE


def record_delivered(
    session: Session,
    claimed: ClaimedNotification,
    *,
    now: float,
    status_code: int,
    commit: bool = True,
) -> bool:
    """Mark a claimed row delivered. False if our lease had been taken over."""
    return _update_claimed(
        session,
        claimed,
        {
            "status": OutboxStatus.DELIVERED.value,
            "attempts": claimed.attempts + 1,
            "delivered_at": now,
            "last_status_code": status_code,
            "last_error": None,
        },
        commit,
    )


def record_attempt_failed(
    session: Session,
    claimed: ClaimedNotification,
    *,
    retry_at: float,
    error: str,
    status_code: int | None,
    commit: bool = True,
) -> bool:
    """Record a failed attempt and make the row due again at ``retry_at`` [s]."""
    return _update_claimed(
        session,
        claimed,
        {
            "attempts": claimed.attempts + 1,
            "next_attempt_at": retry_at,
            "last_status_code": status_code,
            "last_error": error[:_MAX_ERROR_CHARS],
        },
        commit,
    )


def record_given_up(
    session: Session,
    claimed: ClaimedNotification,
    *,
    error: str,
    status_code: int | None,
    commit: bool = True,
) -> bool:
    """Record the last failed attempt and stop retrying the row (status ``failed``)."""
    return _update_claimed(
        session,
        claimed,
        {
            "status": OutboxStatus.FAILED.value,
            "attempts": claimed.attempts + 1,
            "last_status_code": status_code,
            "last_error": error[:_MAX_ERROR_CHARS],
        },
        commit,
    )


def record_deferred(
    session: Session, claimed: ClaimedNotification, *, retry_at: float, commit: bool = True
) -> bool:
    """Put a claimed row back, due at ``retry_at`` [s], without counting an attempt.

    For rows the worker chose not to try now (their peer is backed off, or busy).
    """
    return _update_claimed(session, claimed, {"next_attempt_at": retry_at}, commit)


def outbox_depth(session: Session) -> dict[str, int]:
    """How many Notifications are pending (to deliver) and failed (given up)."""
    counts = {OutboxStatus.PENDING.value: 0, OutboxStatus.FAILED.value: 0}
    for status, count in session.exec(
        select(NotificationOutbox.status, func.count())
        .where(col(NotificationOutbox.status).in_(list(counts)))
        .group_by(col(NotificationOutbox.status))
    ).all():
        counts[status] = int(count)
    return counts
