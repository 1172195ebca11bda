"""Response function set: clients answer DERControls at their ``replyTo``."""

from __future__ import annotations

from sqlmodel import Session

from openderms.schemas.sep2 import models as sep
from openderms.server import uris
from openderms.server.errors import ForbiddenError, NotFoundError
from openderms.server.mappers.common import lfdi_hex, mrid_hex
from openderms.server.mappers.response import map_response
from openderms.server.scope import Scope, ServiceContext
from openderms.server.services.access import require_end_device
from openderms.server.store.crud.derp import select_control_by_mrid
from openderms.server.store.crud.end_device import select_end_device_by_lfdi
from openderms.server.store.crud.fsa import end_device_sees_program
from openderms.server.store.models import ControlResponseRow

__all__ = ["get_response", "post_response"]


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
    return map_response(row, device_lfdi=device.lfdi)
