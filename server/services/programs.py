"""Authoring: groups, programs, controls, defaults and curves (the admin API calls these).

Every change that a subscriber may care about is reported to ``ctx.changes`` for each
EndDevice that sees it, inside the same transaction, before the commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from openderms.schemas.sep2.control_modes import CURVE_MODES
from openderms.server import uris
from openderms.server.control_modes import check_mode_values
from openderms.server.errors import BadRequestError, ConflictError, NotFoundError
from openderms.server.scope import ServiceContext
from openderms.server.services.changes import notify_all
from openderms.server.services.ids import new_mrid
from openderms.server.services.unique import add_unique
from openderms.server.store.crud.derp import (
    select_latest_creation_time,
    select_live_overlapping_controls,
    select_program,
)
from openderms.server.store.crud.end_device import select_end_device_by_id
from openderms.server.store.crud.fsa import (
    add_member,
    link_program,
    select_device_private_fsa,
    select_end_device_ids_seeing_program,
    select_fsa_ids_linking_program,
    select_member_ids,
    select_programs_for_fsa,
)
from openderms.server.store.models import (
    ControlModeColumns,
    DefaultDERControlRow,
    DERControlRow,
    DERCurveRow,
    DERProgramRow,
    FsaMember,
    FunctionSetAssignmentsRow,
)
from openderms.server.store.paging import Page

__all__ = [
    "ControlModes",
    "assign_devices",
    "cancel_der_control",
    "create_der_control",
    "create_der_control_for_device",
    "create_der_curve",
    "create_group",
    "create_program",
    "device_program",
    "link_program_to_group",
    "remove_devices",
    "set_default_der_control",
    "set_default_der_control_for_device",
]

#: The control modes an author sets; build with keyword arguments, e.g.
#: ``ControlModes(op_mod_exp_lim_w=5000.0)`` (see `ControlModeColumns` for units).
ControlModes = ControlModeColumns

#: OneHourRangeType bounds randomizeStart/randomizeDuration (sep.xsd) [s].
_ONE_HOUR_S = 3600


def _program_hrefs(session: Session, program_id: int, href_of: object) -> list[str]:
    assert callable(href_of)
    return [
        href_of(device_id, program_id)
        for device_id in select_end_device_ids_seeing_program(session, program_id)
    ]


def _control_list_hrefs(session: Session, program_id: int) -> list[str]:
    """The DERControlList and ActiveDERControlList of every EndDevice seeing the program."""
    return _program_hrefs(session, program_id, uris.der_control_list) + _program_hrefs(
        session, program_id, uris.active_der_control_list
    )


def _program_list_hrefs(session: Session, program_id: int) -> list[str]:
    """Every DERProgramList that lists the program (one per group and member).

    A DERProgramList embeds its DERPrograms, whose DERControlListLink carries ``all``: a
    new control changes the list's representation, so its subscribers are notified
    (IEEE 2030.5 §12.8: a Notification carries what a GET would return; issue 11 item 4).
    """
    return [
        uris.fsa_program_list(device_id, group_id)
        for group_id in select_fsa_ids_linking_program(session, program_id)
        for device_id in select_member_ids(session, group_id)
    ]


def _require_program(session: Session, program_id: int) -> DERProgramRow:
    program = select_program(session, program_id)
    if program is None:
        raise NotFoundError(f"no DERProgram {program_id}")
    return program


def _check_modes(modes: ControlModeColumns, session: Session, program_id: int) -> None:
    for mode, curve_id in modes.curve_ids.items():
        if mode not in CURVE_MODES:
            raise BadRequestError(f"{mode} is not a curve mode of DERControlBase")
        curve = session.get(DERCurveRow, curve_id)
        if curve is None or curve.program_id != program_id:
            raise BadRequestError(f"{mode}: no DERCurve {curve_id} in program {program_id}")
    check_mode_values(modes.model_dump())


def create_group(
    session: Session, ctx: ServiceContext, *, description: str = "", mrid: str | None = None
) -> FunctionSetAssignmentsRow:
    """Create an (empty) group, i.e. a FunctionSetAssignments, and commit."""
    row = FunctionSetAssignmentsRow(
        mrid=(mrid or new_mrid(ctx.settings.mrid_pen)).upper(),
        description=description[:32],
        created_time=ctx.now,
        changed_time=ctx.now,
    )
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ConflictError("a group with this mRID exists") from None
    return row


def _require_group(session: Session, group_id: int) -> FunctionSetAssignmentsRow:
    group = session.get(FunctionSetAssignmentsRow, group_id)
    if group is None:
        raise NotFoundError(f"no group {group_id}")
    return group


def assign_devices(
    session: Session, ctx: ServiceContext, group_id: int, end_device_ids: Iterable[int]
) -> int:
    """Add EndDevices to a group (idempotent); returns how many were added. Commits."""
    _require_group(session, group_id)
    added: list[int] = []
    for device_id in end_device_ids:
        if select_end_device_by_id(session, device_id) is None:
            raise NotFoundError(f"no EndDevice {device_id}")
        if add_member(session, group_id, device_id, now=ctx.now):
            added.append(device_id)
    notify_all(ctx.changes, session, (uris.fsa_list(device_id) for device_id in added))
    session.commit()
    return len(added)


def remove_devices(
    session: Session, ctx: ServiceContext, group_id: int, end_device_ids: Iterable[int]
) -> int:
    """Remove EndDevices from a group; returns how many were members. Commits."""
    _require_group(session, group_id)
    removed: list[int] = []
    for device_id in end_device_ids:
        member = session.get(FsaMember, (group_id, device_id))
        if member is not None:
            session.delete(member)
            removed.append(device_id)
    notify_all(ctx.changes, session, (uris.fsa_list(device_id) for device_id in removed))
    session.commit()
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
    """Create a DERProgram (lower primacy wins) listed in the given groups. Commits."""
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
    session.commit()
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


def link_program_to_group(
    session: Session, ctx: ServiceContext, group_id: int, program_id: int
) -> None:
    """List a program in a group's DERProgramList (idempotent). Commits."""
    _require_program(session, program_id)
    _link(session, ctx, group_id, program_id)
    session.commit()


