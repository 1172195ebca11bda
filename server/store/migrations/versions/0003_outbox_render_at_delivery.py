"""outbox rows without a body: rendered at delivery

Revision ID: 0003_outbox_render_at_delivery
Revises: 0002_notify_admin
Create Date: 2026-11-25 18:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_outbox_render_at_delivery"
down_revision: str | None = "0002_notify_admin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.alter_column("body", existing_type=sa.LargeBinary(), nullable=True)
        # Coalescing looks up a subscription's rows still waiting for a first attempt.
        batch_op.create_index(
            "ix_notification_outbox_waiting", ["subscription_id", "status", "attempts"]
        )


def downgrade() -> None:
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_outbox_waiting")
        batch_op.execute("DELETE FROM notification_outbox WHERE body IS NULL")
        batch_op.alter_column("body", existing_type=sa.LargeBinary(), nullable=False)
