"""Queries on MirrorUsagePoints, MirrorMeterReadings and the reading series."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from openderms.server.scope import Scope
from openderms.server.store.crud.end_device import select_end_device_for_scope, visible_to
from openderms.server.store.models import (
    EndDeviceRow,
    MirrorMeterReadingRow,
    MirrorReadingRow,
    MirrorUsagePointRow,
)
from openderms.server.store.paging import Page

__all__ = [
    "select_mmr_by_mrid",
    "select_mmr_owner",
    "select_mmrs",
    "select_mup_by_mrid",
    "select_mup_for_scope",
    "select_mup_owner",
    "select_mups_for_scope",
    "select_reading_keys",
    "select_readings",
]


def select_mup_for_scope(
    session: Session, scope: Scope, mup_id: int
) -> MirrorUsagePointRow | None:
    """Mirror `mup_id` if its EndDevice is visible to `scope`."""
    mup = session.get(MirrorUsagePointRow, mup_id)
    if mup is None or select_end_device_for_scope(session, scope, mup.end_device_id) is None:
        return None
    return mup


def select_mups_for_scope(
    session: Session, scope: Scope, page: Page
) -> tuple[int, Sequence[MirrorUsagePointRow]]:
    """(count, page) of the mirrors of the EndDevices `scope` may see."""
    where = col(MirrorUsagePointRow.end_device_id).in_(
        select(EndDeviceRow.id).where(visible_to(scope))
    )
    total = session.exec(select(func.count()).select_from(MirrorUsagePointRow).where(where)).one()
    rows = session.exec(
        select(MirrorUsagePointRow)
        .where(where)
        .order_by(col(MirrorUsagePointRow.id))
        .offset(page.start)
        .limit(page.limit)
    ).all()
    return total, rows


def select_mup_by_mrid(
    session: Session, end_device_id: int, mrid: str
) -> MirrorUsagePointRow | None:
    return session.exec(
        select(MirrorUsagePointRow).where(
            MirrorUsagePointRow.end_device_id == end_device_id, MirrorUsagePointRow.mrid == mrid
        )
    ).first()


def select_mmr_by_mrid(session: Session, mup_id: int, mrid: str) -> MirrorMeterReadingRow | None:
    return session.exec(
        select(MirrorMeterReadingRow).where(
            MirrorMeterReadingRow.mup_id == mup_id, MirrorMeterReadingRow.mrid == mrid
        )
    ).first()


def select_mup_owner(session: Session, mrid: str) -> int | None:
    """The EndDevice id of some mirror with this mRID, if any (mRIDs are global)."""
    return session.exec(
        select(MirrorUsagePointRow.end_device_id).where(MirrorUsagePointRow.mrid == mrid).limit(1)
    ).first()


def select_mmr_owner(session: Session, mrid: str) -> int | None:
    """The EndDevice id of some MirrorMeterReading with this mRID, if any."""
    return session.exec(
        select(MirrorUsagePointRow.end_device_id)
        .join(
            MirrorMeterReadingRow, col(MirrorMeterReadingRow.mup_id) == col(MirrorUsagePointRow.id)
        )
        .where(MirrorMeterReadingRow.mrid == mrid)
        .limit(1)
    ).first()


def select_mmrs(session: Session, mup_id: int) -> Sequence[MirrorMeterReadingRow]:
    return session.exec(
        select(MirrorMeterReadingRow)
        .where(MirrorMeterReadingRow.mup_id == mup_id)
        .order_by(col(MirrorMeterReadingRow.id))
    ).all()


def select_reading_keys(
    session: Session, mmr_id: int, *, since: int, until: int
) -> set[tuple[int, int]]:
    """(start [s], value) of the series' readings that start within [since, until]."""
    rows = session.exec(
        select(MirrorReadingRow.time_period_start, MirrorReadingRow.value)
        .where(MirrorReadingRow.mmr_id == mmr_id)
        .where(col(MirrorReadingRow.time_period_start) >= since)
        .where(col(MirrorReadingRow.time_period_start) <= until)
    ).all()
    return {(int(start), int(value)) for start, value in rows}


def select_readings(
    session: Session,
    mmr_id: int,
    *,
    since: int | None = None,
    until: int | None = None,
    limit: int = 1000,
) -> Sequence[MirrorReadingRow]:
    """Readings of one series in time order, within [since, until) when given [s]."""
    query = select(MirrorReadingRow).where(MirrorReadingRow.mmr_id == mmr_id)
    if since is not None:
        query = query.where(col(MirrorReadingRow.time_period_start) >= since)
    if until is not None:
        query = query.where(col(MirrorReadingRow.time_period_start) < until)
    return session.exec(
        query.order_by(col(MirrorReadingRow.time_period_start), col(MirrorReadingRow.id)).limit(
            limit
        )
    ).all()