def device_program(session: Session, ctx: ServiceContext, end_device_id: int) -> DERProgramRow:
    """The private program of one EndDevice (made with its private group when absent).

    Controls aimed at a single device go here; its primacy is
    ``settings.device_program_primacy``. Does not commit.
    """
    if select_end_device_by_id(session, end_device_id) is None:
        raise NotFoundError(f"no EndDevice {end_device_id}")
    group = select_device_private_fsa(session, end_device_id)
    if group is None:
        group = FunctionSetAssignmentsRow(
            mrid=new_mrid(ctx.settings.mrid_pen),
            description=f"device {end_device_id}"[:32],
            end_device_id=end_device_id,
            created_time=ctx.now,
            changed_time=ctx.now,
        )
        session.add(group)
        session.flush()
        assert group.id is not None
        add_member(session, group.id, end_device_id, now=ctx.now)
        ctx.changes.resource_changed(session, uris.fsa_list(end_device_id))
    assert group.id is not None
    _, programs = select_programs_for_fsa(session, group.id, Page(limit=1))
    if programs:
        return programs[0]
    program = DERProgramRow(
        mrid=new_mrid(ctx.settings.mrid_pen),
        description=f"device {end_device_id}"[:32],
        primacy=ctx.settings.device_program_primacy,
        created_time=ctx.now,
        changed_time=ctx.now,
    )
    session.add(program)
    session.flush()
    assert program.id is not None
    _link(session, ctx, group.id, program.id)
    return program


def _next_creation_time(session: Session, program_id: int, now: int) -> int:
    """``now``, or one second after the program's newest control if that is not later.

    Clients order overlapping events of a program by creationTime (IEEE 2030.5 §10.10.3.3),
    and TimeType has whole seconds: two controls made in the same second would leave every
    client to break the tie its own way. Keeping creationTime strictly increasing within a
    program makes the newest control the newest for everyone.
    """
    latest = select_latest_creation_time(session, program_id)
    return now if latest is None or latest < now else latest + 1


