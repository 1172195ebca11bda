"""DeviceCapability, Time, EndDevice, Registration, DeviceInformation, ConnectionPoint."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from openderms.certs.identity import sfdi_from_lfdi
from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.codec import encode
from openderms.server import uris
from openderms.server.errors import BadRequestError, ConflictError, ForbiddenError, NotFoundError
from openderms.server.mappers.common import lfdi_hex
from openderms.server.mappers.end_device import (
    map_connection_point,
    map_end_device,
    map_end_device_list,
    map_registration,
)
from openderms.server.scope import Scope, ServiceContext
from openderms.server.services.access import require_end_device
from openderms.server.services.nmi import nmi_problem
from openderms.server.services.rates import (
    device_poll_rate_s,
    device_post_rate_s,
    resource_poll_rate_s,
)
from openderms.server.services.rendering import Rendering
from openderms.server.services.unique import add_unique
from openderms.server.store.crud.der import (
    insert_client_resource,
    select_latest_client_resource,
)
from openderms.server.store.crud.end_device import (
    get_or_create_aggregator,
    select_end_device_by_lfdi,
    select_end_devices_for_scope,
)
from openderms.server.store.models import EndDeviceRow, FsaMember
from openderms.server.store.paging import Page

__all__ = [
    "DEVICE_INFORMATION",
    "RENDERINGS",
    "get_connection_point",
    "get_device_information",
    "get_end_device",
    "get_registration",
    "list_end_devices",
    "put_connection_point",
    "put_device_information",
    "register_end_device_in_band",
]

DEVICE_INFORMATION = "DeviceInformation"


def _fsa_count(session: Session, end_device_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(FsaMember).where(FsaMember.end_device_id == end_device_id)
    ).one()


def _end_device(session: Session, ctx: ServiceContext, row: EndDeviceRow) -> sep.EndDevice:
    assert row.id is not None
    return map_end_device(
        row,
        post_rate_s=device_post_rate_s(session, ctx.settings, row),
        fsa_count=_fsa_count(session, row.id),
        csip_aus=ctx.settings.profile != "csip",
    )


def list_end_devices(
    session: Session, ctx: ServiceContext, scope: Scope, page: Page
) -> sep.EndDeviceList:
    """The EndDeviceList the caller sees: its own device, or an aggregator's devices."""
    total, rows = select_end_devices_for_scope(session, scope, page)
    return map_end_device_list(
        [_end_device(session, ctx, row) for row in rows],
        total=total,
        poll_rate_s=resource_poll_rate_s(session, ctx.settings, "edev"),
    )


def get_end_device(
    session: Session, ctx: ServiceContext, scope: Scope, end_device_id: int
) -> sep.EndDevice:
    return _end_device(session, ctx, require_end_device(session, scope, end_device_id))


def register_end_device_in_band(
    session: Session, ctx: ServiceContext, scope: Scope, body: sep.EndDevice
) -> tuple[str, bool]:
    """Register the EndDevice a client POSTed; returns (its href, whether it is new).

    A device may register only itself: the body's sFDI (and lFDI when present) must be
    those of its certificate. An aggregator gives the lFDI of the device, whose sFDI must
    be the one that lFDI gives (IEEE 2030.5 §6.3.3). Under the default policy
    (``aggregator_registration = "assigned"``) an aggregator registers only devices the
    utility put under it; any other lFDI is refused with 403 whether it is registered or
    not, so the answer tells nothing about other owners' devices. Under ``"open"`` it may
    also register lFDIs nobody holds (the utility can reclaim them), and an lFDI held by
    someone else is 409.

    Raises
    ------
    BadRequestError
        The aggregator's sFDI does not belong to the lFDI it gives.
    ForbiddenError
        In-band registration is off, a device tries to register another identity, or an
        aggregator an lFDI the utility did not assign to it.
    ConflictError
        ``"open"`` policy: the lFDI belongs to a device the caller does not manage.
    """
    if not ctx.settings.allow_in_band_registration:
        raise ForbiddenError("in-band registration is disabled on this server")
    body_lfdi = None if body.lFDI is None else lfdi_hex(body.lFDI)
    sfdi = body.sFDI.value
    aggregator_id: int | None = None
    own = scope.is_aggregator and body_lfdi == scope.lfdi
    if scope.is_aggregator and not own:
        if body_lfdi is None:
            raise ForbiddenError("an aggregator must give the lFDI of the device it registers")
        if sfdi != sfdi_from_lfdi(body_lfdi):
            raise BadRequestError("the sFDI is not the one the lFDI gives (IEEE 2030.5 §6.3.3)")
        aggregator_id = get_or_create_aggregator(session, scope.lfdi, now=ctx.now).id
        lfdi = body_lfdi
    else:
        # A device registers itself; so may an aggregator, whose own EndDevice carries its
        # SubscriptionList (CSIP-AUS practice; issue 11 item 5).
        if sfdi != scope.sfdi or (body_lfdi is not None and body_lfdi != scope.lfdi):
            raise ForbiddenError("a device may register only its own lFDI/sFDI")
        lfdi = scope.lfdi
    existing = select_end_device_by_lfdi(session, lfdi)
    assigned = existing is not None and existing.aggregator_id == aggregator_id
    if (
        scope.is_aggregator
        and not own
        and not assigned
        and ctx.settings.aggregator_registration != "open"
    ):
        raise ForbiddenError("the utility has not assigned this device to this aggregator")
    if existing is not None:
        if existing.aggregator_id != aggregator_id and existing.lfdi != scope.lfdi:
            raise ConflictError("this lFDI is registered to another owner")
        if existing.sfdi != sfdi:
            raise ConflictError("this lFDI is registered with another sFDI")
        # A POST creates (IEEE 2030.5 §5.3); an EndDevice already POSTed in band is a
        # conflict, as CSIP-AUS test practice expects (issue 11 item 6). *Interpretation*:
        # the first in-band POST of a device the utility registered out of band claims it.
        if existing.in_band_time is not None:
            raise ConflictError("this EndDevice is registered already: find it in the list")
        existing.in_band_time = ctx.now
        existing.changed_time = ctx.now
        if body.deviceCategory is not None:
            existing.device_category = body.deviceCategory.value.hex().upper()
        session.add(existing)
        session.commit()
        assert existing.id is not None
        return uris.end_device(existing.id), False
    row = EndDeviceRow(
        lfdi=lfdi,
        sfdi=sfdi,
        aggregator_id=aggregator_id,
        device_category=(
            None if body.deviceCategory is None else body.deviceCategory.value.hex().upper()
        ),
        enabled=True if body.enabled is None else body.enabled,
        registered_time=ctx.now,
        changed_time=ctx.now,
        in_band_time=ctx.now,
    )
    add_unique(session, row, conflict="this lFDI was registered concurrently")
    assert row.id is not None
    ctx.changes.resource_changed(session, uris.EDEV_LIST)
    session.commit()
    return uris.end_device(row.id), True


