"""OpenADR 3.1 VTN: objects, targets, OAuth2 clients and tokens

Revision ID: 0005_openadr
Revises: 0004_hardening
Create Date: 2026-12-04 18:49:56.725452
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_openadr"
down_revision: str | None = "0004_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "openadr_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=False),
        sa.Column("secret_hash", sa.String(length=300), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("scopes", sa.String(length=1000), nullable=False),
        sa.Column("token_lifetime_s", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("disabled_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id"),
    )
    op.create_table(
        "openadr_object",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("object_type", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=True),
        sa.Column("unique_key", sa.String(length=300), nullable=True),
        sa.Column("program_id", sa.String(length=128), nullable=True),
        sa.Column("event_id", sa.String(length=128), nullable=True),
        sa.Column("ven_id", sa.String(length=128), nullable=True),
        sa.Column("client_id", sa.String(length=128), nullable=True),
        sa.Column("client_name", sa.String(length=128), nullable=True),
        sa.Column("ends_at", sa.Float(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("modified_at", sa.Float(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("id"),
        sa.UniqueConstraint("unique_key", name="uq_openadr_object_unique_key"),
    )
    with op.batch_alter_table("openadr_object", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_openadr_object_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_openadr_object_client_name"), ["client_name"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_openadr_object_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_openadr_object_name"), ["name"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_openadr_object_program_id"), ["program_id"], unique=False
        )
        batch_op.create_index("ix_openadr_object_type_seq", ["object_type", "seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_openadr_object_ven_id"), ["ven_id"], unique=False)

    op.create_table(
        "openadr_token",
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=False),
        sa.Column("scopes", sa.String(length=1000), nullable=False),
        sa.Column("issued_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("token_sha256"),
    )
    with op.batch_alter_table("openadr_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_openadr_token_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_openadr_token_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "openadr_target",
        sa.Column("object_seq", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["object_seq"], ["openadr_object.seq"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("object_seq", "target"),
    )
    with op.batch_alter_table("openadr_target", schema=None) as batch_op:
        batch_op.create_index("ix_openadr_target_target", ["target", "object_seq"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("openadr_target", schema=None) as batch_op:
        batch_op.drop_index("ix_openadr_target_target")

    op.drop_table("openadr_target")
    with op.batch_alter_table("openadr_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_openadr_token_expires_at"))
        batch_op.drop_index(batch_op.f("ix_openadr_token_client_id"))

    op.drop_table("openadr_token")
    with op.batch_alter_table("openadr_object", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_openadr_object_ven_id"))
        batch_op.drop_index("ix_openadr_object_type_seq")
        batch_op.drop_index(batch_op.f("ix_openadr_object_program_id"))
        batch_op.drop_index(batch_op.f("ix_openadr_object_name"))
        batch_op.drop_index(batch_op.f("ix_openadr_object_event_id"))
        batch_op.drop_index(batch_op.f("ix_openadr_object_client_name"))
        batch_op.drop_index(batch_op.f("ix_openadr_object_client_id"))

    op.drop_table("openadr_object")
    op.drop_table("openadr_client")
