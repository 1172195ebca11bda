"""The VTN's rules for its six objects: scopes, privacy, references, names, notifications.

Each function is synchronous, takes the caller (`Principal`) and `OadrContext` (time and
settings), owns its transaction and queues the change's notifications in the outbox
inside it (`openderms.server.openadr.notify`), so a crash loses neither.

Privacy (OpenADR 3.1 read_all / read_targets / read_ven_objects): a client with
read_all sees everything; any other client sees programs and events that are untargeted
or share a target with its VENs (a VEN's targets and its resources' targets, set by
business logic only), and only the reports, subscriptions, VENs and resources it owns.
An object the caller may not see answers 404, like one that does not exist.

Interpretation of the specification: an event is visible only if its program is too (an
untargeted event of a program targeted at others stays private); a referenced object
that does not exist or is not visible (event.programID, report.eventID,
subscription.programID) is a 409 conflict, as the YAML's conflict response describes a
foreign-key violation; a resource's venID that names no VEN of the caller is 404 (the
YAML lists 404 for POST /resources).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, RootModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from openderms.schemas.openadr3 import models as oadr
from openderms.schemas.openadr3.types import format_datetime, is_now
from openderms.server.openadr.access import check_write, visibility_for
from openderms.server.openadr.errors import (
    OadrBadRequestError,
    OadrConflictError,
    OadrForbiddenError,
    OadrNotFoundError,
)
from openderms.server.openadr.kinds import KINDS_BY_TYPE, Kind
from openderms.server.openadr.notify import NotifySettings, queue_notifications
from openderms.server.openadr.scopes import Principal
from openderms.server.store.crud import openadr as crud
from openderms.server.store.crud.openadr import EVERYTHING, ObjectFilter, Visibility
from openderms.server.store.models.openadr import OadrObjectRow

__all__ = [
    "OadrContext",
    "create_object",
    "delete_object",
    "get_object",
    "list_objects",
    "update_object",
]


@dataclass(frozen=True, slots=True)
class OadrContext:
    """What a service call needs besides the session: time and settings."""

    now: float  # [s since the epoch]
    notify: NotifySettings


def _load(row: OadrObjectRow) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(row.body)
    return loaded


def list_objects(
    session: Session,
    ctx: OadrContext,
    principal: Principal,
    kind: Kind,
    *,
    where: ObjectFilter,
    skip: int,
    limit: int,
) -> list[dict[str, Any]]:
    """One page of the objects the caller may see, in creation order."""
    visibility = visibility_for(session, principal, kind)
    rows = crud.select_objects(
        session, kind.object_type, visibility=visibility, where=where, skip=skip, limit=limit
    )
    return [_load(row) for row in rows]


def _visible_row(
    session: Session, principal: Principal, kind: Kind, object_id: str
) -> OadrObjectRow:
    row = crud.select_object(
        session, kind.object_type, object_id, visibility_for(session, principal, kind)
    )
    if row is None:
        raise OadrNotFoundError(f"no {kind.object_type.lower()} {object_id!r}")
    return row


def get_object(
    session: Session, ctx: OadrContext, principal: Principal, kind: Kind, object_id: str
) -> dict[str, Any]:
    return _load(_visible_row(session, principal, kind, object_id))


def _request_json(request: BaseModel | RootModel) -> dict[str, Any]:  # type: ignore[type-arg]
    model = request.root if isinstance(request, RootModel) else request
    assert isinstance(model, BaseModel)
    dumped: dict[str, Any] = json.loads(model.model_dump_json(exclude_unset=True))
    return dumped


@dataclass(slots=True)
class _Prepared:
    """The stored form of a request: the object's JSON and its indexed columns."""

    body: dict[str, Any]
    targets: list[str]
    name: str | None = None
    unique_key: str | None = None
    program_id: str | None = None
    event_id: str | None = None
    ven_id: str | None = None
    client_id: str | None = None
    client_name: str | None = None
    ends_at: float | None = None
    object_types: str | None = None


def _referenced(
    session: Session, principal: Principal, object_type: str, object_id: str, field: str
) -> OadrObjectRow:
    kind = KINDS_BY_TYPE[object_type]
    visibility = EVERYTHING if principal.reads_all else visibility_for(session, principal, kind)
    row = crud.select_object(session, object_type, object_id, visibility)
    if row is None:
        raise OadrConflictError(f"{field} {object_id!r} names no {object_type.lower()}")
    return row


def _event_end(event: oadr.EventRequest) -> float | None:
    """End of the event's last interval [s], or None if open-ended or untimed."""
    default = event.intervalPeriod or oadr.IntervalPeriod()
    if event.duration is not None and default.start is not None and not is_now(default.start):
        return (
            None
            if event.duration.is_forever
            else default.start.timestamp() + (event.duration.seconds)
        )
    cursor: datetime | None = default.start
    end: datetime | None = None
    for interval in event.intervals or []:
        period = interval.intervalPeriod or oadr.IntervalPeriod()
        start = period.start or cursor
        duration = period.duration or default.duration
        if start is None or is_now(start) or duration is None or duration.is_forever:
            return None
        cursor = start + timedelta(seconds=duration.seconds)
        end = cursor if end is None else max(end, cursor)
    return None if end is None else end.timestamp()