def get_registration(
    session: Session, ctx: ServiceContext, scope: Scope, end_device_id: int
) -> sep.Registration:
    row = require_end_device(session, scope, end_device_id)
    if row.registration_pin is None:
        raise NotFoundError("this EndDevice was registered without a PIN")
    return map_registration(row, poll_rate_s=device_poll_rate_s(session, ctx.settings, row))


def put_device_information(
    session: Session, ctx: ServiceContext, scope: Scope, end_device_id: int, body: sep.Resource
) -> None:
    """Store a DeviceInformation PUT (history kept, the latest is served)."""
    row = require_end_device(session, scope, end_device_id)
    assert row.id is not None
    body.href = uris.device_information(row.id)
    insert_client_resource(session, row.id, DEVICE_INFORMATION, encode(body).decode(), now=ctx.now)
    session.commit()


def get_device_information(session: Session, scope: Scope, end_device_id: int) -> bytes:
    """The latest DeviceInformation document of the device (already encoded)."""
    row = require_end_device(session, scope, end_device_id)
    assert row.id is not None
    latest = select_latest_client_resource(session, row.id, DEVICE_INFORMATION)
    if latest is None:
        raise NotFoundError("no DeviceInformation posted yet")
    return latest.xml.encode()


def get_connection_point(
    session: Session, scope: Scope, end_device_id: int
) -> sep.ConnectionPoint:
    row = require_end_device(session, scope, end_device_id)
    if row.connection_point_id is None:
        raise NotFoundError("no ConnectionPoint reported yet")
    return map_connection_point(row)


def put_connection_point(
    session: Session,
    ctx: ServiceContext,
    scope: Scope,
    end_device_id: int,
    body: sep.ConnectionPoint,
) -> tuple[str, bool]:
    """Record the site's connection point id (CSIP-AUS: the NMI) reported by the client;
    returns (the ConnectionPoint's href, whether it was first set now). Commits.

    Raises
    ------
    BadRequestError
        Not an NMI: 10 characters of the NMI alphabet, or 11 with a correct checksum
        (issue 11 item 7; ``NOTAVALIDID`` fails both).
    """
    row = require_end_device(session, scope, end_device_id)
    assert row.id is not None
    problem = nmi_problem(body.connectionPointId)
    if problem is not None:
        raise BadRequestError(f"connectionPointId {body.connectionPointId!r}: {problem}")
    created = row.connection_point_id is None
    row.connection_point_id = body.connectionPointId
    row.changed_time = ctx.now
    session.add(row)
    session.commit()
    return uris.connection_point(row.id), created


RENDERINGS: dict[uris.Resource, Rendering] = {
    uris.END_DEVICE_LIST: Rendering(
        # Above every EndDevice: the subscriber's scope decides which devices it lists.
        lambda s, c, scope, ids, page: list_end_devices(s, c, scope, page)
    ),
}
