"""Stored control Responses -> 2030.5 DERControlResponse."""

from __future__ import annotations

from openderms.schemas.sep2 import models as sep
from openderms.server import uris
from openderms.server.mappers.common import mrid_type, time_type
from openderms.server.store.models import ControlResponseRow

__all__ = ["map_response"]


def map_response(row: ControlResponseRow, *, device_lfdi: str) -> sep.DERControlResponse:
    """A Response as its poster reads it back (``device_lfdi``: the responding device)."""
    assert row.id is not None
    return sep.DERControlResponse(
        href=uris.response(row.response_set_id, row.id),
        createdDateTime=None if row.created_time is None else time_type(row.created_time),
        endDeviceLFDI=bytes.fromhex(device_lfdi),
        status=row.status,
        subject=mrid_type(row.subject_mrid),
    )
