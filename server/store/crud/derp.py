"""Queries on DERPrograms, DERControls, DefaultDERControls and DERCurves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, bindparam, func
from sqlmodel import Session, col, select

from openderms.server.store.models import (
    DefaultDERControlRow,
    DERControlRow,
    DERCurveRow,
    DERProgramRow,
)
from openderms.server.store.paging import Page

__all__ = [
    "select_active_controls",
    "select_control",
    "select_control_by_mrid",
    "select_control_times",
    "select_controls",
    "select_controls_version",
    "select_curve",
    "select_curves",
    "select_latest_creation_time",
    "select_latest_default_control",
    "select_live_overlapping_controls",
    "select_program",
]


def select_program(session: Session, program_id: int) -> DERProgramRow | None:
    return session.get(DERProgramRow, program_id)


def _controls_where(with_after: bool) -> Any:
    end = col(DERControlRow.start_time) + col(DERControlRow.duration_s)
    interrupted = col(DERControlRow.cancelled_time).is_not(None) | col(
        DERControlRow.superseded_time
    ).is_not(None)
    # A control that ran to its end leaves the list at its end: 2030.5 has no "completed"
    # EventStatus, and listing it would read as Active (issue 11 item 8). A cancelled or
    # superseded one stays listed, with its status, until `ended_after` (sep.xsd
    # EventStatus: "maintaining the cancelled event ... for the duration of the original
    # event"; the retention setting may keep it longer).
    where = (col(DERControlRow.program_id) == bindparam("program_id")) & (
        (end > bindparam("now")) | ((end > bindparam("ended_after")) & interrupted)
    )
    if with_after:
        where = where & (col(DERControlRow.start_time) > bindparam("after"))
    return where


def _controls_statements(with_after: bool) -> tuple[Any, Any]:
    # Built once with bind parameters: every poll of a DERControlList runs these.
    where = _controls_where(with_after)
    rows = (
        select(DERControlRow)
        .where(where)
        .order_by(
            col(DERControlRow.start_time),
            col(DERControlRow.creation_time).desc(),
            col(DERControlRow.mrid).desc(),
        )
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
    )
    count = select(func.count()).select_from(DERControlRow).where(where)
    return rows, count


_CONTROLS = {with_after: _controls_statements(with_after) for with_after in (False, True)}


def select_controls(
    session: Session, program_id: int, *, ended_after: int, page: Page, now: int | None = None
) -> tuple[int, Sequence[DERControlRow]]:
    """(count, page) of a program's listed controls: those not ended at `now` [s], and the
    cancelled or superseded ones that end after `ended_after` [s] (``now`` defaults to it).

    Cancelled and superseded controls stay listed (their EventStatus says so). The order is
    the DERControlList order of IEEE 2030.5: interval.start ascending, then creationTime
    descending, then mRID descending. ``page.after`` keeps controls starting after it.
    """
    rows_statement, count_statement = _CONTROLS[page.after is not None]
    params: dict[str, Any] = {
        "program_id": program_id,
        "ended_after": ended_after,
        "now": ended_after if now is None else now,
    }
    if page.after is not None:
        params["after"] = page.after
    rows = session.exec(
        rows_statement, params={**params, "offset": page.start, "limit": page.limit}
    ).all()
    if page.start == 0 and len(rows) < page.limit:
        return len(rows), rows  # the whole list fits: no count query (the common poll)
    total: int = session.exec(count_statement, params=params).one()
    return total, rows


_VERSION = select(
    func.count(),
    func.coalesce(func.max(col(DERControlRow.id)), 0),
    func.count(col(DERControlRow.cancelled_time)),
    func.count(col(DERControlRow.superseded_time)),
).where(col(DERControlRow.program_id) == bindparam("program_id"))


def select_controls_version(session: Session, program_id: int) -> tuple[int, int, int, int]:
    """A value that changes whenever a control of the program is added, cancelled or
    superseded: (count, highest id, cancelled count, superseded count)."""
    row = session.exec(_VERSION, params={"program_id": program_id}).one()
    count, highest, cancelled, superseded = (int(value or 0) for value in row)
    return count, highest, cancelled, superseded


def select_control_times(
    session: Session, program_id: int, *, ended_after: int
) -> Sequence[tuple[int, int]]:
    """(start, end) of the program's controls that end after `ended_after` [s]."""
    rows = session.exec(
        select(DERControlRow.start_time, DERControlRow.duration_s).where(
            DERControlRow.program_id == program_id,
            (col(DERControlRow.start_time) + col(DERControlRow.duration_s)) > ended_after,
        )
    ).all()
    return [(start, start + duration) for start, duration in rows]


