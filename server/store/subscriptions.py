"""Subscriptions made by EndDevices (IEEE 2030.5-2018 §12.8, Subscription function set).

Each row belongs to one EndDevice (``/edev/{id}/sub/{sub_id}``) and names the resource it
watches by href, exactly as the client sent it in ``subscribedResource``. Query functions
take the end device id, so one device never reads or deletes another's subscriptions.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, col, func, select

from openderms.server.store.models._base import epoch_field

__all__ = [
    "SubscriptionRecord",
    "count_subscriptions_for_device",
    "delete_subscription_for_device",
    "insert_subscription",
    "select_subscription_for_device",
    "select_subscriptions_for_device",
    "select_subscriptions_watching",
    "self_and_ancestors",
]


class SubscriptionRecord(SQLModel, table=True):
    """One Subscription resource."""

    __tablename__ = "subscription"

    id: int | None = Field(default=None, primary_key=True)
    end_device_id: int = Field(foreign_key="end_device.id", ondelete="CASCADE", index=True)
    #: href of the watched resource (a list such as ``/derp/1/derc``), as the client sent it.
    subscribed_resource: str = Field(max_length=255, index=True)
    notification_uri: str = Field(sa_column=sa.Column(sa.String(2048), nullable=False))
    #: 0 = application/sep+xml, 1 = application/sep-exi (§12.8; we accept only 0).
    encoding: int = Field(default=0)
    #: Function-set level the client asked for, e.g. "+S1" (at most 16 characters).
    level: str = Field(max_length=16)
    #: Most list entries one Notification may carry.
    limit: int
    created_time: int = epoch_field()


def insert_subscription(
    session: Session,
    *,
    end_device_id: int,
    subscribed_resource: str,
    notification_uri: str,
    encoding: int,
    level: str,
    limit: int,
    now: int,
) -> SubscriptionRecord:
    """Add a subscription in the caller's transaction and flush to get its id."""
    row = SubscriptionRecord(
        end_device_id=end_device_id,
        subscribed_resource=subscribed_resource,
        notification_uri=notification_uri,
        encoding=encoding,
        level=level,
        limit=limit,
        created_time=now,
    )
    session.add(row)
    session.flush()
    return row


def select_subscriptions_for_device(
    session: Session, end_device_id: int, *, start: int, limit: int
) -> list[SubscriptionRecord]:
    """A page of one device's subscriptions in id order."""
    statement = (
        select(SubscriptionRecord)
        .where(SubscriptionRecord.end_device_id == end_device_id)
        .order_by(col(SubscriptionRecord.id))
        .offset(start)
        .limit(limit)
    )
    return list(session.exec(statement).all())


def count_subscriptions_for_device(session: Session, end_device_id: int) -> int:
    """How many subscriptions one device holds."""
    statement = (
        select(func.count())
        .select_from(SubscriptionRecord)
        .where(SubscriptionRecord.end_device_id == end_device_id)
    )
    return int(session.exec(statement).one())


def select_subscription_for_device(
    session: Session, end_device_id: int, subscription_id: int
) -> SubscriptionRecord | None:
    """One subscription, only if it belongs to ``end_device_id``."""
    statement = select(SubscriptionRecord).where(
        SubscriptionRecord.id == subscription_id,
        SubscriptionRecord.end_device_id == end_device_id,
    )
    return session.exec(statement).first()


def delete_subscription_for_device(
    session: Session, end_device_id: int, subscription_id: int
) -> bool:
    """Delete one of a device's subscriptions (no commit). True if it existed."""
    row = select_subscription_for_device(session, end_device_id, subscription_id)
    if row is None:
        return False
    session.delete(row)
    return True


def select_subscriptions_watching(session: Session, href: str) -> list[SubscriptionRecord]:
    """Subscriptions whose resource is ``href`` or contains it.

    A change to ``/derp/1/derc/7`` (one DERControl) concerns subscribers of the list
    ``/derp/1/derc`` as well as of the control itself, so every ancestor path of ``href``
    is matched.
    """
    candidates = self_and_ancestors(href)
    statement = (
        select(SubscriptionRecord)
        .where(col(SubscriptionRecord.subscribed_resource).in_(candidates))
        .order_by(col(SubscriptionRecord.id))
    )
    return list(session.exec(statement).all())


def self_and_ancestors(href: str) -> list[str]:
    """``/a/b/c`` -> ``["/a/b/c", "/a/b", "/a"]``."""
    parts = [part for part in href.split("/") if part]
    return ["/" + "/".join(parts[:n]) for n in range(len(parts), 0, -1)]
