"""OpenADR subscriptions: the objectTypes they name (GET /subscriptions?objects=...)

Revision ID: 0007_openadr_objects
Revises: 0006_interop
Create Date: 2026-12-04 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_openadr_objects"
down_revision: str | None = "0006_interop"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("openadr_object", schema=None) as batch_op:
        batch_op.add_column(sa.Column("object_types", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("openadr_object", schema=None) as batch_op:
        batch_op.drop_column("object_types")
