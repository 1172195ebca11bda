"""Queries on aggregators and EndDevices; scoped reads take the caller's `Scope`."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select

from openderms.server.scope import Scope
from openderms.server.store.models import Aggregator, EndDeviceRow
from openderms.server.store.paging import Page

__all__ = [
    "get_or_create_aggregator",
    "select_aggregator_by_lfdi",
    "select_end_device_by_id",
    "select_end_device_by_lfdi",
    "select_end_device_for_scope",
    "select_end_devices",
    "select_end_devices_for_scope",
    "visible_to",
]


def select_aggregator_by_lfdi(session: Session, lfdi: str) -> Aggregator | None:
    return session.exec(select(Aggregator).where(Aggregator.lfdi == lfdi)).first()


def get_or_create_aggregator(
    session: Session, lfdi: str, *, now: int, name: str = ""
) -> Aggregator:
    """The aggregator row of `lfdi`, added to the session when new (not committed)."""
    found = select_aggregator_by_lfdi(session, lfdi)
    if found is not None:
        return found
    row = Aggregator(lfdi=lfdi, name=name, created_time=now)
    session.add(row)
    session.flush()
    return row


def select_end_device_by_lfdi(session: Session, lfdi: str) -> EndDeviceRow | None:
    """Unscoped: for registration conflict checks only, never to answer a client."""
    return session.exec(select(EndDeviceRow).where(EndDeviceRow.lfdi == lfdi)).first()


def select_end_device_by_id(session: Session, end_device_id: int) -> EndDeviceRow | None:
    """Unscoped: for the admin API (the operator sees every device)."""
    return session.get(EndDeviceRow, end_device_id)


def visible_to(scope: Scope) -> ColumnElement[bool]:
    """A device sees itself; an aggregator sees itself and the devices under it."""
    own = col(EndDeviceRow.lfdi) == scope.lfdi
    if not scope.is_aggregator:
        return own
    managed = col(EndDeviceRow.aggregator_id).in_(
        select(Aggregator.id).where(Aggregator.lfdi == scope.lfdi)
    )
    return or_(own, managed)


def select_end_device_for_scope(
    session: Session, scope: Scope, end_device_id: int
) -> EndDeviceRow | None:
    """The EndDevice `end_device_id` if `scope` may see it, else None."""
    return session.exec(
        select(EndDeviceRow).where(EndDeviceRow.id == end_device_id, visible_to(scope))
    ).first()


def select_end_devices_for_scope(
    session: Session, scope: Scope, page: Page
) -> tuple[int, Sequence[EndDeviceRow]]:
    """(count of all, the page) of the EndDevices `scope` may see, by id."""
    where = visible_to(scope)
    if page.after is not None:
        where = where & (col(EndDeviceRow.changed_time) > page.after)
    total = session.exec(select(func.count()).select_from(EndDeviceRow).where(where)).one()
    rows = session.exec(
        select(EndDeviceRow)
        .where(where)
        .order_by(col(EndDeviceRow.id))
        .offset(page.start)
        .limit(page.limit)
    ).all()
    return total, rows


def select_end_devices(
    session: Session, *, start: int = 0, limit: int = 100, aggregator_id: int | None = None
) -> tuple[int, Sequence[EndDeviceRow]]:
    """Unscoped page of EndDevices for the admin API, optionally one aggregator's."""
    query = select(EndDeviceRow)
    count = select(func.count()).select_from(EndDeviceRow)
    if aggregator_id is not None:
        query = query.where(EndDeviceRow.aggregator_id == aggregator_id)
        count = count.where(EndDeviceRow.aggregator_id == aggregator_id)
    total = session.exec(count).one()
    rows = session.exec(query.order_by(col(EndDeviceRow.id)).offset(start).limit(limit)).all()
    return total, rows
