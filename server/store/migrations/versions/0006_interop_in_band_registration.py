"""When an EndDevice first registered itself in band

Revision ID: 0006_interop
Revises: 0005_openadr
Create Date: 2026-12-04 20:00:00

A second in-band POST of an LFDI already registered in band is refused (409, issue 11
item 6); the first in-band POST of a device the utility registered out of band still
claims it (201). This column tells the two apart.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_interop"
down_revision: str | None = "0005_openadr"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("end_device") as batch:
        batch.add_column(sa.Column("in_band_time", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("end_device") as batch:
        batch.drop_column("in_band_time")
