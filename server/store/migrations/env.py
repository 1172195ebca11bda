"""Alembic environment: runs on the connection `upgrade_to_head` passes in.

Autogenerate a new revision (from the repo root) with::

    .venv/bin/python -m openderms.server.store.revision "message"
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import openderms.server.store.models  # noqa: F401  (registers every table on the metadata)
from openderms.server.store import notify_admin_tables  # noqa: F401  (outbox, subscriptions, admin)

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        url = config.get_main_option("sqlalchemy.url") or "sqlite://"
        with create_engine(url).begin() as own_connection:
            _run(own_connection)
        return
    _run(connection)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]  # alembic accepts a Connection
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place: batch mode copies the table.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
