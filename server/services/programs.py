"""Groups, their members, programs and curves: the 2030.5 structure controls are authored
into (controls and defaults themselves: `openderms.server.services.authoring`).

Every change that a subscriber may care about is reported to ``ctx.changes`` for each
EndDevice that sees it, inside the caller's transaction. Nothing here commits: one
``store.run``/``store.call`` is one transaction, committed when the function returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlmodel import Session

from openderms.server import uris
from openderms.server.changes import notify_all
from openderms.server.errors import BadRequestError, NotFoundError
from openderms.server.scope import ServiceContext
from openderms.server.services import authoring
from openderms.server.services.authoring import (
    ControlSpec,
    DefaultControlSpec,
    DeviceTarget,
    ProgramTarget,
)
from openderms.server.services.ids import new_mrid
from openderms.server.services.unique import add_unique
from openderms.server.store.crud.derp import select_program
from openderms.server.store.crud.end_device import select_end_device_by_id
from openderms.server.store.crud.fsa import add_member, link_program, select_member_ids
from openderms.server.store.models import (
    ControlModeColumns,
    DefaultDERControlRow,
    DERControlRow,
    DERCurveRow,
    DERProgramRow,
    FsaMember,
    FunctionSetAssignmentsRow,
)

__all__ = [
    "ControlModes",
    "assign_devices",
    "cancel_der_control",
    "create_der_control",
    "create_der_control_for_device",
    "create_der_curve",
    "create_group",
    "create_program",
    "remove_devices",
    "set_default_der_control",
]

#: The control modes an author sets; build with keyword arguments, e.g.
#: ``ControlModes(op_mod_exp_lim_w=5000.0)`` (the columns of the mode table).
ControlModes = ControlModeColumns


def _require_program(session: Session, program_id: int) -> DERProgramRow:
    program = select_program(session, program_id)
    if program is None:
        raise NotFoundError(f"no DERProgram {program_id}")
    return program


def create_group(
    session: Session, ctx: ServiceContext, *, description: str = "", mrid: str | None = None
) -> FunctionSetAssignmentsRow:
    """Create an (empty) group, i.e. a FunctionSetAssignments."""
    row = FunctionSetAssignmentsRow(
        mrid=(mrid or new_mrid(ctx.settings.mrid_pen)).upper(),
        description=description[:32],
        created_time=ctx.now,
        changed_time=ctx.now,
    )
    add_unique(session, row, conflict="a group with this mRID exists")
    return row


def _require_group(session: Session, group_id: int) -> FunctionSetAssignmentsRow:
    group = session.get(FunctionSetAssignmentsRow, group_id)
    if group is None:
        raise NotFoundError(f"no group {group_id}")
    return group


def assign_devices(
    session: Session, ctx: ServiceContext, group_id: int, end_device_ids: Iterable[int]
) -> int:
    """Add EndDevices to a group (idempotent); returns how many were added."""
    _require_group(session, group_id)
    added: list[int] = []
    for device_id in end_device_ids:
        if select_end_device_by_id(session, device_id) is None:
            raise NotFoundError(f"no EndDevice {device_id}")
        if add_member(session, group_id, device_id, now=ctx.now):
            added.append(device_id)
    notify_all(ctx.changes, session, (uris.fsa_list(device_id) for device_id in added))
    return len(added)


def remove_devices(
    session: Session, ctx: ServiceContext, group_id: int, end_device_ids: Iterable[int]
) -> int:
    """Remove EndDevices from a group; returns how many were members."""
    _require_group(session, group_id)
    removed: list[int] = []
    for device_id in end_device_ids:
        member = session.get(FsaMember, (group_id, device_id))
        if member is not None:
            session.delete(member)
            removed.append(device_id)
    notify_all(ctx.changes, session, (uris.fsa_list(device_id) for device_id in removed))
    return len(removed)


def create_program(
    session: Session,
    ctx: ServiceContext,
    *,
    primacy: int,
    description: str = "",
    group_ids: Sequence[int] = (),
    mrid: str | None = None,
) -> DERProgramRow:
    """Create a DERProgram (lower primacy wins) listed in the given groups."""
    if not 0 <= primacy <= 255:
        raise BadRequestError("primacy is a UInt8 (PrimacyType)")
    row = DERProgramRow(
        mrid=(mrid or new_mrid(ctx.settings.mrid_pen)).upper(),
        description=description[:32],
        primacy=primacy,
        created_time=ctx.now,
        changed_time=ctx.now,
    )
    add_unique(session, row, conflict="a program with this mRID exists")
    assert row.id is not None
    for group_id in group_ids:
        _link(session, ctx, group_id, row.id)
    return row


def _link(session: Session, ctx: ServiceContext, group_id: int, program_id: int) -> None:
    _require_group(session, group_id)
    if link_program(session, group_id, program_id):
        notify_all(
            ctx.changes,
            session,
            (
                uris.fsa_program_list(device_id, group_id)
                for device_id in select_member_ids(session, group_id)
            ),
        )


def create_der_control(
    session: Session,
    ctx: ServiceContext,
    *,
    program_id: int,
    start_time: int,
    duration_s: int,
    modes: ControlModeColumns,
    description: str = "",
    randomize_start_s: int | None = None,
    randomize_duration_s: int | None = None,
    mrid: str | None = None,
) -> DERControlRow:
    """Schedule a DERControl in a program: `authoring.create_control` in keyword form."""
    spec = ControlSpec(
        start_time=start_time,
        duration_s=duration_s,
        modes=modes,
        description=description,
        randomize_start_s=randomize_start_s,
        randomize_duration_s=randomize_duration_s,
        mrid=mrid,
    )
    return authoring.create_control(session, ctx, ProgramTarget(program_id), spec)


def create_der_control_for_device(
    session: Session,
    ctx: ServiceContext,
    *,
    end_device_id: int,
    start_time: int,
    duration_s: int,
    modes: ControlModeColumns,
    description: str = "",
) -> DERControlRow:
    """Schedule a DERControl for one EndDevice (in its private program)."""
    spec = ControlSpec(
        start_time=start_time, duration_s=duration_s, modes=modes, description=description
    )
    return authoring.create_control(session, ctx, DeviceTarget(end_device_id), spec)


def cancel_der_control(
    session: Session, ctx: ServiceContext, control_id: int, *, randomized: bool = False
) -> DERControlRow:
    """Cancel a control (`authoring.cancel_control`)."""
    return authoring.cancel_control(session, ctx, control_id, randomized=randomized)


def set_default_der_control(
    session: Session,
    ctx: ServiceContext,
    *,
    program_id: int,
    modes: ControlModeColumns,
    description: str = "",
    set_grad_w: int | None = None,
    set_soft_grad_w: int | None = None,
    mrid: str | None = None,
) -> DefaultDERControlRow:
    """Set a program's DefaultDERControl (`authoring.set_default_control`)."""
    spec = DefaultControlSpec(
        modes=modes,
        description=description,
        set_grad_w=set_grad_w,
        set_soft_grad_w=set_soft_grad_w,
        mrid=mrid,
    )
    return authoring.set_default_control(session, ctx, ProgramTarget(program_id), spec)


