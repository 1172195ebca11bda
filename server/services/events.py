"""Response (to a control's replyTo) and LogEvent function sets."""

from __future__ import annotations

from sqlmodel import Session

from openderms.schemas.sep2 import models as sep
from openderms.server import uris
from openderms.server.errors import ForbiddenError, NotFoundError
from openderms.server.mappers.common import lfdi_hex, mrid_hex, mrid_type, time_type
from openderms.server.scope import Scope, ServiceContext
from openderms.server.services.access import require_end_device
from openderms.server.services.rates import device_poll_rate_s
from openderms.server.store.crud.derp import select_control_by_mrid
from openderms.server.store.crud.end_device import select_end_device_by_lfdi
from openderms.server.store.crud.events import select_log_event, select_log_events
from openderms.server.store.crud.fsa import end_device_sees_program
from openderms.server.store.models import ControlResponseRow, LogEventRow
from openderms.server.store.paging import Page

__all__ = [
    "get_log_event",
    "get_response",
    "list_log_events",
    "post_log_event",
    "post_response",
]


def post_response(
    session: Session, ctx: ServiceContext, scope: Scope, response_set_id: int, body: sep.Response
) -> str:
    """Store a client's Response to a DERControl; returns the new Response's href. Commits.

    The endDeviceLFDI must be the caller's own device or (for an aggregator) one of its
    devices, and that device must see the control's program.

    Raises
    ------
    ForbiddenError
        The response is for a device the caller does not speak for.
    NotFoundError
        No such control in this ResponseSet, or not one the device sees.
    """
    lfdi = lfdi_hex(body.endDeviceLFDI)
    device = select_end_device_by_lfdi(session, lfdi)
    if device is None or device.id is None:
        raise ForbiddenError("endDeviceLFDI is not a registered device")
    require_end_device(session, scope, device.id)  # raises NotFound for others' devices
    control = select_control_by_mrid(session, response_set_id, mrid_hex(body.subject))
    if control is None or not end_device_sees_program(session, device.id, response_set_id):
        raise NotFoundError("no such DERControl for this device in this ResponseSet")
    row = ControlResponseRow(
        end_device_id=device.id,
        response_set_id=response_set_id,
        der_control_id=control.id,
        subject_mrid=control.mrid,
        status=body.status,
        created_time=None if body.createdDateTime is None else body.createdDateTime.value,
        received_time=ctx.now,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    session.commit()
    return uris.response(response_set_id, row.id)


def get_response(
    session: Session, scope: Scope, response_set_id: int, response_id: int
) -> sep.DERControlResponse:
    """A Response the caller (or one of an aggregator's devices) posted."""
    row = session.get(ControlResponseRow, response_id)
    if row is None or row.response_set_id != response_set_id:
        raise NotFoundError(f"no Response {response_id}")
    device = require_end_device(session, scope, row.end_device_id)
    return sep.DERControlResponse(
        href=uris.response(response_set_id, response_id),
        createdDateTime=None if row.created_time is None else time_type(row.created_time),
        endDeviceLFDI=bytes.fromhex(device.lfdi),
        status=row.status,
        subject=mrid_type(row.subject_mrid),
    )


def post_log_event(
    session: Session, ctx: ServiceContext, scope: Scope, end_device_id: int, body: sep.LogEvent
) -> str:
    """Store a LogEvent under the caller's EndDevice; returns its href. Commits."""
    require_end_device(session, scope, end_device_id)
    row = LogEventRow(
        end_device_id=end_device_id,
        created_time=body.createdDateTime.value,
        details=body.details,
        extended_data=body.extendedData,
        function_set=body.functionSet,
        log_event_code=body.logEventCode,
        log_event_id=body.logEventID,
        log_event_pen=body.logEventPEN.value,
        profile_id=body.profileID,
        received_time=ctx.now,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    ctx.changes.resource_changed(session, uris.log_event_list(end_device_id))
    session.commit()
    return uris.log_event(end_device_id, row.id)


def _map_log_event(row: LogEventRow) -> sep.LogEvent:
    assert row.id is not None
    return sep.LogEvent(
        href=uris.log_event(row.end_device_id, row.id),
        createdDateTime=time_type(row.created_time),
        details=row.details,
        extendedData=row.extended_data,
        functionSet=row.function_set,
        logEventCode=row.log_event_code,
        logEventID=row.log_event_id,
        logEventPEN=sep.PENType(value=row.log_event_pen),
        profileID=row.profile_id,
    )


def list_log_events(
    session: Session, ctx: ServiceContext, scope: Scope, end_device_id: int, page: Page
) -> sep.LogEventList:
    device = require_end_device(session, scope, end_device_id)
    total, rows = select_log_events(session, end_device_id, page)
    return sep.LogEventList(
        href=uris.log_event_list(end_device_id),
        all=total,
        results=len(rows),
        subscribable=1,
        pollRate=device_poll_rate_s(session, ctx.settings, device),
        LogEvent=[_map_log_event(row) for row in rows],
    )


def get_log_event(session: Session, scope: Scope, end_device_id: int, log_id: int) -> sep.LogEvent:
    require_end_device(session, scope, end_device_id)
    row = select_log_event(session, end_device_id, log_id)
    if row is None:
        raise NotFoundError(f"no LogEvent {log_id}")
    return _map_log_event(row)
