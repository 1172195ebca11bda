"""Database faults (issue 12, items 2 and 4): a PostgreSQL partition that drops packets, a
PostgreSQL backend killed under the server, and a SQLite write lock held by another
process. Every request is answered in bounded time (503 with a 2030.5 Error body while
the database is away) and the server recovers without a restart."""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from hardening_testlib import BlackHoleProxy, Tally
from server_testlib import fresh_postgres_schema, postgres_url
from sqlalchemy import text

from openderms.certs.pki import PkiPaths
from openderms.schemas.sep2.codec import SEP_XML
from openderms.server.config import ServerSettings
from openderms.server.store.db import Store, make_engine
from openderms.testing.head_end import DeviceCerts, Sep2Server, enroll, error_reason, serve_sep2

#: The store's deadline in these tests [s]; a request may take it plus TLS and scheduling.
CALL_TIMEOUT_S = 1.5
ANSWER_WITHIN_S = CALL_TIMEOUT_S + 3.0
PARTITIONS = 5


@pytest.fixture
def postgres_schema() -> Iterator[tuple[str, str]]:
    url = postgres_url()
    with fresh_postgres_schema(url) as schema:
        Store.open(url, schema=schema).dispose()
        yield url, schema


def _through(url: str, port: int) -> str:
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    return f"postgresql://{user}127.0.0.1:{port}{parts.path}"


@pytest.fixture
async def partitioned_server(
    postgres_schema: tuple[str, str],
    server_pki: PkiPaths,
    device_certs: DeviceCerts,
) -> AsyncIterator[tuple[Sep2Server, BlackHoleProxy]]:
    url, schema = postgres_schema
    upstream = urlsplit(url)
    async with BlackHoleProxy((upstream.hostname or "127.0.0.1", upstream.port or 5432)) as proxy:
        store = Store.open(
            _through(url, proxy.port), schema=schema, migrate=False, call_timeout_s=CALL_TIMEOUT_S
        )
        try:
            async with serve_sep2(store, server_pki, device_certs, ServerSettings()) as srv:
                yield srv, proxy
        finally:
            store.dispose()


async def _timed_get(client: httpx.AsyncClient, path: str) -> tuple[float, httpx.Response | None]:
    began = time.monotonic()
    try:
        response: httpx.Response | None = await client.get(path, timeout=ANSWER_WITHIN_S + 5)
    except httpx.HTTPError:
        response = None
    return time.monotonic() - began, response


@pytest.mark.postgres
async def test_postgres_partition_answers_503_and_recovers(
    partitioned_server: tuple[Sep2Server, BlackHoleProxy],
) -> None:
    srv, proxy = partitioned_server
    e = await asyncio.to_thread(enroll, srv, "partitioned")  # the proxy runs on this loop
    client = srv.client("partitioned")
    paths = ["/dcap", "/edev", f"/edev/{e.device_id}", f"/edev/{e.device_id}/fsa"]
    tally = Tally(f"PostgreSQL partition (packets dropped), {PARTITIONS} partitions")
    assert (await client.get("/dcap")).status_code == 200
    for partition in range(PARTITIONS):
        proxy.partition()
        # Two rounds: the pooled connections hang first, then new connections do.
        for _ in range(2):
            answers = await asyncio.gather(*(_timed_get(client, p) for p in paths))
            for path, (took, response) in zip(paths, answers, strict=True):
                ok = (
                    response is not None
                    and response.status_code == 503
                    and response.headers.get("content-type") == SEP_XML
                    and "retry-after" in response.headers
                    and took <= ANSWER_WITHIN_S
                )
                status = None if response is None else response.status_code
                tally.check(ok, f"partition {partition} {path}: {status} in {took:.1f} s")
                if response is not None and response.status_code == 503:
                    error_reason(response)  # a 2030.5 Error body
        proxy.heal()
        deadline = time.monotonic() + 30
        recovered = False
        while time.monotonic() < deadline and not recovered:
            _, response = await _timed_get(client, f"/edev/{e.device_id}")
            recovered = response is not None and response.status_code == 200
        tally.check(recovered, f"partition {partition}: no 200 within 30 s of healing")
    assert tally.report() == []


