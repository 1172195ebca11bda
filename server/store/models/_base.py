"""Column helpers shared by the table models.

Conventions: times are integer seconds since the epoch (2030.5 TimeType, UTC); an mRID is
32 upper-case hex digits; an LFDI is 40 upper-case hex digits; powers are in watts as
floats (the mapper picks the 2030.5 power-of-ten multiplier).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger
from sqlmodel import Field

__all__ = ["epoch_field", "id_field"]


def epoch_field(*, nullable: bool = False, index: bool = False) -> Any:
    """A 64-bit epoch-seconds column [s]; ``None`` default only when `nullable`."""
    if nullable:
        return Field(default=None, sa_type=BigInteger, nullable=True, index=index)
    return Field(sa_type=BigInteger, nullable=False, index=index)


def id_field() -> Any:
    """An auto-increment integer primary key."""
    return Field(default=None, primary_key=True)
