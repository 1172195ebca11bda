"""Queries on groups (FunctionSetAssignments), their members and their programs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, or_
from sqlmodel import Session, col, select

from openderms.server.scope import Scope
from openderms.server.store.models import (
    Aggregator,
    DERProgramRow,
    EndDeviceRow,
    FsaMember,
    FsaProgram,
    FunctionSetAssignmentsRow,
)
from openderms.server.store.paging import Page

__all__ = [
    "ProgramReach",
    "add_member",
    "end_device_sees_program",
    "link_program",
    "program_reach_in_scope",
    "select_device_and_program_for_scope",
    "select_device_private_fsa",
    "select_end_device_ids_seeing_program",
    "select_fsa_for_end_device",
    "select_fsa_ids_linking_program",
    "select_fsas_for_end_device",
    "select_member_ids",
    "select_programs_for_fsa",
]


def select_fsas_for_end_device(
    session: Session, end_device_id: int, page: Page
) -> tuple[int, Sequence[FunctionSetAssignmentsRow]]:
    """(count, page) of the groups `end_device_id` belongs to, by id."""
    where = col(FunctionSetAssignmentsRow.id).in_(
        select(FsaMember.fsa_id).where(FsaMember.end_device_id == end_device_id)
    )
    total = session.exec(
        select(func.count()).select_from(FunctionSetAssignmentsRow).where(where)
    ).one()
    rows = session.exec(
        select(FunctionSetAssignmentsRow)
        .where(where)
        .order_by(col(FunctionSetAssignmentsRow.id))
        .offset(page.start)
        .limit(page.limit)
    ).all()
    return total, rows


def select_fsa_for_end_device(
    session: Session, end_device_id: int, fsa_id: int
) -> FunctionSetAssignmentsRow | None:
    """Group `fsa_id` if `end_device_id` is a member of it."""
    return session.exec(
        select(FunctionSetAssignmentsRow)
        .join(FsaMember, col(FsaMember.fsa_id) == col(FunctionSetAssignmentsRow.id))
        .where(FsaMember.end_device_id == end_device_id, FunctionSetAssignmentsRow.id == fsa_id)
    ).first()


def select_device_private_fsa(
    session: Session, end_device_id: int
) -> FunctionSetAssignmentsRow | None:
    """The private group made for controls that target this single device, if any."""
    return session.exec(
        select(FunctionSetAssignmentsRow).where(
            FunctionSetAssignmentsRow.end_device_id == end_device_id
        )
    ).first()


def select_programs_for_fsa(
    session: Session, fsa_id: int, page: Page
) -> tuple[int, Sequence[DERProgramRow]]:
    """(count, page) of a group's programs in DERProgramList order: primacy, then id."""
    where = col(DERProgramRow.id).in_(
        select(FsaProgram.program_id).where(FsaProgram.fsa_id == fsa_id)
    )
    total = session.exec(select(func.count()).select_from(DERProgramRow).where(where)).one()
    rows = session.exec(
        select(DERProgramRow)
        .where(where)
        .order_by(col(DERProgramRow.primacy), col(DERProgramRow.id))
        .offset(page.start)
        .limit(page.limit)
    ).all()
    return total, rows


def end_device_sees_program(session: Session, end_device_id: int, program_id: int) -> bool:
    """Whether one of the device's groups links the program (its only way to see it)."""
    found = session.exec(
        select(FsaMember.fsa_id)
        .join(FsaProgram, col(FsaProgram.fsa_id) == col(FsaMember.fsa_id))
        .where(FsaMember.end_device_id == end_device_id, FsaProgram.program_id == program_id)
        .limit(1)
    ).first()
    return found is not None


def _device_and_program_statement(aggregator: bool) -> Any:
    # Built once per scope kind with bind parameters: this is the access check of every
    # poll, and building a joined statement costs more than running it on SQLite.
    own = col(EndDeviceRow.lfdi) == bindparam("lfdi")
    visible = own
    if aggregator:
        managed = col(EndDeviceRow.aggregator_id).in_(
            select(Aggregator.id).where(col(Aggregator.lfdi) == bindparam("lfdi"))
        )
        visible = or_(own, managed)
    return (
        select(EndDeviceRow, DERProgramRow)
        .join(FsaMember, col(FsaMember.end_device_id) == col(EndDeviceRow.id))
        .join(FsaProgram, col(FsaProgram.fsa_id) == col(FsaMember.fsa_id))
        .join(DERProgramRow, col(DERProgramRow.id) == col(FsaProgram.program_id))
        .where(
            col(EndDeviceRow.id) == bindparam("end_device_id"),
            col(DERProgramRow.id) == bindparam("program_id"),
            visible,
        )
        .limit(1)
    )


