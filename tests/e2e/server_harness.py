"""A real 2030.5 server (and admin API) on loopback for the gateway's end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from hypercorn.config import Config

from openderms.certs.hypercorn_tls import hypercorn_config
from openderms.server.admin.app import create_admin_app
from openderms.server.admin.tokens import AdminRole, create_token
from openderms.server.app import create_app
from openderms.server.config import ServerSettings
from openderms.server.runner import Listener, ServingHandle, serve
from openderms.server.store.db import Store


@dataclass
class RunningServer:
    dcap_url: str
    admin_url: str
    token: str
    store: Store
    port: int

    def admin(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.admin_url, headers={"Authorization": f"Bearer {self.token}"}
        )


@contextlib.asynccontextmanager
async def running_server(
    pki_dir: Path,
    db_path: Path,
    *,
    clock: Callable[[], int],
    port: int = 0,
    **settings: Any,
) -> AsyncIterator[RunningServer]:
    """Serve 2030.5 over mutual TLS and the admin API over plain HTTP, both on 127.0.0.1."""
    store = Store.open(f"sqlite:///{db_path}")
    server_settings = ServerSettings(listen=f"127.0.0.1:{port}", **settings)
    with store.session() as session:
        token = create_token(
            session, name="tests", role=AdminRole.UTILITY, aggregator_lfdi=None, now=clock()
        ).token
    sep2_config = hypercorn_config(
        pki_dir / "server.pem", pki_dir / "server.key", pki_dir / "serca.pem"
    )
    sep2_config.bind = [f"127.0.0.1:{port}"]
    sep2_config.graceful_timeout = 0.5
    admin_config = Config()
    admin_config.bind = ["127.0.0.1:0"]
    admin_config.graceful_timeout = 0.5
    listeners = [
        Listener(create_app(server_settings, store, clock=clock), sep2_config, "2030.5"),
        Listener(
            create_admin_app(store, settings=server_settings, clock=clock), admin_config, "admin"
        ),
    ]
    stop = asyncio.Event()
    handle = ServingHandle()
    task = asyncio.create_task(serve(listeners, shutdown_trigger=stop.wait, handle=handle))
    ready = asyncio.create_task(handle.ready.wait())
    done, _ = await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        ready.cancel()
        task.result()  # raises what went wrong
    sep2_port = handle.addresses["2030.5"][0][1]
    admin_port = handle.addresses["admin"][0][1]
    try:
        yield RunningServer(
            dcap_url=f"https://127.0.0.1:{sep2_port}/dcap",
            admin_url=f"http://127.0.0.1:{admin_port}",
            token=token,
            store=store,
            port=sep2_port,
        )
    finally:
        stop.set()
        await task
        store.dispose()
