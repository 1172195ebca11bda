"""Fixtures for the head-end tests: a migrated store on SQLite and on PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from server_testlib import fresh_postgres_schema, postgres_url
from sqlalchemy import inspect, text

from openderms.certs.pki import PkiPaths, init_pki
from openderms.server.config import ServerSettings
from openderms.server.store.db import Store
from openderms.testing.head_end import DeviceCerts, Sep2Server, serve_sep2


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session; tests get copies of it."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    Store.open(f"sqlite:///{path}").dispose()  # the last close checkpoints the WAL
    return path


@pytest.fixture(scope="session")
def _postgres_schema() -> Iterator[tuple[str, str]]:
    """A fresh PostgreSQL schema migrated to head once per session, dropped at the end."""
    url = postgres_url()
    with fresh_postgres_schema(url) as schema:
        Store.open(url, schema=schema).dispose()
        yield url, schema


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A store at schema head, on SQLite (a file in WAL mode) and on PostgreSQL.

    Each test starts empty: SQLite tests get a copy of a migrated template file;
    PostgreSQL tests share one migrated schema per session, emptied after each test.
    """
    if request.param == "sqlite":
        path = tmp_path / "server.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        opened = Store.open(f"sqlite:///{path}", migrate=False)
        yield opened
        opened.dispose()
        return
    url, schema = request.getfixturevalue("_postgres_schema")
    opened = Store.open(url, schema=schema, migrate=False)
    try:
        yield opened
    finally:
        tables = [
            name for name in inspect(opened.engine).get_table_names() if name != "alembic_version"
        ]
        if tables:
            quoted = ", ".join(f'"{name}"' for name in tables)
            with opened.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        opened.dispose()


@pytest.fixture(scope="session")
def server_pki(tmp_path_factory: pytest.TempPathFactory) -> PkiPaths:
    """A 2030.5 test PKI made at test time (SERCA, MCA, MICA, server certificate)."""
    return init_pki(tmp_path_factory.mktemp("server-pki"))


@pytest.fixture(scope="session")
def device_certs(server_pki: PkiPaths) -> DeviceCerts:
    return DeviceCerts(server_pki)


@pytest.fixture
def server_settings() -> ServerSettings:
    """Settings of the API tests; override this fixture in a module to change them."""
    return ServerSettings(list_limit_default=100)


@pytest.fixture
async def sep2_server(
    store: Store,
    server_pki: PkiPaths,
    device_certs: DeviceCerts,
    server_settings: ServerSettings,
) -> AsyncIterator[Sep2Server]:
    """The 2030.5 app served by hypercorn over mutual TLS on 127.0.0.1 (a free port)."""
    async with serve_sep2(store, server_pki, device_certs, server_settings) as server:
        yield server
