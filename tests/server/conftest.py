"""Fixtures for the head-end tests: a migrated store on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from server_testlib import DeviceCerts, FakeClock, Sep2Server
from sqlalchemy import text

from openderms.certs.hypercorn_tls import hypercorn_config
from openderms.certs.pki import PkiPaths, init_pki
from openderms.server.app import create_app
from openderms.server.config import ServerSettings
from openderms.server.runner import Listener, ServingHandle, serve
from openderms.server.services.changes import RecordingChangeSink
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
    clock = FakeClock()
    changes = RecordingChangeSink()
    app = create_app(server_settings, store, changes=changes, clock=clock)
    config = hypercorn_config(server_pki.server_cert, server_pki.server_key, server_pki.serca_cert)
    config.bind = ["127.0.0.1:0"]
    config.accesslog = None
    config.graceful_timeout = 1
    handle = ServingHandle()
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve([Listener(app, config, "2030.5")], shutdown_trigger=stop.wait, handle=handle)
    )
    ready = asyncio.create_task(handle.ready.wait())
    await asyncio.wait({task, ready}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()  # raises the start-up error
    host, port = handle.addresses["2030.5"][0]
    server = Sep2Server(
        base_url=f"https://{host}:{port}",
        store=store,
        clock=clock,
        settings=server_settings,
        pki=server_pki,
        changes=changes,
        _certs=device_certs,
    )
    try:
        yield server
    finally:
        for client in server._clients:
            await client.aclose()
        stop.set()
        await asyncio.wait_for(task, timeout=10)
