"""Queries of the OpenADR 3.1 VTN store; every list takes the caller's visibility.

`Visibility` is what the service decided the caller may see: all objects (a business
logic client), only objects it owns (``owner``: reports, subscriptions, VENs, resources of
a VEN client), and/or only objects that are untargeted or share a target with the VEN
(``targets``: programs and events). Lists are ordered by ``seq`` (insertion order).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from openderms.server.store.models.openadr import (
    OadrClientRow,
    OadrObjectRow,
    OadrTargetRow,
    OadrTokenRow,
)

__all__ = [
    "ObjectFilter",
    "Visibility",
    "delete_object",
    "insert_client",
    "insert_object",
    "insert_token",
    "select_active_token",
    "select_client",
    "select_clients",
    "select_object",
    "select_objects",
    "select_targets",
    "select_ven_ids_of_client",
    "select_ven_targets_of_client",
    "update_object",
]


@dataclass(frozen=True, slots=True)
class Visibility:
    """What one caller may see of one object type.

    Attributes
    ----------
    owner
        Only objects whose client_id is this; None = any owner.
    targets
        Only objects without targets or with one of these; None = no target rule.
    program_targets
        Events only: their program must also pass the target rule (an untargeted event
        of a program targeted elsewhere stays private).
    """

    owner: str | None = None
    targets: frozenset[str] | None = None
    program_targets: bool = False


EVERYTHING = Visibility()


@dataclass(frozen=True, slots=True)
class ObjectFilter:
    """The query filters of the OpenADR list operations (None = not filtered)."""

    targets: tuple[str, ...] | None = None
    program_id: str | None = None
    event_id: str | None = None
    ven_id: str | None = None
    client_name: str | None = None
    name: str | None = None
    #: Events only: leave out those whose last interval ended before this time [s].
    active_at: float | None = None
    #: Subscriptions only: those naming at least one of these objectTypes.
    object_types: tuple[str, ...] | None = None


def _has_target_in(seq_column: sa.ColumnElement[int], targets: Iterable[str]) -> sa.Exists:
    target = OadrTargetRow.__table__.c  # type: ignore[attr-defined]  # SQLModel sets it
    return sa.exists().where(target.object_seq == seq_column, target.target.in_(list(targets)))


def _untargeted(seq_column: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
    target = OadrTargetRow.__table__.c  # type: ignore[attr-defined]
    return ~sa.exists().where(target.object_seq == seq_column)


def _visible(seq_column: sa.ColumnElement[int], targets: frozenset[str]) -> sa.ColumnElement[bool]:
    if not targets:
        return _untargeted(seq_column)
    return sa.or_(_untargeted(seq_column), _has_target_in(seq_column, targets))


def _visibility_clause(visibility: Visibility) -> list[sa.ColumnElement[bool]]:
    obj = OadrObjectRow.__table__.c  # type: ignore[attr-defined]
    clauses: list[sa.ColumnElement[bool]] = []
    if visibility.owner is not None:
        clauses.append(obj.client_id == visibility.owner)
    if visibility.targets is not None:
        clauses.append(_visible(obj.seq, visibility.targets))
        if visibility.program_targets:
            program = OadrObjectRow.__table__.alias("program")  # type: ignore[attr-defined]
            clauses.append(
                sa.exists().where(
                    program.c.object_type == "PROGRAM",
                    program.c.id == obj.program_id,
                    _visible(program.c.seq, visibility.targets),
                )
            )
    return clauses


def select_object(
    session: Session, object_type: str, object_id: str, visibility: Visibility = EVERYTHING
) -> OadrObjectRow | None:
    """The object of this type and id if the caller may see it."""
    statement = select(OadrObjectRow).where(
        OadrObjectRow.object_type == object_type, OadrObjectRow.id == object_id
    )
    for clause in _visibility_clause(visibility):
        statement = statement.where(clause)
    return session.exec(statement).first()


def select_objects(
    session: Session,
    object_type: str,
    *,
    visibility: Visibility,
    where: ObjectFilter,
    skip: int,
    limit: int,
) -> Sequence[OadrObjectRow]:
    """One page of objects in ``seq`` order."""
    statement = select(OadrObjectRow).where(OadrObjectRow.object_type == object_type)
    for clause in _visibility_clause(visibility):
        statement = statement.where(clause)
    if where.targets:
        seq = OadrObjectRow.__table__.c.seq  # type: ignore[attr-defined]  # SQLModel sets it
        statement = statement.where(_has_target_in(seq, where.targets))
    for column, value in (
        (OadrObjectRow.program_id, where.program_id),
        (OadrObjectRow.event_id, where.event_id),
        (OadrObjectRow.ven_id, where.ven_id),
        (OadrObjectRow.client_name, where.client_name),
        (OadrObjectRow.name, where.name),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if where.active_at is not None:
        statement = statement.where(
            sa.or_(
                col(OadrObjectRow.ends_at).is_(None),
                col(OadrObjectRow.ends_at) > where.active_at,
            )
        )
    if where.object_types:
        statement = statement.where(
            sa.or_(
                *(
                    col(OadrObjectRow.object_types).contains(f",{name},")
                    for name in where.object_types
                )
            )
        )
    statement = statement.order_by(col(OadrObjectRow.seq)).offset(skip).limit(limit)
    return session.exec(statement).all()


def select_targets(session: Session, seq: int) -> list[str]:
    """An object's targets."""
    return list(
        session.exec(select(OadrTargetRow.target).where(OadrTargetRow.object_seq == seq)).all()
    )


