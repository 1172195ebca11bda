"""The store: migrations, SQLite pragmas, URL handling."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from openderms.server.store.db import Store, normalize_url, upgrade_to_head
from openderms.server.store.errors import StoreConfigError
from openderms.server.store.models import EndDeviceRow, FsaMember


def test_migrations_create_every_table(store: Store) -> None:
    """upgrade head creates the tables of every model."""
    names = set(inspect(store.engine).get_table_names())
    assert {"end_device", "der_control", "fsa_member", "mirror_reading"} <= names


def test_upgrade_is_idempotent(store: Store) -> None:
    """Starting a second server process on a migrated database changes nothing."""
    upgrade_to_head(store.engine)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def test_foreign_keys_are_enforced(store: Store) -> None:
    """A membership of a missing group is refused (SQLite needs PRAGMA foreign_keys)."""
    with store.session() as session:
        session.add(FsaMember(fsa_id=999, end_device_id=999, added_time=0))
        with pytest.raises(IntegrityError):
            session.commit()


def test_lfdi_is_unique(store: Store) -> None:
    """Two EndDevices cannot share an LFDI."""
    with store.session() as session:
        for _ in range(2):
            session.add(EndDeviceRow(lfdi="AB" * 20, sfdi=1, registered_time=0, changed_time=0))
        with pytest.raises(IntegrityError):
            session.commit()


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    """The embedded default is SQLite in WAL mode, so readers do not block the writer."""
    store = Store.open(str(tmp_path / "a.db"))
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() > 0
    store.dispose()


def test_postgresql_url_selects_psycopg3() -> None:
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("x.db") == "sqlite:///x.db"


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(StoreConfigError):
        normalize_url("mysql://h/db")