def _insert_control(
    session: Session,
    ctx: ServiceContext,
    program_id: int,
    *,
    start_time: int,
    duration_s: int,
    modes: ControlModeColumns,
    description: str,
    randomize_start_s: int | None,
    randomize_duration_s: int | None,
    mrid: str | None,
) -> DERControlRow:
    if duration_s <= 0:
        raise BadRequestError("a DERControl lasts a positive number of seconds")
    for name, value in (
        ("randomize_start_s", randomize_start_s),
        ("randomize_duration_s", randomize_duration_s),
    ):
        if value is not None and not -_ONE_HOUR_S <= value <= _ONE_HOUR_S:
            raise BadRequestError(f"{name} is within one hour (OneHourRangeType)")
    _check_modes(modes, session, program_id)
    row = DERControlRow(
        program_id=program_id,
        mrid=(mrid or new_mrid(ctx.settings.mrid_pen)).upper(),
        description=description[:32],
        creation_time=_next_creation_time(session, program_id, ctx.now),
        start_time=start_time,
        duration_s=duration_s,
        randomize_start_s=randomize_start_s,
        randomize_duration_s=randomize_duration_s,
        **modes.model_dump(),
    )
    # Overlapping events in one program: the newer one supersedes the older ones
    # (IEEE 2030.5 §10.10.3.3; the later creationTime wins).
    end_time = start_time + duration_s
    older = select_live_overlapping_controls(
        session, program_id, start=start_time, end=end_time, now=ctx.now
    )
    add_unique(session, row, conflict="a DERControl with this mRID exists")
    for previous in older:
        previous.superseded_time = ctx.now
        previous.superseded_by_id = row.id
        session.add(previous)
    notify_all(
        ctx.changes,
        session,
        _control_list_hrefs(session, program_id) + _program_list_hrefs(session, program_id),
    )
    session.commit()
    return row


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
    """Schedule a DERControl in a program (every group linking it sees it). Commits.

    Parameters
    ----------
    start_time
        interval.start [s since the epoch].
    duration_s
        interval.duration [s].
    modes
        The DERControlBase modes (`ControlModes`).
    randomize_start_s, randomize_duration_s
        randomizeStart / randomizeDuration [s], within ±3600.

    Notes
    -----
    Older live controls of the same program that overlap this one become superseded.
    """
    _require_program(session, program_id)
    return _insert_control(
        session,
        ctx,
        program_id,
        start_time=start_time,
        duration_s=duration_s,
        modes=modes,
        description=description,
        randomize_start_s=randomize_start_s,
        randomize_duration_s=randomize_duration_s,
        mrid=mrid,
    )


def create_der_control_for_device(
    session: Session,
    ctx: ServiceContext,
    *,
    end_device_id: int,
    start_time: int,
    duration_s: int,
    modes: ControlModeColumns,
    description: str = "",
    randomize_start_s: int | None = None,
    randomize_duration_s: int | None = None,
    mrid: str | None = None,
) -> DERControlRow:
    """Schedule a DERControl for one EndDevice (in its private program). Commits."""
    program = device_program(session, ctx, end_device_id)
    assert program.id is not None
    return _insert_control(
        session,
        ctx,
        program.id,
        start_time=start_time,
        duration_s=duration_s,
        modes=modes,
        description=description,
        randomize_start_s=randomize_start_s,
        randomize_duration_s=randomize_duration_s,
        mrid=mrid,
    )


def cancel_der_control(
    session: Session, ctx: ServiceContext, control_id: int, *, randomized: bool = False
) -> DERControlRow:
    """Cancel a control; it stays listed with EventStatus Cancelled (2, or 3). Commits.

    Cancelling twice keeps the first cancellation time.
    """
    row = session.get(DERControlRow, control_id)
    if row is None:
        raise NotFoundError(f"no DERControl {control_id}")
    if row.cancelled_time is None:
        row.cancelled_time = ctx.now
        row.cancel_randomized = randomized
        session.add(row)
        notify_all(ctx.changes, session, _control_list_hrefs(session, row.program_id))
        session.commit()
    return row


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
    """Set a program's DefaultDERControl (a new row; earlier ones stay as history). Commits.

    Parameters
    ----------
    set_grad_w
        setGradW: ramp rate for changes of the default [hundredths of % of max W per s].
    """
    _require_program(session, program_id)
    _check_modes(modes, session, program_id)
    row = DefaultDERControlRow(
        program_id=program_id,
        mrid=(mrid or new_mrid(ctx.settings.mrid_pen)).upper(),
        description=description[:32],
        created_time=ctx.now,
        set_grad_w=set_grad_w,
        set_soft_grad_w=set_soft_grad_w,
        **modes.model_dump(),
    )
    add_unique(session, row, conflict="a DefaultDERControl with this mRID exists")
    notify_all(ctx.changes, session, _program_hrefs(session, program_id, uris.default_der_control))
    session.commit()
    return row


def set_default_der_control_for_device(
    session: Session,
    ctx: ServiceContext,
    *,
    end_device_id: int,
    modes: ControlModeColumns,
    description: str = "",
    set_grad_w: int | None = None,
) -> DefaultDERControlRow:
    """Set the DefaultDERControl of one EndDevice's private program. Commits."""
    program = device_program(session, ctx, end_device_id)
    assert program.id is not None
    return set_default_der_control(
        session,
        ctx,
        program_id=program.id,
        modes=modes,
        description=description,
        set_grad_w=set_grad_w,
    )


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
    """Add a DERCurve to a program (controls link it by id in ``curve_ids``). Commits.

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
    session.commit()
    return row
