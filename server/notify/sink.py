"""The outbox `ChangeSink`: a changed resource becomes Notification rows, in the same transaction.

For each Subscription watching the changed href (or an ancestor of it), the subscribed
resource is rendered as the subscribing EndDevice would GET it now, wrapped in a
``Notification`` (IEEE 2030.5-2018 §12.8, status 0 = default) and queued in the outbox.
A device that can no longer read the resource (left the group) gets nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlmodel import Session

from openderms.schemas.sep2 import encode
from openderms.schemas.sep2 import models as sep
from openderms.server.config import ServerSettings
from openderms.server.errors import ServerError
from openderms.server.notify.resources import render_for_device
from openderms.server.scope import Scope, ServiceContext
from openderms.server.services.changes import NullChangeSink
from openderms.server.store.crud.end_device import select_end_device_by_id
from openderms.server.store.outbox import enqueue_notification
from openderms.server.store.subscriptions import SubscriptionRecord, select_subscriptions_watching

__all__ = [
    "NOTIFICATION_STATUS_DEFAULT",
    "OutboxChangeSink",
    "build_notification",
    "subscription_href",
]

logger = logging.getLogger(__name__)

#: Notification.status 0: "Default status" (the resource is included).
NOTIFICATION_STATUS_DEFAULT = 0


def subscription_href(end_device_id: int, subscription_id: int) -> str:
    """Where a Subscription lives (``/edev/{id}/sub/{sub id}``)."""
    return f"/edev/{end_device_id}/sub/{subscription_id}"


def build_notification(subscription: SubscriptionRecord, resource: object) -> bytes:
    """The encoded Notification document for one subscription."""
    assert subscription.id is not None
    notification = sep.Notification(
        subscribedResource=subscription.subscribed_resource,
        Resource=resource,  # type: ignore[arg-type]  # any Resource subclass, xsi:type on the wire
        status=NOTIFICATION_STATUS_DEFAULT,
        subscriptionURI=subscription_href(subscription.end_device_id, subscription.id),
    )
    return encode(notification)


class OutboxChangeSink:
    """Writes Notifications into the outbox for every subscription a change concerns.

    Parameters
    ----------
    settings
        Server settings the read services need.
    clock
        Wall clock [s since the epoch] (runtime adapter; tests pass a fixed one).
    on_enqueue
        Called (no arguments) after rows were queued, e.g. to wake the delivery worker;
        rows become visible to it only when the caller commits.
    """

    def __init__(
        self,
        settings: ServerSettings,
        *,
        clock: Callable[[], float] = time.time,
        on_enqueue: Callable[[], None] | None = None,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._on_enqueue = on_enqueue

    def resource_changed(self, session: Session, href: str) -> None:
        now = self._clock()
        ctx = ServiceContext(now=int(now), settings=self._settings, changes=NullChangeSink())
        queued = 0
        for subscription in select_subscriptions_watching(session, href):
            device = select_end_device_by_id(session, subscription.end_device_id)
            if device is None:
                continue
            scope = Scope(lfdi=device.lfdi, sfdi=device.sfdi, is_aggregator=False)
            try:
                resource = render_for_device(
                    session, ctx, scope, subscription.subscribed_resource, subscription.limit
                )
            except ServerError as exc:
                logger.info("no notification for subscription %s: %s", subscription.id, exc)
                continue
            enqueue_notification(
                session,
                subscription_id=subscription.id,
                end_device_id=subscription.end_device_id,
                resource_href=subscription.subscribed_resource,
                notification_uri=subscription.notification_uri,
                body=build_notification(subscription, resource),
                now=now,
            )
            queued += 1
        if queued and self._on_enqueue is not None:
            self._on_enqueue()
