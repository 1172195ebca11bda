"""A real head-end on loopback: ``openderms server`` in-process for a gateway under test, and
the bare 2030.5 app over mutual TLS with per-name device certificates for API tests."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from openderms.certs.identity import DeviceIdentity
from openderms.certs.pki import DeviceFiles, PkiPaths, issue_device
from openderms.certs.tls import client_context
from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.codec import SEP_XML, decode, encode
from openderms.server.admin.tokens import AdminRole, create_token
from openderms.server.app import create_app
from openderms.server.changes import RecordingChangeSink
from openderms.server.config import ServerSettings
from openderms.server.hypercorn_tls import hypercorn_config
from openderms.server.main import run_server
from openderms.server.runner import Listener, ServingHandle, serve
from openderms.server.scope import ServiceContext
from openderms.server.services import programs, registration
from openderms.server.store.db import Store
from openderms.server.store.models import ControlModeColumns, DERControlRow
from openderms.testing.clock import NOW, FakeClock

T = TypeVar("T")


@dataclass
class RunningServer:
    dcap_url: str
    admin_url: str
    token: str
    store: Store
    port: int
    admin_verify: ssl.SSLContext | bool = False

    def admin(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.admin_url,
            headers={"Authorization": f"Bearer {self.token}"},
            verify=self.admin_verify,
        )


async def _admin_scheme(port: int, verify: ssl.SSLContext) -> str:
    """The admin listener serves TLS with the server certificate when the server has a
    PKI, plain HTTP otherwise: ask it."""
    async with httpx.AsyncClient(verify=verify) as client:
        try:
            await client.get(f"https://127.0.0.1:{port}/")
        except httpx.TransportError:
            return "http"
    return "https"


@contextlib.asynccontextmanager
async def running_server(
    pki_dir: Path,
    db_path: Path,
    *,
    clock: Callable[[], int],
    port: int = 0,
    **settings: Any,
) -> AsyncIterator[RunningServer]:
    """``openderms server`` in-process: 2030.5 over mutual TLS, the admin API over plain
    HTTP and the notification worker, all on 127.0.0.1."""
    store = Store.open(str(db_path))
    token = store.call(
        create_token, name="tests", role=AdminRole.UTILITY, aggregator_lfdi=None, now=clock()
    ).token
    server_settings = ServerSettings(
        listen=f"127.0.0.1:{port}",
        admin_listen="127.0.0.1:0",
        db_url=str(db_path),
        certs_dir=pki_dir,
        **settings,
    )
    stop = asyncio.Event()
    handle = ServingHandle()
    task = asyncio.create_task(
        run_server(server_settings, shutdown_trigger=stop.wait, handle=handle, clock=clock)
    )
    ready = asyncio.create_task(handle.ready.wait())
    done, _ = await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        ready.cancel()
        task.result()  # raises what went wrong
    sep2_port = handle.addresses["2030.5"][0][1]
    admin_port = handle.addresses["admin"][0][1]
    verify = ssl.create_default_context(cafile=str(pki_dir / "serca.pem"))
    scheme = await _admin_scheme(admin_port, verify)
    try:
        yield RunningServer(
            dcap_url=f"https://127.0.0.1:{sep2_port}/dcap",
            admin_url=f"{scheme}://127.0.0.1:{admin_port}",
            token=token,
            store=store,
            port=sep2_port,
            admin_verify=verify if scheme == "https" else False,
        )
    finally:
        stop.set()
        await task
        store.dispose()


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
    return encode(resource)


XML_HEADERS = {"Content-Type": SEP_XML}


def parse(response: httpx.Response, cls: type[T]) -> T:
    """Decode a 200 response as `cls`, checking status and media type."""
    assert response.status_code == 200, (response.status_code, response.text)
    assert response.headers["content-type"] == SEP_XML
    return decode(response.content, cls)


def error_reason(response: httpx.Response) -> int:
    """The reasonCode of a 2030.5 Error body (checks the media type)."""
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


@contextlib.asynccontextmanager
async def serve_sep2(
    store: Store, pki: PkiPaths, certs: DeviceCerts, settings: ServerSettings
) -> AsyncIterator[Sep2Server]:
    """The 2030.5 app served by hypercorn over mutual TLS on 127.0.0.1 (a free port), with a
    :class:`FakeClock` at :data:`NOW`; closes the clients it handed out when it stops."""
    clock = FakeClock()
    changes = RecordingChangeSink()
    app = create_app(settings, store, changes=changes, clock=clock)
    config = hypercorn_config(pki.server_cert, pki.server_key, pki.serca_cert)
    config.bind = ["127.0.0.1:0"]
    config.accesslog = None
    config.graceful_timeout = 1
    handle = ServingHandle()
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve([Listener(app, config, "2030.5")], shutdown_trigger=stop.wait, handle=handle)
    )
    await wait_until_serving(task, handle)
    host, port = handle.addresses["2030.5"][0]
    server = Sep2Server(
        base_url=f"https://{host}:{port}",
        store=store,
        clock=clock,
        settings=settings,
        pki=pki,
        changes=changes,
        _certs=certs,
    )
    try:
        yield server
    finally:
        for client in server._clients:
            await client.aclose()
        stop.set()
        await asyncio.wait_for(task, timeout=10)
