"""LogEvent function set: clients log events under their own EndDevice."""

from __future__ import annotations

from sqlmodel import Session

from openderms.schemas.sep2 import models as sep
from openderms.server import uris
from openderms.server.errors import NotFoundError
from openderms.server.mappers.log_event import map_log_event
from openderms.server.scope import Scope, ServiceContext
from openderms.server.services.access import require_end_device
from openderms.server.services.rates import device_poll_rate_s
from openderms.server.store.crud.events import select_log_event, select_log_events
from openderms.server.store.models import LogEventRow
from openderms.server.store.paging import Page

__all__ = ["get_log_event", "list_log_events", "post_log_event"]


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
        LogEvent=[map_log_event(row) for row in rows],
    )


def get_log_event(session: Session, scope: Scope, end_device_id: int, log_id: int) -> sep.LogEvent:
    require_end_device(session, scope, end_device_id)
    row = select_log_event(session, end_device_id, log_id)
    if row is None:
        raise NotFoundError(f"no LogEvent {log_id}")
    return map_log_event(row)
