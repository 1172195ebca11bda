"""Queue the notifications of one change, in the change's transaction (the outbox).

WEBHOOK: one outbox row per subscription objectOperation whose objects and operations
include the change, whose programID and targets filters match, and whose owner may read
the object (privacy holds for notifications as for GETs). MQTT (when configured): one row
per topic the change belongs on (`openderms.server.openadr.topics`), the per-VEN topics
only for the VENs that may read the object.

Rows carry the notification JSON (the object as of the change) and content type
`OADR_JSON`; `openderms.server.openadr.delivery` sends them. A webhook row's
``resource_href`` is ``openadr/subscriptions/<id>/<operation index>``: the delivery reads
the bearer token from the subscription then (it is not copied into the outbox).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from openderms.server.openadr.access import principal_of_client, visibility_for
from openderms.server.openadr.errors import OadrError
from openderms.server.openadr.kinds import Kind
from openderms.server.openadr.topics import object_topic
from openderms.server.store.crud import openadr as crud
from openderms.server.store.crud.openadr import EVERYTHING, ObjectFilter, Visibility
from openderms.server.store.models.openadr import OadrObjectRow
from openderms.server.store.outbox import enqueue_notification

__all__ = [
    "MQTT_SCHEME",
    "OADR_JSON",
    "NotifySettings",
    "queue_notifications",
    "webhook_href",
]

#: Content type of OpenADR outbox rows (2030.5 rows are application/sep+xml).
OADR_JSON = "application/json"
#: notification_uri prefix of a row to publish on MQTT: ``mqtt:<topic>``.
MQTT_SCHEME = "mqtt:"
_PAGE = 500


@dataclass(frozen=True, slots=True)
class NotifySettings:
    """Which notifiers are on."""

    mqtt: bool = False


def webhook_href(subscription_id: str, index: int) -> str:
    return f"openadr/subscriptions/{subscription_id}/{index}"


def _all(session: Session, object_type: str, where: ObjectFilter) -> list[OadrObjectRow]:
    rows: list[OadrObjectRow] = []
    while page := crud.select_objects(
        session, object_type, visibility=EVERYTHING, where=where, skip=len(rows), limit=_PAGE
    ):
        rows.extend(page)
        if len(page) < _PAGE:
            break
    return rows


class _Readers:
    """Caches, per client, whether it may read the changed object."""

    def __init__(self, session: Session, kind: Kind, row: OadrObjectRow) -> None:
        self._session = session
        self._kind = kind
        self._row = row
        self._known: dict[str, bool] = {}

    def may_read(self, client_id: str | None) -> bool:
        if client_id is None:
            return False
        if client_id not in self._known:
            self._known[client_id] = self._check(client_id)
        return self._known[client_id]

    def _check(self, client_id: str) -> bool:
        principal = principal_of_client(self._session, client_id)
        if principal is None:
            return False
        try:
            visibility = visibility_for(self._session, principal, self._kind)
        except OadrError:
            return False
        if visibility == EVERYTHING:
            return True
        found = crud.select_object(self._session, self._kind.object_type, self._row.id, visibility)
        return found is not None

    def may_read_as_ven(self, ven: OadrObjectRow) -> bool:
        """Per-VEN topics: the VEN's own targets decide, whatever its client's scopes."""
        if self._kind.object_type in ("RESOURCE", "VEN"):
            return True
        targets = frozenset(self._ven_targets(ven))
        visibility = Visibility(targets=targets, program_targets=self._kind.object_type == "EVENT")
        return (
            crud.select_object(self._session, self._kind.object_type, self._row.id, visibility)
            is not None
        )

    def _ven_targets(self, ven: OadrObjectRow) -> set[str]:
        assert ven.seq is not None
        targets = set(crud.select_targets(self._session, ven.seq))
        for resource in _all(self._session, "RESOURCE", ObjectFilter(ven_id=ven.id)):
            assert resource.seq is not None
            targets.update(crud.select_targets(self._session, resource.seq))
        return targets


def _subscription_matches(
    subscription: dict[str, Any], kind: Kind, row: OadrObjectRow, targets: list[str]
) -> bool:
    program_id = subscription.get("programID")
    if program_id is not None:
        related = row.id if kind.object_type == "PROGRAM" else row.program_id
        if related != program_id:
            return False
    wanted = subscription.get("targets")
    return not wanted or bool(set(wanted) & set(targets))


def _mqtt_topics(
    session: Session, kind: Kind, operation: str, row: OadrObjectRow, readers: _Readers
) -> list[str]:
    topics = [object_topic(operation, kind.collection)]
    object_type = kind.object_type
    if object_type == "PROGRAM" and operation != "CREATE":
        topics.append(object_topic(operation, "programs", row.id))
    if object_type == "EVENT" and row.program_id is not None:
        topics.append(object_topic(operation, "programs", row.program_id, "events"))
    if object_type == "VEN" and operation != "CREATE":
        topics.append(object_topic(operation, "vens", row.id))
    if object_type == "RESOURCE" and row.ven_id is not None:
        topics.append(object_topic(operation, "vens", row.ven_id, "resources"))
    if object_type in ("PROGRAM", "EVENT"):
        for ven in _all(session, "VEN", ObjectFilter()):
            if readers.may_read_as_ven(ven):
                topics.append(object_topic(operation, "vens", ven.id, kind.collection))
    return topics


def queue_notifications(
    session: Session,
    settings: NotifySettings,
    kind: Kind,
    operation: str,
    row: OadrObjectRow,
    targets: list[str],
    *,
    now: float,
) -> int:
    """Queue every notification of this change (no commit). Returns rows queued."""
    notification = json.dumps(
        {
            "objectType": kind.object_type,
            "operation": operation,
            "object": json.loads(row.body),
            "targets": sorted(targets) or None,
        },
        separators=(",", ":"),
    ).encode("utf-8")
    readers = _Readers(session, kind, row)
    queued = 0
    for subscription_row in _all(session, "SUBSCRIPTION", ObjectFilter()):
        subscription = json.loads(subscription_row.body)
        if not _subscription_matches(subscription, kind, row, targets):
            continue
        if not readers.may_read(subscription_row.client_id):
            continue
        for index, operations in enumerate(subscription.get("objectOperations", [])):
            if kind.object_type in operations["objects"] and operation in operations["operations"]:
                enqueue_notification(
                    session,
                    subscription_id=None,
                    end_device_id=None,
                    resource_href=webhook_href(subscription_row.id, index),
                    notification_uri=operations["callbackUrl"],
                    body=notification,
                    now=now,
                    content_type=OADR_JSON,
                )
                queued += 1
    if settings.mqtt:
        for topic in _mqtt_topics(session, kind, operation, row, readers):
            enqueue_notification(
                session,
                subscription_id=None,
                end_device_id=None,
                resource_href="openadr/mqtt",
                notification_uri=MQTT_SCHEME + topic,
                body=notification,
                now=now,
                content_type=OADR_JSON,
            )
            queued += 1
    return queued
