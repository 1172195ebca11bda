"""The dashboard served as in a head-end: admin app + dashboard on one TLS listener."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator

import httpx
import pytest
from dashboard_testlib import AGGREGATOR_LFDI, DashboardServer, seed
from hypercorn.config import Config

from openderms.certs.pki import PkiPaths
from openderms.server.admin.app import create_admin_app
from openderms.server.admin.tokens import create_token
from openderms.server.dashboard import mount_dashboard
from openderms.server.runner import Listener, ServingHandle, serve
from openderms.server.store.admin import AdminRole
from openderms.server.store.db import Store
from openderms.testing.clock import NOW, FakeClock
from openderms.testing.head_end import wait_until_serving


@pytest.fixture
async def dashboard(store: Store, server_pki: PkiPaths) -> AsyncIterator[DashboardServer]:
    """Admin API + dashboard over TLS on 127.0.0.1, seeded, with utility/aggregator tokens."""
    clock = FakeClock()

    def issue(role: AdminRole, lfdi: str | None) -> str:
        return store.call(
            create_token, name=f"{role.value} desk", role=role, aggregator_lfdi=lfdi, now=NOW
        ).token

    seeded = seed(store, clock)
    utility, aggregator = (
        issue(AdminRole.UTILITY, None),
        issue(AdminRole.AGGREGATOR, AGGREGATOR_LFDI),
    )
    admin = create_admin_app(store, clock=clock)
    app = mount_dashboard(admin, store, clock=clock, secret=b"test-secret")
    config = Config()
    config.bind = ["127.0.0.1:0"]
    config.certfile, config.keyfile = str(server_pki.server_cert), str(server_pki.server_key)
    config.accesslog = None
    config.graceful_timeout = 1
    handle = ServingHandle()
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve([Listener(app, config, "admin")], shutdown_trigger=stop.wait, handle=handle)
    )
    await wait_until_serving(task, handle)
    host, port = handle.addresses["admin"][0]
    trust = ssl.create_default_context(cafile=str(server_pki.serca_cert))
    trust.check_hostname = False  # the 2030.5 server certificate names no host
    base_url = f"https://{host}:{port}"
    client = httpx.AsyncClient(base_url=base_url, verify=trust, timeout=10)
    try:
        yield DashboardServer(base_url, store, clock, utility, aggregator, client, seeded)
    finally:
        await client.aclose()
        stop.set()
        await asyncio.wait_for(task, timeout=10)