def create_der_curve(
    session: Session,
    ctx: ServiceContext,
    *,
    program_id: int,
    curve_type: int,
    points: Sequence[tuple[int, int]] | Sequence[tuple[int, int, bool]],
    y_ref_type: int,
    x_multiplier: int = 0,
    y_multiplier: int = 0,
    description: str = "",
) -> DERCurveRow:
    """Add a DERCurve to a program (controls link it by id in ``curve_ids``).

    Parameters
    ----------
    curve_type
        DERCurveType (e.g. 11 opModVoltVar, 13 opModVoltWatt).
    points
        (xvalue, yvalue[, excitation]) as on the wire, scaled by the multipliers; at most
        10 points (sep.xsd CurveData maxOccurs).
    """
    _require_program(session, program_id)
    if not 1 <= len(points) <= 10:
        raise BadRequestError("a DERCurve has 1 to 10 points")
    row = DERCurveRow(
        program_id=program_id,
        mrid=new_mrid(ctx.settings.mrid_pen),
        description=description[:32],
        creation_time=ctx.now,
        curve_type=curve_type,
        x_multiplier=x_multiplier,
        y_multiplier=y_multiplier,
        y_ref_type=y_ref_type,
        points=[list(point) for point in points],
    )
    session.add(row)
    session.flush()
    return row
