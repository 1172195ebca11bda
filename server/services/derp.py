"""What clients read of groups and programs: FSAs, DERPrograms, DERControls, curves."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.codec import encode
from openderms.server.errors import NotFoundError
from openderms.server.mappers.derp import (
    map_control,
    map_control_list,
    map_curve,
    map_curve_list,
    map_default_control,
    map_empty_default_control,
    map_program,
    map_program_list,
)
from openderms.server.mappers.end_device import map_fsa, map_fsa_list
from openderms.server.scope import Scope, ServiceContext
from openderms.server.sep2 import uris
from openderms.server.sep2.paging import Page
from openderms.server.sep2.poll_cache import ControlListSnapshot
from openderms.server.services.access import require_end_device, require_program
from openderms.server.services.ids import derived_mrid
from openderms.server.services.rates import resource_poll_rate_s
from openderms.server.store.crud.derp import (
    select_active_controls,
    select_control,
    select_control_times,
    select_controls,
    select_controls_version,
    select_curve,
    select_curves,
    select_latest_default_control,
)
from openderms.server.store.crud.fsa import (
    select_fsa_for_end_device,
    select_fsas_for_end_device,
    select_programs_for_fsa,
)
from openderms.server.store.models import DERControlRow, DERProgramRow, FsaProgram

#: How long a cached DERControlList with no upcoming start or end stays valid [s].
_IDLE_LIST_VALID_S = 3600

__all__ = [
    "der_control_list_snapshot",
    "der_control_list_version",
    "get_default_der_control",
    "get_der_control",
    "get_der_curve",
    "get_der_program",
    "get_fsa",
    "list_active_der_controls",
    "list_der_controls",
    "list_der_curves",
    "list_fsa_programs",
    "list_fsas",
]


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


def _program(
    session: Session, ctx: ServiceContext, row: DERProgramRow, end_device_id: int
) -> sep.DERProgram:
    assert row.id is not None
    count, _ = select_controls(
        session,
        row.id,
        ended_after=ctx.now - ctx.settings.control_retention_s,
        now=ctx.now,
        page=Page(limit=0),
    )
    return map_program(row, end_device_id, control_count=count)


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
        [_program(session, ctx, row, end_device_id) for row in rows],
        total=total,
        href=uris.fsa_program_list(end_device_id, fsa_id),
        poll_rate_s=resource_poll_rate_s(session, ctx.settings, "derp", device),
    )


def get_der_program(
    session: Session, ctx: ServiceContext, scope: Scope, end_device_id: int, program_id: int
) -> sep.DERProgram:
    _, program = require_program(session, scope, end_device_id, program_id)
    return _program(session, ctx, program, end_device_id)


def list_der_controls(
    session: Session,
    ctx: ServiceContext,
    scope: Scope,
    end_device_id: int,
    program_id: int,
    page: Page,
) -> sep.DERControlList:
    """A program's DERControlList at ``ctx.now``: scheduled and active controls until their
    end, cancelled and superseded ones (with their EventStatus) until they have ended for
    longer than ``control_retention_s``. Ended controls stay in the database (history)."""
    require_program(session, scope, end_device_id, program_id)
    total, rows = select_controls(
        session,
        program_id,
        ended_after=ctx.now - ctx.settings.control_retention_s,
        now=ctx.now,
        page=page,
    )
    return map_control_list(
        rows,
        total=total,
        href=uris.der_control_list(end_device_id, program_id),
        end_device_id=end_device_id,
        now=ctx.now,
    )


def der_control_list_version(
    session: Session, scope: Scope, end_device_id: int, program_id: int
) -> tuple[int, ...]:
    """The access check of a DERControlList poll plus the program's control version."""
    require_program(session, scope, end_device_id, program_id)
    return select_controls_version(session, program_id)


def der_control_list_snapshot(
    session: Session,
    ctx: ServiceContext,
    scope: Scope,
    end_device_id: int,
    program_id: int,
    page: Page,
) -> ControlListSnapshot:
    """`list_der_controls` encoded, with the version and validity a cache needs.

    The version is read before the rows: a change between the two makes the snapshot
    look older than it is (a later poll rebuilds it), never newer.
    """
    version = der_control_list_version(session, scope, end_device_id, program_id)
    document = list_der_controls(session, ctx, scope, end_device_id, program_id, page)
    retention_s = ctx.settings.control_retention_s
    # The list changes with time alone when a control starts (EventStatus 0 -> 1), ends,
    # or (cancelled or superseded) leaves the list after its retention.
    transitions = [
        moment
        for start, end in select_control_times(
            session, program_id, ended_after=ctx.now - retention_s
        )
        for moment in (start, end, end + retention_s)
        if moment > ctx.now
    ]
    return ControlListSnapshot(
        version=version,
        body=encode(document),
        # Nothing changes with time alone: valid until the version moves (checked per hit).
        valid_until=min(transitions, default=ctx.now + _IDLE_LIST_VALID_S),
    )


def list_active_der_controls(
    session: Session,
    ctx: ServiceContext,
    scope: Scope,
    end_device_id: int,
    program_id: int,
    page: Page,
) -> sep.DERControlList:
    """The ActiveDERControlList: controls running at ``ctx.now``."""
    require_program(session, scope, end_device_id, program_id)
    rows: list[DERControlRow] = [
        row
        for row in select_active_controls(session, program_id, now=ctx.now)
        # ``a`` as on the DERControlList: controls starting after it (IEEE 2030.5 §5.5).
        if page.after is None or row.start_time > page.after
    ]
    shown = rows[page.start : page.start + page.limit]
    return map_control_list(
        shown,
        total=len(rows),
        href=uris.active_der_control_list(end_device_id, program_id),
        end_device_id=end_device_id,
        now=ctx.now,
    )


def get_der_control(
    session: Session,
    ctx: ServiceContext,
    scope: Scope,
    end_device_id: int,
    program_id: int,
    control_id: int,
) -> sep.DERControl:
    require_program(session, scope, end_device_id, program_id)
    row = select_control(session, program_id, control_id)
    if row is None:
        raise NotFoundError(f"no DERControl {control_id} in program {program_id}")
    return map_control(row, end_device_id, ctx.now)


def get_default_der_control(
    session: Session, ctx: ServiceContext, scope: Scope, end_device_id: int, program_id: int
) -> sep.DefaultDERControl:
    """The program's DefaultDERControl; an empty one until the utility sets one."""
    _, program = require_program(session, scope, end_device_id, program_id)
    row = select_latest_default_control(session, program_id)
    if row is None:
        mrid = derived_mrid(f"dderc:{program.mrid}", ctx.settings.mrid_pen)
        return map_empty_default_control(program_id, mrid, end_device_id)
    return map_default_control(row, end_device_id)


def list_der_curves(
    session: Session, scope: Scope, end_device_id: int, program_id: int, page: Page
) -> sep.DERCurveList:
    require_program(session, scope, end_device_id, program_id)
    total, rows = select_curves(session, program_id, page)
    return map_curve_list(
        rows,
        total=total,
        href=uris.der_curve_list(end_device_id, program_id),
        end_device_id=end_device_id,
    )


def get_der_curve(
    session: Session, scope: Scope, end_device_id: int, program_id: int, curve_id: int
) -> sep.DERCurve:
    require_program(session, scope, end_device_id, program_id)
    row = select_curve(session, program_id, curve_id)
    if row is None:
        raise NotFoundError(f"no DERCurve {curve_id} in program {program_id}")
    return map_curve(row, end_device_id)