def _prepare(
    session: Session,
    principal: Principal,
    kind: Kind,
    request: BaseModel | RootModel,  # type: ignore[type-arg]
    existing: OadrObjectRow | None,
) -> _Prepared:
    body = _request_json(request)
    model = request.root if isinstance(request, RootModel) else request
    targets = list(body.get("targets") or [])
    if isinstance(model, oadr.ProgramRequest):
        return _Prepared(
            body, targets, name=model.programName, unique_key=f"PROGRAM:{model.programName}"
        )
    if isinstance(model, oadr.EventRequest):
        _referenced(session, principal, "PROGRAM", model.programID, "programID")
        return _Prepared(
            body,
            targets,
            name=model.eventName,
            program_id=model.programID,
            ends_at=_event_end(model),
        )
    if isinstance(model, oadr.ReportRequest):
        event = _referenced(session, principal, "EVENT", model.eventID, "eventID")
        owner = existing.client_id if existing is not None else principal.client_id
        body["clientID"] = owner
        return _Prepared(
            body,
            [],
            name=model.reportName,
            program_id=event.program_id,
            event_id=model.eventID,
            client_id=owner,
            client_name=model.clientName,
        )
    if isinstance(model, oadr.SubscriptionRequest):
        if model.programID is not None:
            _referenced(session, principal, "PROGRAM", model.programID, "programID")
        owner = existing.client_id if existing is not None else principal.client_id
        body["clientID"] = owner
        named = sorted({str(o) for item in model.objectOperations for o in item.objects})
        return _Prepared(
            body,
            targets,
            program_id=model.programID,
            client_id=owner,
            client_name=model.clientName,
            object_types="," + ",".join(named) + ",",
        )
    if isinstance(model, oadr.BlVenRequest | oadr.VenVenRequest):
        return _prepare_ven(principal, model, body, existing, session)
    assert isinstance(model, oadr.BlResourceRequest | oadr.VenResourceRequest)
    return _prepare_resource(session, principal, model, body, existing)


def _kept_targets(session: Session, existing: OadrObjectRow | None) -> list[str]:
    if existing is None or existing.seq is None:
        return []
    return crud.select_targets(session, existing.seq)


def _owner_of_ven_side(
    principal: Principal,
    model: BaseModel,
    body: dict[str, Any],
    existing: OadrObjectRow | None,
    session: Session,
) -> tuple[str, list[str]]:
    """(clientID, targets) of a VEN or resource written by `principal`.

    Only business logic sets targets and owners: a VEN that could target itself would
    read everyone's events.
    """
    if principal.reads_all:
        client_id = getattr(model, "clientID", None)
        if client_id is None:
            if existing is None or existing.client_id is None:
                raise OadrBadRequestError("business logic must give the clientID it is for")
            client_id = existing.client_id
        return client_id, list(body.get("targets") or [])
    if getattr(model, "clientID", principal.client_id) != principal.client_id:
        raise OadrForbiddenError("a VEN client writes only objects with its own clientID")
    if body.get("targets") and sorted(body["targets"]) != sorted(_kept_targets(session, existing)):
        raise OadrForbiddenError("only business logic sets targets")
    return principal.client_id, _kept_targets(session, existing)


def _put_targets(body: dict[str, Any], targets: list[str]) -> None:
    if targets:
        body["targets"] = targets
    else:
        body.pop("targets", None)


def _prepare_ven(
    principal: Principal,
    model: oadr.BlVenRequest | oadr.VenVenRequest,
    body: dict[str, Any],
    existing: OadrObjectRow | None,
    session: Session,
) -> _Prepared:
    client_id, targets = _owner_of_ven_side(principal, model, body, existing, session)
    body.pop("objectType", None)
    body["clientID"] = client_id
    _put_targets(body, targets)
    return _Prepared(
        body,
        targets,
        name=model.venName,
        unique_key=f"VEN:{model.venName}",
        client_id=client_id,
    )


def _prepare_resource(
    session: Session,
    principal: Principal,
    model: oadr.BlResourceRequest | oadr.VenResourceRequest,
    body: dict[str, Any],
    existing: OadrObjectRow | None,
) -> _Prepared:
    ven_visibility = EVERYTHING if principal.reads_all else Visibility(owner=principal.client_id)
    ven = crud.select_object(session, "VEN", model.venID, ven_visibility)
    if ven is None:
        raise OadrNotFoundError(f"venID {model.venID!r} names no VEN of this client")
    client_id, targets = _owner_of_ven_side(principal, model, body, existing, session)
    if principal.reads_all and "clientID" not in body:
        client_id = ven.client_id or client_id
    body.pop("objectType", None)
    body["clientID"] = client_id
    _put_targets(body, targets)
    return _Prepared(
        body,
        targets,
        name=model.resourceName,
        unique_key=f"RESOURCE:{model.venID}:{model.resourceName}",
        ven_id=model.venID,
        client_id=client_id,
    )


