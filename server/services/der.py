"""DER function set: DERList, DER, and the four resources a client PUTs.

DERCapability, DERSettings, DERStatus and DERAvailability are kept as history: each PUT
appends a row (the body re-encoded by the codec), a GET answers the latest.
"""

from __future__ import annotations

from sqlmodel import Session

from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.codec import encode
from openderms.server import uris
from openderms.server.errors import NotFoundError
from openderms.server.scope import Scope, ServiceContext
from openderms.server.services.access import require_end_device
from openderms.server.services.rates import resource_poll_rate_s
from openderms.server.store.crud.der import (
    insert_client_resource,
    select_latest_client_resource,
)
from openderms.server.store.paging import Page

__all__ = ["DER_RESOURCES", "get_der", "get_der_list", "get_der_resource", "put_der_resource"]

#: Path segment -> (resource class, stored kind).
DER_RESOURCES: dict[str, type] = {
    "dercap": sep.DERCapability,
    "derg": sep.DERSettings,
    "ders": sep.DERStatus,
    "dera": sep.DERAvailability,
}


def _require_der(session: Session, scope: Scope, end_device_id: int, der_index: int) -> None:
    require_end_device(session, scope, end_device_id)
    if der_index != uris.DER_INDEX:
        raise NotFoundError(f"no DER {der_index} under EndDevice {end_device_id}")


def get_der(session: Session, scope: Scope, end_device_id: int, der_index: int) -> sep.DER:
    _require_der(session, scope, end_device_id, der_index)
    return sep.DER(
        href=uris.der(end_device_id, der_index),
        subscribable=0,
        DERCapabilityLink=sep.DERCapabilityLink(href=uris.der_capability(end_device_id)),
        DERSettingsLink=sep.DERSettingsLink(href=uris.der_settings(end_device_id)),
        DERStatusLink=sep.DERStatusLink(href=uris.der_status(end_device_id)),
        DERAvailabilityLink=sep.DERAvailabilityLink(href=uris.der_availability(end_device_id)),
    )


def get_der_list(
    session: Session, ctx: ServiceContext, scope: Scope, end_device_id: int, page: Page
) -> sep.DERList:
    """The DERList of an EndDevice: one DER (CSIP §5.2.3: one DER per EndDevice).

    Paged like every list (IEEE 2030.5 §5.5; issue 11 item 1): ``s=1`` is past the one DER,
    so a client that pages until an empty page stops.
    """
    device = require_end_device(session, scope, end_device_id)
    ders = [get_der(session, scope, end_device_id, uris.DER_INDEX)]
    shown = ders[page.start : page.start + page.limit]
    return sep.DERList(
        href=uris.der_list(end_device_id),
        all=len(ders),
        results=len(shown),
        pollRate=resource_poll_rate_s(session, ctx.settings, "der", device),
        DER=shown,
    )


def put_der_resource(
    session: Session,
    ctx: ServiceContext,
    scope: Scope,
    end_device_id: int,
    der_index: int,
    body: sep.Resource,
) -> None:
    """Append a client's DERCapability/DERSettings/DERStatus/DERAvailability. Commits."""
    _require_der(session, scope, end_device_id, der_index)
    # By name: a CSIP (US) DERCapability stays an object of its own profile (see
    # openderms.server.sep2.profiles) and is stored in its own encoding.
    segment = next(k for k, cls in DER_RESOURCES.items() if type(body).__name__ == cls.__name__)
    body.href = f"{uris.der(end_device_id, der_index)}/{segment}"
    insert_client_resource(
        session,
        end_device_id,
        type(body).__name__,
        encode(body).decode(),
        now=ctx.now,
        der_index=der_index,
    )
    session.commit()


def get_der_resource(
    session: Session, scope: Scope, end_device_id: int, der_index: int, segment: str
) -> bytes:
    """The latest document the client PUT at this DER resource (already encoded)."""
    _require_der(session, scope, end_device_id, der_index)
    kind = DER_RESOURCES[segment].__name__
    latest = select_latest_client_resource(session, end_device_id, kind, der_index=der_index)
    if latest is None:
        raise NotFoundError(f"no {kind} posted yet")
    return latest.xml.encode()
