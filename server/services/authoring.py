"""The one authoring service: typed control and default specs for a group, a program or a
device, checked once, stored once and handed to a publisher per protocol.

Every author (admin API, dashboard, scripts) comes through here. The rules live here and
nowhere else: a control lasts a positive time and does not end before now, randomization
is within ±1 h (OneHourRangeType), percentages are percentages and curves belong to the
program (`openderms.server.control_modes.check_mode_values`), creationTime increases
strictly within a program and a newer overlapping control supersedes older ones (IEEE
2030.5 §10.10.3.3), an ended control cannot be cancelled, and an aggregator reaches only
its devices' private programs, never a shared group's, and none that a device outside its
fleet sees (counted in the database: `openderms.server.store.crud.fsa.program_reach_in_scope`).

The stored rows (DERProgram, DERControl, DefaultDERControl) are the record of what was
authored; each `Publisher` then says it in its protocol: `Sep2Publisher` reports the
2030.5 lists that changed to the notification outbox, and an OpenADR publisher can sit
beside it in `PUBLISHERS`. Nothing here commits: the caller's transaction (one
``store.run``, which commits when it returns) holds the change, the publishers' outbox rows
and the admin API's audit row together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlmodel import Session, col, select

from openderms.schemas.sep2.control_modes import CURVE_MODES
from openderms.server import uris
from openderms.server.changes import notify_all
from openderms.server.control_modes import check_mode_values
from openderms.server.errors import BadRequestError, ConflictError, NotFoundError
from openderms.server.scope import ServiceContext
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
    program_reach_in_scope,
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
    FsaProgram,
    FunctionSetAssignmentsRow,
)
from openderms.server.store.paging import Page

__all__ = [
    "PUBLISHERS",
    "ControlSpec",
    "DefaultControlSpec",
    "DeviceTarget",
    "GroupTarget",
    "ProgramTarget",
    "Publisher",
    "Sep2Publisher",
    "Target",
    "cancel_control",
    "create_control",
    "device_program",
    "program_of",
    "resolve_program",
    "set_default_control",
]

#: OneHourRangeType bounds randomizeStart/randomizeDuration (sep.xsd) [s].
_ONE_HOUR_S = 3600


@dataclass(frozen=True, slots=True)
class ProgramTarget:
    """Every device that sees this DERProgram."""

    program_id: int


@dataclass(frozen=True, slots=True)
class GroupTarget:
    """A group's program: ``program_id`` names one of its programs; without, it has one."""

    group_id: int
    program_id: int | None = None


@dataclass(frozen=True, slots=True)
class DeviceTarget:
    """One EndDevice, through its private program (made on first use)."""

    end_device_id: int


Target = ProgramTarget | GroupTarget | DeviceTarget


@dataclass(frozen=True, slots=True)
class ControlSpec:
    """A DERControl event to schedule.

    Attributes
    ----------
    start_time : int
        interval.start [s since the epoch].
    duration_s : int
        interval.duration [s].
    modes : ControlModeColumns
        The mode values, built from the mode table (e.g. ``ControlModeColumns(
        op_mod_exp_lim_w=5000.0)``), curve links in ``curve_ids``.
    randomize_start_s, randomize_duration_s : int or None
        randomizeStart / randomizeDuration [s], within ±3600.
    """

    start_time: int
    duration_s: int
    modes: ControlModeColumns
    description: str = ""
    randomize_start_s: int | None = None
    randomize_duration_s: int | None = None
    mrid: str | None = None


@dataclass(frozen=True, slots=True)
class DefaultControlSpec:
    """A DefaultDERControl: what applies when no event is active.

    Attributes
    ----------
    set_grad_w, set_soft_grad_w : int or None
        setGradW / setSoftGradW: ramp rates [hundredths of a percent of max W per s].
    """

    modes: ControlModeColumns
    description: str = ""
    set_grad_w: int | None = None
    set_soft_grad_w: int | None = None
    mrid: str | None = None


