"""A real 2030.5 server (and admin API) on loopback for the gateway's end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from openderms.server.admin.tokens import AdminRole, create_token
from openderms.server.config import ServerSettings
from openderms.server.main import run_server
from openderms.server.runner import ServingHandle
from openderms.server.store.db import Store


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
    with store.session() as session:
        token = create_token(
            session, name="tests", role=AdminRole.UTILITY, aggregator_lfdi=None, now=clock()
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
