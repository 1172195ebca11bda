"""Insert a row whose unique keys (mRID, lFDI) may already be taken."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from openderms.server.errors import ConflictError

__all__ = ["add_unique"]


def add_unique(session: Session, row: SQLModel, *, conflict: str) -> None:
    """Add ``row`` and flush; a unique-key clash rolls back and raises `ConflictError`.

    Parameters
    ----------
    conflict
        The message of the `ConflictError` (HTTP 409) when a unique constraint fails.

    Raises
    ------
    ConflictError
        The database refused the row (another writer got there first).
    """
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ConflictError(conflict) from None
