"""Out-of-band registration: the utility registers a device (the admin API calls this)."""

from __future__ import annotations

from sqlmodel import Session

from openderms.server import uris
from openderms.server.errors import BadRequestError, ConflictError
from openderms.server.scope import ServiceContext
from openderms.server.services.unique import add_unique
from openderms.server.store.crud.end_device import (
    get_or_create_aggregator,
    select_end_device_by_lfdi,
)
from openderms.server.store.models import Aggregator, EndDeviceRow

__all__ = ["register_aggregator", "register_end_device", "sfdi_of_lfdi"]


def sfdi_of_lfdi(lfdi: str) -> int:
    """SFDI of an LFDI (IEEE 2030.5 §6.3.3): first 36 bits as decimal plus a check digit."""
    from openderms.certs.identity import sfdi_from_lfdi

    return sfdi_from_lfdi(lfdi)


def _normal_lfdi(lfdi: str) -> str:
    cleaned = lfdi.replace(":", "").replace("-", "").strip().upper()
    if len(cleaned) != 40 or any(c not in "0123456789ABCDEF" for c in cleaned):
        raise BadRequestError(f"an LFDI is 40 hex digits, got {lfdi!r}")
    return cleaned


def register_aggregator(
    session: Session, ctx: ServiceContext, *, lfdi: str, name: str = ""
) -> Aggregator:
    """Record an aggregator certificate's LFDI (idempotent) and commit."""
    row = get_or_create_aggregator(session, _normal_lfdi(lfdi), now=ctx.now, name=name)
    if name and row.name != name:
        row.name = name
        session.add(row)
    session.commit()
    return row


def register_end_device(
    session: Session,
    ctx: ServiceContext,
    *,
    lfdi: str,
    sfdi: int | None = None,
    pin: int | None = None,
    aggregator_lfdi: str | None = None,
    device_category: str | None = None,
    enabled: bool = True,
) -> EndDeviceRow:
    """Register (or update) an EndDevice out of band, e.g. from an installer's record.

    Parameters
    ----------
    lfdi
        The device certificate's LFDI (40 hex digits).
    sfdi
        Its SFDI; derived from the LFDI when omitted, refused when it does not match.
    pin
        The registration PIN the device checks (CSIP: 5 or 6 digits), served at
        ``/edev/{id}/rg``.
    aggregator_lfdi
        Put the device under this aggregator (created when new), which then sees it.
    device_category
        DeviceCategoryType as hex (e.g. ``"8000"``).

    Raises
    ------
    BadRequestError
        Malformed LFDI, SFDI that does not match, PIN out of range.
    ConflictError
        The device is registered under another aggregator.
    """
    lfdi = _normal_lfdi(lfdi)
    derived = sfdi_of_lfdi(lfdi)
    if sfdi is not None and sfdi != derived:
        raise BadRequestError(f"sFDI {sfdi} does not match the LFDI (expected {derived})")
    if pin is not None and not 0 <= pin <= 999_999:
        raise BadRequestError("a registration PIN has at most 6 digits")
    aggregator_id = None
    if aggregator_lfdi is not None:
        aggregator_id = get_or_create_aggregator(
            session, _normal_lfdi(aggregator_lfdi), now=ctx.now
        ).id
    row = select_end_device_by_lfdi(session, lfdi)
    if row is None:
        row = EndDeviceRow(lfdi=lfdi, sfdi=derived, registered_time=ctx.now, changed_time=ctx.now)
    elif row.aggregator_id is not None and row.aggregator_id != aggregator_id:
        raise ConflictError("the device is registered under another aggregator")
    row.aggregator_id = aggregator_id
    row.registration_pin = pin
    row.device_category = device_category.upper() if device_category else row.device_category
    row.enabled = enabled
    row.changed_time = ctx.now
    add_unique(session, row, conflict="the device was registered concurrently")
    ctx.changes.resource_changed(session, uris.EDEV_LIST)
    session.commit()
    return row
