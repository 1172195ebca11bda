"""Queries on control Responses and LogEvents."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from openderms.server.store.models import ControlResponseRow, LogEventRow
from openderms.server.store.paging import Page

__all__ = ["select_log_event", "select_log_events", "select_responses"]


def select_log_events(
    session: Session, end_device_id: int, page: Page
) -> tuple[int, Sequence[LogEventRow]]:
    """(count, page) of a device's LogEvents, newest first (LogEventList order)."""
    where = col(LogEventRow.end_device_id) == end_device_id
    if page.after is not None:
        where = where & (col(LogEventRow.created_time) > page.after)
    total = session.exec(select(func.count()).select_from(LogEventRow).where(where)).one()
    rows = session.exec(
        select(LogEventRow)
        .where(where)
        .order_by(col(LogEventRow.created_time).desc(), col(LogEventRow.id).desc())
        .offset(page.start)
        .limit(page.limit)
    ).all()
    return total, rows


def select_log_event(session: Session, end_device_id: int, log_id: int) -> LogEventRow | None:
    return session.exec(
        select(LogEventRow).where(
            LogEventRow.id == log_id, LogEventRow.end_device_id == end_device_id
        )
    ).first()


def select_responses(
    session: Session,
    *,
    der_control_id: int | None = None,
    end_device_id: int | None = None,
    limit: int = 1000,
) -> Sequence[ControlResponseRow]:
    """Responses to one control and/or from one device, oldest first."""
    query = select(ControlResponseRow)
    if der_control_id is not None:
        query = query.where(ControlResponseRow.der_control_id == der_control_id)
    if end_device_id is not None:
        query = query.where(ControlResponseRow.end_device_id == end_device_id)
    return session.exec(query.order_by(col(ControlResponseRow.id)).limit(limit)).all()