def _stamp(kind: Kind, prepared: _Prepared, object_id: str, created: float, now: float) -> str:
    document = {
        "id": object_id,
        "createdDateTime": format_datetime(datetime.fromtimestamp(created, UTC)),
        "modificationDateTime": format_datetime(datetime.fromtimestamp(now, UTC)),
        "objectType": kind.object_type,
        **{k: v for k, v in prepared.body.items() if k not in ("id", "objectType")},
    }
    document["objectType"] = kind.object_type
    # Validate against the stored model: what we serve always fits the YAML.
    kind.stored.model_validate(document)
    return json.dumps(document, separators=(",", ":"))


def _apply(row: OadrObjectRow, prepared: _Prepared, body: str, now: float) -> None:
    row.name = prepared.name
    row.unique_key = prepared.unique_key
    row.program_id = prepared.program_id
    row.event_id = prepared.event_id
    row.ven_id = prepared.ven_id
    row.client_id = prepared.client_id
    row.client_name = prepared.client_name
    row.ends_at = prepared.ends_at
    row.object_types = prepared.object_types
    row.modified_at = now
    row.body = body


def _flush_unique(session: Session, write: Any) -> None:
    try:
        write()
    except IntegrityError as exc:
        session.rollback()
        raise OadrConflictError(
            "the name is taken (programName, venName and a VEN's resourceName are unique)"
        ) from exc


def create_object(
    session: Session,
    ctx: OadrContext,
    principal: Principal,
    kind: Kind,
    request: BaseModel | RootModel,  # type: ignore[type-arg]
) -> dict[str, Any]:
    """Create an object (201) and notify its subscribers."""
    check_write(principal, kind)
    prepared = _prepare(session, principal, kind, request, None)
    object_id = uuid.uuid4().hex
    body = _stamp(kind, prepared, object_id, ctx.now, ctx.now)
    row = OadrObjectRow(
        id=object_id,
        object_type=kind.object_type,
        created_at=ctx.now,
        modified_at=ctx.now,
        body="",
    )
    _apply(row, prepared, body, ctx.now)
    _flush_unique(session, lambda: crud.insert_object(session, row, prepared.targets))
    queue_notifications(session, ctx.notify, kind, "CREATE", row, prepared.targets, now=ctx.now)
    session.commit()
    return _load(row)


def _writable_row(
    session: Session, principal: Principal, kind: Kind, object_id: str
) -> OadrObjectRow:
    check_write(principal, kind)
    return _visible_row(session, principal, kind, object_id)


def update_object(
    session: Session,
    ctx: OadrContext,
    principal: Principal,
    kind: Kind,
    object_id: str,
    request: BaseModel | RootModel,  # type: ignore[type-arg]
) -> dict[str, Any]:
    """Replace an object's content (id and createdDateTime stay) and notify."""
    row = _writable_row(session, principal, kind, object_id)
    prepared = _prepare(session, principal, kind, request, row)
    body = _stamp(kind, prepared, row.id, row.created_at, ctx.now)
    _apply(row, prepared, body, ctx.now)
    _flush_unique(session, lambda: crud.update_object(session, row, prepared.targets))
    queue_notifications(session, ctx.notify, kind, "UPDATE", row, prepared.targets, now=ctx.now)
    session.commit()
    return _load(row)


def _delete_row(session: Session, ctx: OadrContext, kind: Kind, row: OadrObjectRow) -> None:
    assert row.seq is not None
    targets = crud.select_targets(session, row.seq)
    queue_notifications(session, ctx.notify, kind, "DELETE", row, targets, now=ctx.now)
    crud.delete_object(session, row)


def delete_object(
    session: Session, ctx: OadrContext, principal: Principal, kind: Kind, object_id: str
) -> dict[str, Any]:
    """Delete an object and what depends on it (a program's events, a VEN's resources).

    A deleted event is a cancelled event (OpenADR 3.1): subscribers get a DELETE
    notification for it.
    """
    row = _writable_row(session, principal, kind, object_id)
    deleted = _load(row)
    dependants: list[tuple[Kind, ObjectFilter]] = []
    if kind.object_type == "PROGRAM":
        dependants.append((KINDS_BY_TYPE["EVENT"], ObjectFilter(program_id=row.id)))
    if kind.object_type == "VEN":
        dependants.append((KINDS_BY_TYPE["RESOURCE"], ObjectFilter(ven_id=row.id)))
    for dependant_kind, where in dependants:
        while rows := crud.select_objects(
            session,
            dependant_kind.object_type,
            visibility=EVERYTHING,
            where=where,
            skip=0,
            limit=500,
        ):
            for dependant in rows:
                _delete_row(session, ctx, dependant_kind, dependant)
    _delete_row(session, ctx, kind, row)
    session.commit()
    return deleted
