"""Subscription function set (IEEE 2030.5-2018 §12.8): a device's SubscriptionList.

A client may subscribe only to resources this server lists as subscribable
(`openderms.server.services.subscribable.SUBSCRIBABLE`) under its own EndDevice, and only to
ones it may read right now (the same read service a GET uses checks access).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlmodel import Session

from openderms.schemas.sep2 import models as sep
from openderms.server import uris
from openderms.server.errors import (
    BadRequestError,
    ConditionNotSupportedError,
    NotFoundError,
    ResourceLimitError,
)
from openderms.server.scope import Scope, ServiceContext
from openderms.server.services.access import require_end_device
from openderms.server.services.subscribable import check_subscribable
from openderms.server.store.paging import Page
from openderms.server.store.subscriptions import (
    SubscriptionRecord,
    count_subscriptions_for_device,
    delete_subscription_for_device,
    insert_subscription,
    select_subscription_for_device,
    select_subscriptions_for_device,
)

__all__ = [
    "MAX_SUBSCRIPTIONS_PER_DEVICE",
    "create_subscription",
    "delete_subscription",
    "get_subscription",
    "list_subscriptions",
    "subscription_list_href",
]

#: Bound on one device's subscriptions (a misbehaving client cannot fill the table).
MAX_SUBSCRIPTIONS_PER_DEVICE = 100
#: Subscription.encoding 0 = application/sep+xml (1 = EXI, not supported here).
ENCODING_XML = 0


def subscription_list_href(end_device_id: int) -> str:
    return f"/edev/{end_device_id}/sub"


def _to_wire(row: SubscriptionRecord) -> sep.Subscription:
    assert row.id is not None
    return sep.Subscription(
        href=uris.subscription(row.end_device_id, row.id),
        subscribedResource=row.subscribed_resource,
        encoding=row.encoding,
        level=row.level,
        limit=row.limit,
        notificationURI=row.notification_uri,
    )


def create_subscription(
    session: Session,
    ctx: ServiceContext,
    scope: Scope,
    end_device_id: int,
    body: sep.Subscription,
) -> str:
    """Store a Subscription POSTed to ``/edev/{id}/sub``; returns its href (Location).

    Raises
    ------
    BadRequestError
        Unsupported encoding, a notificationURI that is not absolute https, a resource
        that is not subscribable or belongs to another EndDevice, or too many subscriptions.
    NotFoundError, ForbiddenError
        The device or the resource is not visible to ``scope``.
    """
    require_end_device(session, scope, end_device_id)
    if body.encoding != ENCODING_XML:
        raise BadRequestError("only encoding 0 (application/sep+xml) is supported")
    target = urlsplit(body.notificationURI)
    if target.scheme != "https" or not target.hostname:
        raise BadRequestError("notificationURI must be an absolute https URI (TLS, §12.8)")
    if body.limit < 1:
        raise BadRequestError("limit must be at least 1")
    if body.Condition is not None:
        # Refused rather than ignored: a client relying on a threshold must know (reason 3).
        raise ConditionNotSupportedError("subscriptions with a Condition are not supported")
    check_subscribable(session, ctx, scope, body.subscribedResource, end_device_id)
    if count_subscriptions_for_device(session, end_device_id) >= MAX_SUBSCRIPTIONS_PER_DEVICE:
        raise ResourceLimitError(
            f"at most {MAX_SUBSCRIPTIONS_PER_DEVICE} subscriptions per device"
        )
    row = insert_subscription(
        session,
        end_device_id=end_device_id,
        subscribed_resource=body.subscribedResource,
        notification_uri=body.notificationURI,
        encoding=body.encoding,
        level=body.level,
        limit=min(body.limit, ctx.settings.page_limit_max),
        now=ctx.now,
    )
    session.commit()
    assert row.id is not None
    return uris.subscription(end_device_id, row.id)


def list_subscriptions(
    session: Session, ctx: ServiceContext, scope: Scope, end_device_id: int, page: Page
) -> sep.SubscriptionList:
    """A page of the device's SubscriptionList."""
    require_end_device(session, scope, end_device_id)
    total = count_subscriptions_for_device(session, end_device_id)
    rows = select_subscriptions_for_device(
        session, end_device_id, start=page.start, limit=page.limit
    )
    return sep.SubscriptionList(
        href=subscription_list_href(end_device_id),
        all=total,
        results=len(rows),
        Subscription=[_to_wire(row) for row in rows],
    )


def get_subscription(
    session: Session, scope: Scope, end_device_id: int, subscription_id: int
) -> sep.Subscription:
    require_end_device(session, scope, end_device_id)
    row = select_subscription_for_device(session, end_device_id, subscription_id)
    if row is None:
        raise NotFoundError(f"no Subscription {subscription_id}")
    return _to_wire(row)


def delete_subscription(
    session: Session, scope: Scope, end_device_id: int, subscription_id: int
) -> None:
    require_end_device(session, scope, end_device_id)
    if not delete_subscription_for_device(session, end_device_id, subscription_id):
        raise NotFoundError(f"no Subscription {subscription_id}")
    session.commit()
