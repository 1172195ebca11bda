"""Stored LogEvents -> 2030.5 LogEvent."""

from __future__ import annotations

from openderms.schemas.sep2 import models as sep
from openderms.server import uris
from openderms.server.mappers.common import time_type
from openderms.server.store.models import LogEventRow

__all__ = ["map_log_event"]


def map_log_event(row: LogEventRow) -> sep.LogEvent:
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
