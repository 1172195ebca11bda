"""Admin API tables: bearer tokens (stored hashed) and the audit trail.

A token is 32 random bytes; only its SHA-256 is stored (a fast hash is enough for a
high-entropy secret: there is nothing to brute-force). A token's role is ``utility``
(every device) or ``aggregator`` (only devices registered under ``aggregator_id``).
Every change made through the admin API leaves an :class:`AuditRecord`.
"""

from __future__ import annotations

import enum
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, Session, SQLModel, col, func, select

from openderms.server.store.models._base import epoch_field

__all__ = [
    "AdminRole",
    "AdminToken",
    "AuditRecord",
    "count_admin_tokens",
    "insert_admin_token",
    "insert_audit_record",
    "revoke_admin_token",
    "select_active_token_by_hash",
    "select_audit_records",
]


class AdminRole(enum.StrEnum):
    """Who a token speaks for."""

    UTILITY = "utility"
    AGGREGATOR = "aggregator"


class AdminToken(SQLModel, table=True):
    """One admin API bearer token."""

    __tablename__ = "admin_token"

    id: int | None = Field(default=None, primary_key=True)
    #: Hex SHA-256 of the token string; the token itself is never stored.
    token_sha256: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=100)
    role: str = Field(max_length=16)
    #: Set for role ``aggregator``: the devices it may see and change.
    aggregator_id: int | None = Field(
        default=None, foreign_key="aggregator.id", ondelete="CASCADE", index=True
    )
    created_time: int = epoch_field()
    revoked_time: int | None = epoch_field(nullable=True)


class AuditRecord(SQLModel, table=True):
    """Who changed what, when, and with what request (bounded summary)."""

    __tablename__ = "admin_audit"

    id: int | None = Field(default=None, primary_key=True)
    time: int = epoch_field(index=True)
    token_id: int | None = Field(default=None, index=True)
    actor: str = Field(max_length=100)
    role: str = Field(max_length=16)
    action: str = Field(max_length=64)
    method: str = Field(max_length=8)
    path: str = Field(max_length=512)
    status_code: int
    #: The request body (truncated) and, on success, ids of what was made.
    summary: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


def insert_admin_token(
    session: Session,
    *,
    token_sha256: str,
    name: str,
    role: AdminRole,
    aggregator_id: int | None,
    now: int,
) -> AdminToken:
    """Add a token (no commit); flush to assign its id."""
    if (role is AdminRole.AGGREGATOR) != (aggregator_id is not None):
        raise ValueError("an aggregator token needs an aggregator_id; a utility token none")
    row = AdminToken(
        token_sha256=token_sha256,
        name=name,
        role=role.value,
        aggregator_id=aggregator_id,
        created_time=now,
    )
    session.add(row)
    session.flush()
    return row


def select_active_token_by_hash(session: Session, token_sha256: str) -> AdminToken | None:
    """The unrevoked token with this hash, if any."""
    statement = select(AdminToken).where(
        AdminToken.token_sha256 == token_sha256, col(AdminToken.revoked_time).is_(None)
    )
    return session.exec(statement).first()


def select_admin_tokens(session: Session) -> list[AdminToken]:
    """Every token ever issued (revoked ones included), by id; hashes only, no secrets."""
    return list(session.exec(select(AdminToken).order_by(col(AdminToken.id))).all())


def count_admin_tokens(session: Session) -> int:
    """How many tokens were ever created (revoked ones included)."""
    return int(session.exec(select(func.count()).select_from(AdminToken)).one())


def insert_audit_record(
    session: Session,
    *,
    now: int,
    token_id: int | None,
    actor: str,
    role: str,
    action: str,
    method: str,
    path: str,
    status_code: int,
    summary: dict[str, Any],
) -> AuditRecord:
    """Add one audit record (no commit)."""
    row = AuditRecord(
        time=now,
        token_id=token_id,
        actor=actor,
        role=role,
        action=action,
        method=method,
        path=path[:512],
        status_code=status_code,
        summary=summary,
    )
    session.add(row)
    return row


def select_audit_records(
    session: Session, *, start: int, limit: int, token_id: int | None = None
) -> list[AuditRecord]:
    """Newest first; only one token's records when ``token_id`` is given."""
    statement = select(AuditRecord)
    if token_id is not None:
        statement = statement.where(AuditRecord.token_id == token_id)
    statement = statement.order_by(sa.desc(col(AuditRecord.id))).offset(start).limit(limit)
    return list(session.exec(statement).all())


def revoke_admin_token(session: Session, token_id: int, *, now: int) -> bool:
    """Revoke a token (no commit). False if it does not exist or was revoked already."""
    row = session.get(AdminToken, token_id)
    if row is None or row.revoked_time is not None:
        return False
    row.revoked_time = now
    session.add(row)
    return True