class Publisher(Protocol):
    """Says authored controls in one protocol, inside the author's transaction."""

    def control_published(
        self, session: Session, ctx: ServiceContext, control: DERControlRow
    ) -> None:
        """A control was scheduled (older overlapping ones of its program superseded)."""
        ...

    def control_cancelled(
        self, session: Session, ctx: ServiceContext, control: DERControlRow
    ) -> None: ...

    def default_published(
        self, session: Session, ctx: ServiceContext, default: DefaultDERControlRow
    ) -> None: ...


def _hrefs_of_program(
    session: Session, program_id: int, *href_of: Callable[[int, int], str]
) -> list[str]:
    devices = select_end_device_ids_seeing_program(session, program_id)
    return [href(device_id, program_id) for href in href_of for device_id in devices]


class Sep2Publisher:
    """IEEE 2030.5: the rows are served as they are; tell subscribers which lists changed
    (DERControlList and ActiveDERControlList, DefaultDERControl) of every device seeing the
    program (§12.8)."""

    def control_published(
        self, session: Session, ctx: ServiceContext, control: DERControlRow
    ) -> None:
        self._control_lists_changed(session, ctx, control.program_id)
        # A DERProgramList embeds its DERPrograms, whose DERControlListLink carries ``all``:
        # a new control changes the list's representation (§12.8; issue 11 item 4).
        hrefs = [
            uris.fsa_program_list(device_id, group_id)
            for group_id in select_fsa_ids_linking_program(session, control.program_id)
            for device_id in select_member_ids(session, group_id)
        ]
        notify_all(ctx.changes, session, hrefs)

    def control_cancelled(
        self, session: Session, ctx: ServiceContext, control: DERControlRow
    ) -> None:
        self._control_lists_changed(session, ctx, control.program_id)

    def default_published(
        self, session: Session, ctx: ServiceContext, default: DefaultDERControlRow
    ) -> None:
        hrefs = _hrefs_of_program(session, default.program_id, uris.default_der_control)
        notify_all(ctx.changes, session, hrefs)

    @staticmethod
    def _control_lists_changed(session: Session, ctx: ServiceContext, program_id: int) -> None:
        hrefs = _hrefs_of_program(
            session, program_id, uris.der_control_list, uris.active_der_control_list
        )
        notify_all(ctx.changes, session, hrefs)


#: The protocols every authored control is published in.
PUBLISHERS: tuple[Publisher, ...] = (Sep2Publisher(),)


# --- targets and scope --------------------------------------------------------------


def _require_program(session: Session, program_id: int) -> DERProgramRow:
    program = select_program(session, program_id)
    if program is None:
        raise NotFoundError(f"no DERProgram {program_id}")
    return program