@pytest.mark.postgres
async def test_postgres_backend_killed_is_survived(
    postgres_schema: tuple[str, str], server_pki: PkiPaths, device_certs: DeviceCerts
) -> None:
    url, schema = postgres_schema
    name = f"od-hardening-{uuid.uuid4().hex[:8]}"
    sep = "&" if "?" in url else "?"
    store = Store.open(
        f"{url}{sep}application_name={name}", schema=schema, migrate=False, call_timeout_s=3
    )
    admin = make_engine(url)
    tally = Tally("PostgreSQL backends killed (pg_terminate_backend) under load")
    try:
        async with serve_sep2(store, server_pki, device_certs, ServerSettings()) as srv:
            e = enroll(srv, "survivor")
            client = srv.client("survivor")
            for kill in range(5):
                await asyncio.gather(*(client.get("/dcap") for _ in range(5)))  # fill the pool
                with admin.begin() as conn:
                    killed = conn.execute(
                        text(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE application_name = :name"
                        ),
                        {"name": name},
                    ).scalar()
                tally.check(bool(killed), f"round {kill}: no backend to kill")
                answers = await asyncio.gather(
                    *(client.get(f"/edev/{e.device_id}") for _ in range(5))
                )
                for response in answers:
                    tally.check(
                        response.status_code in (200, 503), f"round {kill}: {response.status_code}"
                    )
                after = await client.get(f"/edev/{e.device_id}")
                tally.check(after.status_code == 200, f"round {kill}: then {after.status_code}")
    finally:
        store.dispose()
        admin.dispose()
    assert tally.report() == []


async def test_sqlite_write_lock_held_elsewhere_does_not_freeze_requests(
    tmp_path: Path, server_pki: PkiPaths, device_certs: DeviceCerts, _sqlite_template: Path
) -> None:
    """Another process holds the write lock: reads go on, writes get 503 in bounded time."""
    import shutil

    path = tmp_path / "locked.db"
    shutil.copyfile(_sqlite_template, path)
    store = Store.open(f"sqlite:///{path}", migrate=False, call_timeout_s=CALL_TIMEOUT_S + 3)
    tally = Tally("SQLite write lock held by another connection for 8 s")
    try:
        async with serve_sep2(store, server_pki, device_certs, ServerSettings()) as srv:
            e = enroll(srv, "sqlite-locked")
            client = srv.client("sqlite-locked")
            holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            holder.execute("BEGIN IMMEDIATE")  # the write lock, as another process would
            try:
                began = time.monotonic()
                event = (
                    b'<LogEvent xmlns="urn:ieee:std:2030.5:ns"><createdDateTime>1'
                    b"</createdDateTime><functionSet>0</functionSet><logEventCode>1"
                    b"</logEventCode><logEventID>1</logEventID><logEventPEN>1</logEventPEN>"
                    b"<profileID>0</profileID></LogEvent>"
                )
                write = asyncio.create_task(
                    client.post(
                        f"/edev/{e.device_id}/lel",
                        content=event,
                        headers={"Content-Type": SEP_XML},
                    )
                )
                await asyncio.sleep(0.2)
                for _ in range(10):
                    took, response = await _timed_get(client, f"/edev/{e.device_id}")
                    tally.check(
                        response is not None
                        and response.status_code == 200
                        and took < 2.0,  # the lock wait is 3 s
                        f"read during the lock: {response and response.status_code} {took:.1f} s",
                    )
                written = await write
                took = time.monotonic() - began
                tally.check(
                    written.status_code == 503 and took < CALL_TIMEOUT_S + 5,
                    f"write during the lock: {written.status_code} after {took:.1f} s",
                )
            finally:
                holder.execute("ROLLBACK")
                holder.close()
            after = await client.post(
                f"/edev/{e.device_id}/lel", content=event, headers={"Content-Type": SEP_XML}
            )
            tally.check(after.status_code == 201, f"write after the lock: {after.status_code}")
    finally:
        store.dispose()
    assert tally.report() == []


def test_sqlite_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    """Item 8: db.sqlite and its -wal/-shm hold registration PINs: mode 0600."""
    path = tmp_path / "private.db"
    tally = Tally("SQLite database, WAL and SHM file modes")
    store = Store.open(f"sqlite:///{path}")
    try:
        with store.session() as session:  # a write makes the WAL and SHM files
            session.execute(text("CREATE TABLE probe (x INTEGER)"))
            session.commit()
            for suffix in ("", "-wal", "-shm"):
                mode = (tmp_path / f"private.db{suffix}").stat().st_mode & 0o777
                tally.check(mode == 0o600, f"private.db{suffix}: {oct(mode)}")
    finally:
        store.dispose()
    assert tally.report() == []
