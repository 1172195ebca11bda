"""The outbox `ChangeSink` and the rendering of a queued Notification at delivery.

`OutboxChangeSink.resource_changed` runs inside the service's transaction and notes the
href; just before that transaction commits, one ``INSERT ... SELECT`` queues a row for
every Subscription watching a changed href (or an ancestor of it, so a change to one
DERControl reaches subscribers of its list). The rows commit with the change, so a crash
loses neither (IEEE 2030.5-2018 §12.8).

`render_notification` runs in the delivery worker: the subscribed resource rendered as
the subscribing EndDevice would GET it now, wrapped in a ``Notification`` (status 0).
Every subscriber's resource is rendered with its own access checks, but a group's
documents usually differ only in the EndDevice id of their hrefs and in the subscription:
:class:`NotificationEncoder` encodes such a document once and writes each subscriber's ids
into the bytes (encoding is most of the cost of a Notification).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from sqlalchemy import event
from sqlmodel import Session

from openderms.schemas.sep2 import encode
from openderms.schemas.sep2 import models as sep
from openderms.server import uris
from openderms.server.changes import NullChangeSink
from openderms.server.config import ServerSettings
from openderms.server.errors import ServerError
from openderms.server.notify.errors import NotificationGoneError
from openderms.server.scope import Scope, ServiceContext
from openderms.server.services.subscribable import render_for_device
from openderms.server.store.crud.end_device import (
    select_aggregator_by_lfdi,
    select_end_device_by_id,
)
from openderms.server.store.outbox import ClaimedNotification, enqueue_for_subscribers
from openderms.server.store.subscriptions import SubscriptionRecord, self_and_ancestors

__all__ = [
    "NOTIFICATION_STATUS_DEFAULT",
    "NotificationEncoder",
    "OutboxChangeSink",
    "build_notification",
    "render_notification",
]

#: Notification.status 0: "Default status" (the resource is included).
NOTIFICATION_STATUS_DEFAULT = 0

#: Session.info key of the hrefs changed in the current transaction.
_PENDING_KEY = "openderms.notify.changed_hrefs"
#: Bound on one IN list (PostgreSQL and SQLite cap bound parameters per statement).
_HREFS_PER_STATEMENT = 500


def build_notification(subscription: SubscriptionRecord, resource: object) -> bytes:
    """The encoded Notification document for one subscription."""
    assert subscription.id is not None
    notification = sep.Notification(
        subscribedResource=subscription.subscribed_resource,
        Resource=resource,  # type: ignore[arg-type]  # any Resource subclass, xsi:type on the wire
        status=NOTIFICATION_STATUS_DEFAULT,
        subscriptionURI=uris.subscription(subscription.end_device_id, subscription.id),
    )
    return encode(notification)


class NotificationEncoder:
    """Encodes Notifications, once per group of documents equal but for their own ids.

    Two subscribers' documents share one encoding when their resource and subscribed href
    are equal after each one's ``/edev/{id}/`` is blanked out (compared on the dataclass
    ``repr``, which shows every field); the shared bytes hold a marker for the
    subscriptionURI and a NUL (never in XML) for the EndDevice id. A document that names
    its device any other way simply does not match another and is encoded on its own.
    """

    def __init__(self, max_entries: int = 256) -> None:
        self._shared: dict[str, bytes] = {}
        self._max_entries = max_entries
        self._marker = f"urn:uuid:{uuid.uuid4()}"

    def encode(self, subscription: SubscriptionRecord, resource: object) -> bytes:
        assert subscription.id is not None
        own = f"/edev/{subscription.end_device_id}/"
        key = repr((subscription.subscribed_resource, resource)).replace(own, _BLANK)
        shared = self._shared.get(key)
        if shared is None:
            notification = sep.Notification(
                subscribedResource=subscription.subscribed_resource,
                Resource=resource,  # type: ignore[arg-type]  # any Resource subclass
                status=NOTIFICATION_STATUS_DEFAULT,
                subscriptionURI=self._marker,
            )
            shared = encode(notification).replace(own.encode(), _BLANK.encode())
            if len(self._shared) >= self._max_entries:
                self._shared.clear()
            self._shared[key] = shared
        uri = uris.subscription(subscription.end_device_id, subscription.id)
        return shared.replace(_BLANK.encode(), own.encode()).replace(
            self._marker.encode(), uri.encode()
        )


#: What stands for a subscriber's own ``/edev/{id}/`` in a shared encoding.
_BLANK = "/edev/\x00/"


def render_notification(
    session: Session,
    settings: ServerSettings,
    claimed: ClaimedNotification,
    *,
    now: float,
    encoder: NotificationEncoder | None = None,
) -> bytes:
    """The Notification for a claimed body-less row, as of ``now`` [s since the epoch].

    ``encoder`` shares encodings between the rows of one delivery batch.

    Raises
    ------
    NotificationGoneError
        The subscription was deleted, or its device may no longer read the resource.
    """
    if claimed.subscription_id is None:
        raise NotificationGoneError("the row has neither a body nor a subscription")
    subscription = session.get(SubscriptionRecord, claimed.subscription_id)
    if subscription is None:
        raise NotificationGoneError(f"subscription {claimed.subscription_id} was deleted")
    device = select_end_device_by_id(session, subscription.end_device_id)
    if device is None:
        raise NotificationGoneError(f"EndDevice {subscription.end_device_id} was deleted")
    ctx = ServiceContext(now=int(now), settings=settings, changes=NullChangeSink())
    # An aggregator's own EndDevice renders with the aggregator's view (its fleet).
    is_aggregator = select_aggregator_by_lfdi(session, device.lfdi) is not None
    scope = Scope(lfdi=device.lfdi, sfdi=device.sfdi, is_aggregator=is_aggregator)
    try:
        resource = render_for_device(
            session, ctx, scope, subscription.subscribed_resource, subscription.limit
        )
    except ServerError as exc:
        raise NotificationGoneError(
            f"{subscription.subscribed_resource} is not readable by its subscriber: {exc}"
        ) from exc
    if encoder is None:
        return build_notification(subscription, resource)
    return encoder.encode(subscription, resource)


class OutboxChangeSink:
    """Queues Notifications in the outbox for every subscription a change concerns.

    Parameters
    ----------
    settings
        Server settings (kept for symmetry with the renderer; rendering is at delivery).
    clock
        Wall clock [s since the epoch] (runtime adapter; tests pass a fixed one).
    on_enqueue
        Called (no arguments) when the transaction that queued rows commits, e.g. to wake
        the delivery worker.
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
        # Collected per transaction and queued in one go just before its commit: authoring
        # a control for a group reports two lists per member device.
        pending: set[str] = session.info.setdefault(_PENDING_KEY, set())
        if not pending:
            event.listen(session, "before_commit", self._queue_pending, once=True)
            event.listen(session, "after_rollback", _forget_pending, once=True)
        pending.add(href)

    def _queue_pending(self, session: Session) -> None:
        hrefs: set[str] = session.info.pop(_PENDING_KEY, set())
        watched = sorted({h for href in hrefs for h in self_and_ancestors(href)})
        now = self._clock()
        queued = 0
        for start in range(0, len(watched), _HREFS_PER_STATEMENT):
            queued += enqueue_for_subscribers(
                session, watched_hrefs=watched[start : start + _HREFS_PER_STATEMENT], now=now
            )
        if queued and self._on_enqueue is not None:
            # Wake the worker once the rows are visible, i.e. after the commit.
            wake = self._on_enqueue
            event.listen(session, "after_commit", lambda _session: wake(), once=True)


def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