def device_program(session: Session, ctx: ServiceContext, end_device_id: int) -> DERProgramRow:
    """The private program of one EndDevice (made with its private group when absent).

    Controls aimed at a single device go here; its primacy is
    ``settings.device_program_primacy``.
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
    link_program(session, group.id, program.id)
    # The device is the private group's only member.
    ctx.changes.resource_changed(session, uris.fsa_program_list(end_device_id, group.id))
    return program


def _check_reach(session: Session, program: DERProgramRow, aggregator_id: int | None) -> None:
    """An aggregator reaches only device programs: listed in no shared group (those are the
    utility's, even when every member is the aggregator's), seen by devices, all its own."""
    if aggregator_id is None:
        return
    assert program.id is not None
    reach = program_reach_in_scope(session, program.id, aggregator_id=aggregator_id)
    if reach.shared_groups > 0 or reach.inside == 0 or reach.outside > 0:
        raise NotFoundError(f"no DERProgram {program.id}")


def _group_program(session: Session, target: GroupTarget) -> DERProgramRow:
    group = session.get(FunctionSetAssignmentsRow, target.group_id)
    if group is None or group.end_device_id is not None:
        raise NotFoundError(f"no group {target.group_id}")
    linked = list(
        session.exec(
            select(FsaProgram.program_id)
            .where(FsaProgram.fsa_id == target.group_id)
            .order_by(col(FsaProgram.program_id))
        ).all()
    )
    if target.program_id is not None:
        if target.program_id not in linked:
            raise BadRequestError(
                f"DERProgram {target.program_id} is not listed in group {target.group_id}"
            )
        return _require_program(session, target.program_id)
    if len(linked) != 1:
        raise ConflictError(
            f"group {target.group_id} lists {len(linked)} programs; say which with program_id"
        )
    return _require_program(session, linked[0])


def resolve_program(
    session: Session, ctx: ServiceContext, target: Target, *, aggregator_id: int | None = None
) -> DERProgramRow:
    """The DERProgram a control for ``target`` goes to, within the author's scope.

    Parameters
    ----------
    aggregator_id
        The author's device scope: None for a utility (every device).

    Raises
    ------
    NotFoundError
        No such program, group or device, or not in the author's scope.
    """
    if isinstance(target, DeviceTarget):
        device = select_end_device_by_id(session, target.end_device_id)
        if device is None or (aggregator_id is not None and device.aggregator_id != aggregator_id):
            raise NotFoundError(f"no EndDevice {target.end_device_id}")
        return device_program(session, ctx, target.end_device_id)
    return program_of(session, target, aggregator_id=aggregator_id)


def program_of(
    session: Session,
    target: ProgramTarget | GroupTarget,
    *,
    aggregator_id: int | None = None,
) -> DERProgramRow:
    """The existing program of a program or group target, within the author's scope
    (reads only; a device target's private program may not exist yet)."""
    if isinstance(target, GroupTarget):
        program = _group_program(session, target)
    else:
        program = _require_program(session, target.program_id)
    _check_reach(session, program, aggregator_id)
    return program


# --- rules ----------------------------------------------------------------------------


def _check_modes(modes: ControlModeColumns, session: Session, program_id: int) -> None:
    for mode, curve_id in modes.curve_ids.items():
        if mode not in CURVE_MODES:
            raise BadRequestError(f"{mode} is not a curve mode of DERControlBase")
        curve = session.get(DERCurveRow, curve_id)
        if curve is None or curve.program_id != program_id:
            raise BadRequestError(f"{mode}: no DERCurve {curve_id} in program {program_id}")
    check_mode_values(modes.model_dump())


def _check_control(spec: ControlSpec, now: int) -> None:
    if spec.duration_s <= 0:
        raise BadRequestError("a DERControl lasts a positive number of seconds")
    if spec.start_time + spec.duration_s <= now:
        raise BadRequestError("the control would end before now")
    for name, value in (
        ("randomize_start_s", spec.randomize_start_s),
        ("randomize_duration_s", spec.randomize_duration_s),
    ):
        if value is not None and not -_ONE_HOUR_S <= value <= _ONE_HOUR_S:
            raise BadRequestError(f"{name} is within one hour (OneHourRangeType)")


def _next_creation_time(session: Session, program_id: int, now: int) -> int:
    """``now``, or one second after the program's newest control if that is not later.

    Clients order overlapping events of a program by creationTime (IEEE 2030.5 §10.10.3.3),
    and TimeType has whole seconds: two controls made in the same second would leave every
    client to break the tie its own way. Keeping creationTime strictly increasing within a
    program makes the newest control the newest for everyone.
    """
    latest = select_latest_creation_time(session, program_id)
    return now if latest is None or latest < now else latest + 1


# --- authoring ------------------------------------------------------------------------


def create_control(
    session: Session,
    ctx: ServiceContext,
    target: Target,
    spec: ControlSpec,
    *,
    aggregator_id: int | None = None,
    publishers: Sequence[Publisher] = PUBLISHERS,
) -> DERControlRow:
    """Schedule a DERControl for ``target`` and publish it. Does not commit.

    Older live controls of the same program that overlap it become superseded.

    Raises
    ------
    BadRequestError
        The spec breaks a rule (see the module docstring).
    NotFoundError
        The target is not in the author's scope.
    ConflictError
        The mRID is taken.
    """
    program = resolve_program(session, ctx, target, aggregator_id=aggregator_id)
    assert program.id is not None
    _check_control(spec, ctx.now)
    _check_modes(spec.modes, session, program.id)
    row = DERControlRow(
        program_id=program.id,
        mrid=(spec.mrid or new_mrid(ctx.settings.mrid_pen)).upper(),
        description=spec.description[:32],
        creation_time=_next_creation_time(session, program.id, ctx.now),
        start_time=spec.start_time,
        duration_s=spec.duration_s,
        randomize_start_s=spec.randomize_start_s,
        randomize_duration_s=spec.randomize_duration_s,
        **spec.modes.model_dump(),
    )
    # Overlapping events in one program: the newer one supersedes the older ones
    # (IEEE 2030.5 §10.10.3.3; the later creationTime wins).
    older = select_live_overlapping_controls(
        session,
        program.id,
        start=spec.start_time,
        end=spec.start_time + spec.duration_s,
        now=ctx.now,
    )
    add_unique(session, row, conflict="a DERControl with this mRID exists")
    for previous in older:
        previous.superseded_time = ctx.now
        previous.superseded_by_id = row.id
        session.add(previous)
    for publisher in publishers:
        publisher.control_published(session, ctx, row)
    return row


def set_default_control(
    session: Session,
    ctx: ServiceContext,
    target: Target,
    spec: DefaultControlSpec,
    *,
    aggregator_id: int | None = None,
    publishers: Sequence[Publisher] = PUBLISHERS,
) -> DefaultDERControlRow:
    """Set the DefaultDERControl of ``target``'s program (a new row; earlier ones stay as
    history, the latest applies) and publish it. Does not commit."""
    program = resolve_program(session, ctx, target, aggregator_id=aggregator_id)
    assert program.id is not None
    _check_modes(spec.modes, session, program.id)
    row = DefaultDERControlRow(
        program_id=program.id,
        mrid=(spec.mrid or new_mrid(ctx.settings.mrid_pen)).upper(),
        description=spec.description[:32],
        created_time=ctx.now,
        set_grad_w=spec.set_grad_w,
        set_soft_grad_w=spec.set_soft_grad_w,
        **spec.modes.model_dump(),
    )
    add_unique(session, row, conflict="a DefaultDERControl with this mRID exists")
    for publisher in publishers:
        publisher.default_published(session, ctx, row)
    return row


def cancel_control(
    session: Session,
    ctx: ServiceContext,
    control_id: int,
    *,
    randomized: bool = False,
    aggregator_id: int | None = None,
    publishers: Sequence[Publisher] = PUBLISHERS,
) -> DERControlRow:
    """Cancel a control; it stays listed with EventStatus cancelled (2, or 3 with
    randomization; 2030.5 §12.1.3). Cancelling twice keeps the first time. Does not commit.

    Raises
    ------
    NotFoundError
        No such control, or the author does not reach its program.
    ConflictError
        It has ended already.
    """
    row = session.get(DERControlRow, control_id)
    if row is None:
        raise NotFoundError(f"no DERControl {control_id}")
    try:
        _check_reach(session, _require_program(session, row.program_id), aggregator_id)
    except NotFoundError:
        raise NotFoundError(f"no DERControl {control_id}") from None
    if row.start_time + row.duration_s <= ctx.now:
        raise ConflictError(f"DERControl {control_id} has ended")
    if row.cancelled_time is None:
        row.cancelled_time = ctx.now
        row.cancel_randomized = randomized
        session.add(row)
        for publisher in publishers:
            publisher.control_cancelled(session, ctx, row)
    return row
