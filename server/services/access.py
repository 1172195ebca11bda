"""Access rules shared by the services: what a certificate may read and write.

A device sees only its own EndDevice and what its FunctionSetAssignments link; an
aggregator sees the EndDevices registered under it (IEEE 2030.5 §6.4, CSIP §5.2.1).
Anything else looks absent (404), so a client cannot probe others' resources.
"""

from __future__ import annotations

from sqlmodel import Session

from openderms.server.errors import ForbiddenError, NotFoundError
from openderms.server.scope import Scope
from openderms.server.store.crud.end_device import select_end_device_for_scope
from openderms.server.store.crud.fsa import select_device_and_program_for_scope
from openderms.server.store.models import DERProgramRow, EndDeviceRow

__all__ = ["require_end_device", "require_program"]


def require_end_device(session: Session, scope: Scope, end_device_id: int) -> EndDeviceRow:
    """The EndDevice if `scope` may see it.

    Raises
    ------
    NotFoundError
        No such device, or not the caller's.
    """
    row = select_end_device_for_scope(session, scope, end_device_id)
    if row is None:
        raise NotFoundError(f"no EndDevice {end_device_id} for this certificate")
    _require_enabled(row)
    return row


def _require_enabled(row: EndDeviceRow) -> None:
    # The utility disabled this client (admin setDeviceAccess, issue 11 item 17): its
    # EndDevice still lists (with enabled=false, so it can tell), nothing under it answers.
    if not row.enabled:
        raise ForbiddenError("this EndDevice is disabled by the utility")


def require_program(
    session: Session, scope: Scope, end_device_id: int, program_id: int
) -> tuple[EndDeviceRow, DERProgramRow]:
    """The device and program, if `scope` sees the device and one of its groups links it."""
    found = select_device_and_program_for_scope(session, scope, end_device_id, program_id)
    if found is None:
        raise NotFoundError(f"no DERProgram {program_id} for EndDevice {end_device_id}")
    _require_enabled(found[0])
    return found
