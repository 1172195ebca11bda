"""What clients read of the FunctionSetAssignments function set: a device's groups and
the DERProgramList of each."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from openderms.schemas.sep2 import models as sep
from openderms.server import uris
from openderms.server.errors import NotFoundError
from openderms.server.mappers.derp import map_program_list
from openderms.server.mappers.fsa import map_fsa, map_fsa_list
from openderms.server.scope import Scope, ServiceContext
from openderms.server.services.access import require_end_device
from openderms.server.services.derp import der_program_resource
from openderms.server.services.rates import resource_poll_rate_s
from openderms.server.services.rendering import Rendering
from openderms.server.store.crud.fsa import (
    select_fsa_for_end_device,
    select_fsas_for_end_device,
    select_programs_for_fsa,
)
from openderms.server.store.models import FsaProgram
from openderms.server.store.paging import Page

__all__ = ["RENDERINGS", "get_fsa", "list_fsa_programs", "list_fsas"]


def _program_count(session: Session, fsa_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(FsaProgram).where(FsaProgram.fsa_id == fsa_id)
    ).one()


def list_fsas(
    session: Session, ctx: ServiceContext, scope: Scope, end_device_id: int, page: Page
) -> sep.FunctionSetAssignmentsList:
    """The groups of one EndDevice."""
    device = require_end_device(session, scope, end_device_id)
    total, rows = select_fsas_for_end_device(session, end_device_id, page)
    items = [
        map_fsa(row, end_device_id, program_count=_program_count(session, row.id or 0))
        for row in rows
    ]
    return map_fsa_list(
        items,
        total=total,
        href=uris.fsa_list(end_device_id),
        poll_rate_s=resource_poll_rate_s(session, ctx.settings, "fsa", device),
    )


def get_fsa(
    session: Session, scope: Scope, end_device_id: int, fsa_id: int
) -> sep.FunctionSetAssignments:
    require_end_device(session, scope, end_device_id)
    row = select_fsa_for_end_device(session, end_device_id, fsa_id)
    if row is None:
        raise NotFoundError(f"EndDevice {end_device_id} is not in group {fsa_id}")
    return map_fsa(row, end_device_id, program_count=_program_count(session, fsa_id))


def list_fsa_programs(
    session: Session,
    ctx: ServiceContext,
    scope: Scope,
    end_device_id: int,
    fsa_id: int,
    page: Page,
) -> sep.DERProgramList:
    """A group's DERProgramList, in primacy order (lower primacy first)."""
    device = require_end_device(session, scope, end_device_id)
    if select_fsa_for_end_device(session, end_device_id, fsa_id) is None:
        raise NotFoundError(f"EndDevice {end_device_id} is not in group {fsa_id}")
    total, rows = select_programs_for_fsa(session, fsa_id, page)
    return map_program_list(
        [der_program_resource(session, ctx, row, end_device_id) for row in rows],
        total=total,
        href=uris.fsa_program_list(end_device_id, fsa_id),
        poll_rate_s=resource_poll_rate_s(session, ctx.settings, "derp", device),
    )


RENDERINGS: dict[uris.Resource, Rendering] = {
    uris.FSA_LIST: Rendering(lambda s, c, scope, ids, page: list_fsas(s, c, scope, ids[0], page)),
    uris.FSA_PROGRAM_LIST: Rendering(
        lambda s, c, scope, ids, page: list_fsa_programs(s, c, scope, ids[0], ids[1], page)
    ),
}
