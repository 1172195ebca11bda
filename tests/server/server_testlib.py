"""Harness of the head-end API tests: a fake clock, device certificates, clients."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

import httpx
import pytest
from sqlalchemy import text

from openderms.certs.identity import DeviceIdentity
from openderms.certs.pki import DeviceFiles, PkiPaths, issue_device
from openderms.certs.tls import client_context
from openderms.schemas.sep2.codec import SEP_XML
from openderms.server.config import ServerSettings
from openderms.server.runner import ServingHandle
from openderms.server.scope import ServiceContext
from openderms.server.services.changes import RecordingChangeSink
from openderms.server.store.db import Store, make_engine
from openderms.server.store.models import ControlModeColumns, DERControlRow

T = TypeVar("T")

#: The PostgreSQL server of the tests (CI sets it; see the brief's rules on skipping).
PG_ENV = "OPENDERMS_TEST_POSTGRES_URL"


def postgres_url() -> str:
    """$OPENDERMS_TEST_POSTGRES_URL; skips when unset, fails instead when CI=true."""
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {PG_ENV} is not set")
        pytest.skip(f"{PG_ENV} is not set (PostgreSQL tests need it)")
    return url


@contextmanager
def fresh_postgres_schema(url: str) -> Iterator[str]:
    """A new empty schema on ``url``, dropped with everything in it afterwards.

    An unreachable server skips the test, or fails it when CI=true.
    """
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # unreachable server: fail in CI, else skip
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {PG_ENV} unreachable: {exc}")
        pytest.skip(f"PostgreSQL at {PG_ENV} unreachable: {exc}")
    try:
        yield schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# --- a real head-end over mutual TLS on loopback -------------------------------------------

#: The fixed "now" of API tests [s since the epoch] (2027-01-15T08:00:00Z).
NOW = 1_800_000_000


class FakeClock:
    """The server's time source in tests: set ``now``, never sleep."""

    def __init__(self, now: int = NOW) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


@dataclass
class Sep2Server:
    """A running head-end: its URL, store, clock, and clients with device certificates."""

    base_url: str
    store: Store
    clock: FakeClock
    settings: ServerSettings
    pki: PkiPaths
    changes: RecordingChangeSink
    _certs: DeviceCerts
    _clients: list[httpx.AsyncClient] = field(default_factory=list)

    def ctx(self) -> ServiceContext:
        """The service context an admin call at the server's current time would get."""
        return ServiceContext(now=self.clock.now, settings=self.settings, changes=self.changes)

    def identity(self, name: str, *, aggregator: bool = False) -> DeviceIdentity:
        return self._certs.get(name, aggregator=aggregator).identity

    def client(self, name: str, *, aggregator: bool = False) -> httpx.AsyncClient:
        """An httpx client presenting device certificate `name` (made on first use)."""
        files = self._certs.get(name, aggregator=aggregator)
        context = client_context(files.cert, files.key, self.pki.serca_cert, check_hostname=False)
        client = httpx.AsyncClient(
            base_url=self.base_url, verify=context, headers={"Accept": SEP_XML}, timeout=10
        )
        self._clients.append(client)
        return client


class DeviceCerts:
    """Device certificates of the session PKI, issued once per name."""

    def __init__(self, pki: PkiPaths) -> None:
        self.pki = pki
        self._files: dict[str, DeviceFiles] = {}

    def get(self, name: str, *, aggregator: bool = False) -> DeviceFiles:
        if name not in self._files:
            self._files[name] = issue_device(self.pki.directory, name, aggregator=aggregator)
        return self._files[name]


def body(resource: object) -> bytes:
    """Encode a 2030.5 resource as a request body."""
    from openderms.schemas.sep2.codec import encode

    return encode(resource)


XML_HEADERS = {"Content-Type": SEP_XML}


def parse(response: httpx.Response, cls: type[T]) -> T:
    """Decode a 200 response as `cls`, checking status and media type."""
    from openderms.schemas.sep2.codec import decode

    assert response.status_code == 200, (response.status_code, response.text)
    assert response.headers["content-type"] == SEP_XML
    return decode(response.content, cls)


def error_reason(response: httpx.Response) -> int:
    """The reasonCode of a 2030.5 Error body (checks the media type)."""
    from openderms.schemas.sep2 import models as sep
    from openderms.schemas.sep2.codec import decode

    assert response.headers["content-type"] == SEP_XML, response.text
    return decode(response.content, sep.Error).reasonCode


@dataclass(frozen=True)
class Enrolled:
    """A registered device in a group whose program it sees."""

    device_id: int
    group_id: int
    program_id: int


def enroll(
    srv: Sep2Server, name: str, *, primacy: int = 10, aggregator: str | None = None
) -> Enrolled:
    """Register certificate `name` out of band, in a new group with a new program."""
    from openderms.server.services import programs, registration

    ident = srv.identity(name)
    aggregator_lfdi = (
        None if aggregator is None else srv.identity(aggregator, aggregator=True).lfdi
    )
    device = srv.store.call(
        registration.register_end_device,
        srv.ctx(),
        lfdi=ident.lfdi,
        aggregator_lfdi=aggregator_lfdi,
    )
    group = srv.store.call(programs.create_group, srv.ctx(), description=name)
    assert device.id is not None and group.id is not None
    srv.store.call(programs.assign_devices, srv.ctx(), group.id, [device.id])
    program = srv.store.call(
        programs.create_program, srv.ctx(), primacy=primacy, group_ids=[group.id]
    )
    assert program.id is not None
    return Enrolled(device.id, group.id, program.id)


def schedule_control(
    srv: Sep2Server,
    program_id: int,
    *,
    start_time: int = NOW,
    duration_s: int = 60,
    modes: ControlModeColumns | None = None,
) -> DERControlRow:
    """Schedule a DERControl in a program; by default zero export from NOW for 60 s."""
    from openderms.server.services import programs

    return srv.store.call(
        programs.create_der_control,
        srv.ctx(),
        program_id=program_id,
        start_time=start_time,
        duration_s=duration_s,
        modes=ControlModeColumns(op_mod_exp_lim_w=0.0) if modes is None else modes,
    )


async def wait_until_serving(
    task: asyncio.Task[None], handle: ServingHandle, *, timeout_s: float = 10
) -> None:
    """Wait until the server ``task`` listens; re-raise its error if it failed to start."""
    ready = asyncio.create_task(handle.ready.wait())
    await asyncio.wait({task, ready}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()  # raises the start-up error