_DEVICE_AND_PROGRAM = {kind: _device_and_program_statement(kind) for kind in (False, True)}


def select_device_and_program_for_scope(
    session: Session, scope: Scope, end_device_id: int, program_id: int
) -> tuple[EndDeviceRow, DERProgramRow] | None:
    """The device and program in one query, if `scope` sees the device and one of the
    device's groups links the program (the read path of every poll)."""
    row = session.exec(
        _DEVICE_AND_PROGRAM[scope.is_aggregator],
        params={"lfdi": scope.lfdi, "end_device_id": end_device_id, "program_id": program_id},
    ).first()
    return None if row is None else (row[0], row[1])


def select_fsa_ids_linking_program(session: Session, program_id: int) -> Sequence[int]:
    return session.exec(select(FsaProgram.fsa_id).where(FsaProgram.program_id == program_id)).all()


def select_end_device_ids_seeing_program(session: Session, program_id: int) -> Sequence[int]:
    """Every device that sees the program through one of its groups (distinct)."""
    return session.exec(
        select(FsaMember.end_device_id)
        .join(FsaProgram, col(FsaProgram.fsa_id) == col(FsaMember.fsa_id))
        .where(FsaProgram.program_id == program_id)
        .distinct()
    ).all()


@dataclass(frozen=True, slots=True)
class ProgramReach:
    """Who a program reaches, as seen from one aggregator."""

    #: Devices seeing it that are the aggregator's.
    inside: int
    #: Devices seeing it that are not (the utility's or another aggregator's).
    outside: int
    #: Shared (not device-private) groups listing it.
    shared_groups: int


def program_reach_in_scope(
    session: Session, program_id: int, *, aggregator_id: int
) -> ProgramReach:
    """How far a program reaches, counted in the database (two queries, whatever the
    fleet size)."""
    owner = col(EndDeviceRow.aggregator_id)
    inside = owner == aggregator_id
    outside = or_(owner.is_(None), owner != aggregator_id)
    device = func.distinct(FsaMember.end_device_id)
    counts = session.exec(
        select(func.count(device).filter(inside), func.count(device).filter(outside))
        .select_from(FsaMember)
        .join(FsaProgram, col(FsaProgram.fsa_id) == col(FsaMember.fsa_id))
        .join(EndDeviceRow, col(EndDeviceRow.id) == col(FsaMember.end_device_id))
        .where(FsaProgram.program_id == program_id)
    ).one()
    shared = session.exec(
        select(func.count())
        .select_from(FsaProgram)
        .join(
            FunctionSetAssignmentsRow,
            col(FunctionSetAssignmentsRow.id) == col(FsaProgram.fsa_id),
        )
        .where(
            FsaProgram.program_id == program_id,
            col(FunctionSetAssignmentsRow.end_device_id).is_(None),
        )
    ).one()
    return ProgramReach(inside=int(counts[0]), outside=int(counts[1]), shared_groups=int(shared))


def select_member_ids(session: Session, fsa_id: int) -> Sequence[int]:
    return session.exec(
        select(FsaMember.end_device_id)
        .where(FsaMember.fsa_id == fsa_id)
        .order_by(col(FsaMember.end_device_id))
    ).all()


def add_member(session: Session, fsa_id: int, end_device_id: int, *, now: int) -> bool:
    """Add a device to a group; False when it was a member already."""
    if session.get(FsaMember, (fsa_id, end_device_id)) is not None:
        return False
    session.add(FsaMember(fsa_id=fsa_id, end_device_id=end_device_id, added_time=now))
    return True


def link_program(session: Session, fsa_id: int, program_id: int) -> bool:
    """List a program in a group's DERProgramList; False when listed already."""
    if session.get(FsaProgram, (fsa_id, program_id)) is not None:
        return False
    session.add(FsaProgram(fsa_id=fsa_id, program_id=program_id))
    return True