def _set_targets(session: Session, seq: int, targets: Iterable[str]) -> None:
    table = OadrTargetRow.__table__  # type: ignore[attr-defined]
    session.execute(sa.delete(table).where(table.c.object_seq == seq))
    unique = sorted(set(targets))
    if unique:
        session.execute(sa.insert(table), [{"object_seq": seq, "target": t} for t in unique])


def insert_object(session: Session, row: OadrObjectRow, targets: Iterable[str]) -> None:
    """Add an object and its targets (flushes to get ``seq``; no commit)."""
    session.add(row)
    session.flush()
    assert row.seq is not None
    _set_targets(session, row.seq, targets)


def update_object(session: Session, row: OadrObjectRow, targets: Iterable[str]) -> None:
    """Write a changed object and replace its targets (no commit)."""
    session.add(row)
    session.flush()
    assert row.seq is not None
    _set_targets(session, row.seq, targets)


def delete_object(session: Session, row: OadrObjectRow) -> None:
    """Remove an object and its targets (no commit)."""
    assert row.seq is not None
    _set_targets(session, row.seq, ())
    session.delete(row)
    session.flush()


def select_ven_ids_of_client(session: Session, client_id: str) -> list[str]:
    """Ids of the VEN objects a client owns."""
    return list(
        session.exec(
            select(OadrObjectRow.id)
            .where(OadrObjectRow.object_type == "VEN", OadrObjectRow.client_id == client_id)
            .order_by(col(OadrObjectRow.seq))
        ).all()
    )


def select_ven_targets_of_client(session: Session, client_id: str) -> frozenset[str]:
    """The targets of a client's VENs and of their resources (what it may be sent)."""
    target = OadrTargetRow.__table__  # type: ignore[attr-defined]
    obj = OadrObjectRow.__table__  # type: ignore[attr-defined]
    rows = session.execute(
        sa.select(target.c.target)
        .join(obj, obj.c.seq == target.c.object_seq)
        .where(obj.c.object_type.in_(("VEN", "RESOURCE")), obj.c.client_id == client_id)
    ).all()
    return frozenset(row[0] for row in rows)


def insert_client(session: Session, row: OadrClientRow) -> None:
    session.add(row)
    session.flush()


def select_client(session: Session, client_id: str) -> OadrClientRow | None:
    return session.exec(select(OadrClientRow).where(OadrClientRow.client_id == client_id)).first()


def select_clients(session: Session) -> Sequence[OadrClientRow]:
    return session.exec(select(OadrClientRow).order_by(col(OadrClientRow.id))).all()


def insert_token(session: Session, row: OadrTokenRow, *, now: float) -> None:
    """Store an issued token and drop expired ones (keeps the table small)."""
    table = OadrTokenRow.__table__  # type: ignore[attr-defined]
    session.execute(sa.delete(table).where(table.c.expires_at < now))
    session.add(row)


def select_active_token(session: Session, token_sha256: str, *, now: float) -> OadrTokenRow | None:
    """The unexpired token with this hash whose client is not disabled."""
    return session.exec(
        select(OadrTokenRow)
        .join(OadrClientRow, col(OadrClientRow.client_id) == col(OadrTokenRow.client_id))
        .where(
            OadrTokenRow.token_sha256 == token_sha256,
            OadrTokenRow.expires_at > now,
            col(OadrClientRow.disabled_at).is_(None),
        )
    ).first()
