"""Fixtures for the head-end tests: a migrated store on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from openderms.server.store.db import Store, make_engine

PG_ENV = "OPENDERMS_TEST_POSTGRES_URL"


def _postgres_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {PG_ENV} is not set")
        pytest.skip(f"{PG_ENV} is not set (PostgreSQL tests need it)")
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A store at schema head, on SQLite (a file in WAL mode) and on PostgreSQL.

    Each PostgreSQL test runs in a fresh schema that is dropped afterwards.
    """
    if request.param == "sqlite":
        opened = Store.open(f"sqlite:///{tmp_path / 'server.db'}")
        yield opened
        opened.dispose()
        return
    url = _postgres_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # unreachable server: fail in CI, else skip
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {PG_ENV} unreachable: {exc}")
        pytest.skip(f"PostgreSQL at {PG_ENV} unreachable: {exc}")
    opened = Store.open(url, schema=schema)
    try:
        yield opened
    finally:
        opened.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
