"""64-bit columns for the UInt32 values of 2030.5

Revision ID: 0004_hardening
Revises: 0003_outbox_render_at_delivery
Create Date: 2026-12-04 19:00:00

The XSD allows up to 2^32 - 1 in LogEvent extendedData and logEventPEN, Reading and
DERControl durations, ReadingType intervalLength and MirrorUsagePoint postRate; a
PostgreSQL INTEGER holds only 2^31 - 1. SQLite integers are 64-bit already, so only
PostgreSQL columns change (no SQLite table copy).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_hardening"
down_revision: str | None = "0003_outbox_render_at_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, column, nullable) of every UInt32 value stored as an integer column.
WIDENED = (
    ("log_event", "extended_data", True),
    ("log_event", "log_event_pen", False),
    ("mirror_reading", "duration_s", True),
    ("mirror_meter_reading", "interval_length_s", True),
    ("mirror_usage_point", "post_rate_s", True),
    ("der_control", "duration_s", False),
)


def _alter(to: type[sa.types.TypeEngine[int]], existing: type[sa.types.TypeEngine[int]]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, nullable in WIDENED:
        op.alter_column(
            table, column, type_=to(), existing_type=existing(), existing_nullable=nullable
        )


def upgrade() -> None:
    _alter(sa.BigInteger, sa.Integer)


def downgrade() -> None:
    _alter(sa.Integer, sa.BigInteger)