def select_active_controls(
    session: Session, program_id: int, *, now: int
) -> Sequence[DERControlRow]:
    """Controls running at `now`: started, not ended, neither cancelled nor superseded."""
    return session.exec(
        select(DERControlRow)
        .where(
            DERControlRow.program_id == program_id,
            col(DERControlRow.start_time) <= now,
            (col(DERControlRow.start_time) + col(DERControlRow.duration_s)) > now,
            col(DERControlRow.cancelled_time).is_(None),
            col(DERControlRow.superseded_time).is_(None),
        )
        .order_by(col(DERControlRow.start_time), col(DERControlRow.creation_time).desc())
    ).all()


def select_control(session: Session, program_id: int, control_id: int) -> DERControlRow | None:
    return session.exec(
        select(DERControlRow).where(
            DERControlRow.id == control_id, DERControlRow.program_id == program_id
        )
    ).first()


def select_control_by_mrid(session: Session, program_id: int, mrid: str) -> DERControlRow | None:
    return session.exec(
        select(DERControlRow).where(
            DERControlRow.mrid == mrid, DERControlRow.program_id == program_id
        )
    ).first()


def select_live_overlapping_controls(
    session: Session, program_id: int, *, start: int, end: int, now: int
) -> Sequence[DERControlRow]:
    """Live controls of the program overlapping [start, end): not cancelled, superseded, ended."""
    return session.exec(
        select(DERControlRow).where(
            DERControlRow.program_id == program_id,
            col(DERControlRow.start_time) < end,
            (col(DERControlRow.start_time) + col(DERControlRow.duration_s)) > start,
            (col(DERControlRow.start_time) + col(DERControlRow.duration_s)) > now,
            col(DERControlRow.cancelled_time).is_(None),
            col(DERControlRow.superseded_time).is_(None),
        )
    ).all()


def select_latest_creation_time(session: Session, program_id: int) -> int | None:
    """The newest creationTime among the program's controls, None when it has none."""
    latest = session.exec(
        select(func.max(DERControlRow.creation_time)).where(DERControlRow.program_id == program_id)
    ).one()
    return None if latest is None else int(latest)


def select_latest_default_control(
    session: Session, program_id: int
) -> DefaultDERControlRow | None:
    """The program's current DefaultDERControl (the last one set), if any."""
    return session.exec(
        select(DefaultDERControlRow)
        .where(DefaultDERControlRow.program_id == program_id)
        .order_by(col(DefaultDERControlRow.id).desc())
        .limit(1)
    ).first()


def select_curves(
    session: Session, program_id: int, page: Page
) -> tuple[int, Sequence[DERCurveRow]]:
    where = col(DERCurveRow.program_id) == program_id
    total = session.exec(select(func.count()).select_from(DERCurveRow).where(where)).one()
    rows = session.exec(
        select(DERCurveRow)
        .where(where)
        .order_by(col(DERCurveRow.id))
        .offset(page.start)
        .limit(page.limit)
    ).all()
    return total, rows


def select_curve(session: Session, program_id: int, curve_id: int) -> DERCurveRow | None:
    return session.exec(
        select(DERCurveRow).where(DERCurveRow.id == curve_id, DERCurveRow.program_id == program_id)
    ).first()
