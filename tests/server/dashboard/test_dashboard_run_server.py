"""`openderms server` (run_server) serves the dashboard on its admin listener."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import httpx

from openderms.certs.pki import PkiPaths
from openderms.server.admin.tokens import create_token
from openderms.server.config import ServerSettings
from openderms.server.main import run_server
from openderms.server.runner import ServingHandle
from openderms.server.store.admin import AdminRole
from openderms.server.store.db import Store
from openderms.testing.clock import NOW
from openderms.testing.head_end import wait_until_serving


async def test_run_server_serves_the_dashboard_beside_the_admin_api(
    tmp_path: Path, server_pki: PkiPaths
) -> None:
    db = tmp_path / "server.db"
    store = Store.open(str(db))
    token = store.call(
        create_token, name="ops", role=AdminRole.UTILITY, aggregator_lfdi=None, now=NOW
    ).token
    store.dispose()
    settings = ServerSettings(
        listen="127.0.0.1:0",
        admin_listen="127.0.0.1:0",
        db_url=str(db),
        certs_dir=server_pki.directory,
    )
    stop, handle = asyncio.Event(), ServingHandle()
    task = asyncio.create_task(
        run_server(settings, shutdown_trigger=stop.wait, handle=handle, clock=lambda: NOW)
    )
    await wait_until_serving(task, handle)
    port = handle.addresses["admin"][0][1]
    trust = ssl.create_default_context(cafile=str(server_pki.serca_cert))
    trust.check_hostname = False
    try:
        async with httpx.AsyncClient(
            base_url=f"https://127.0.0.1:{port}", verify=trust, timeout=10
        ) as client:
            login = await client.get("/dashboard/login")
            bare = await client.get("/dashboard")
            fleet = await client.get(
                "/dashboard/api/fleet", headers={"Authorization": f"Bearer {token}"}
            )
            admin = await client.get("/devices", headers={"Authorization": f"Bearer {token}"})
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
    assert login.status_code == 200
    assert "Admin token" in login.text
    assert bare.status_code == 303  # /dashboard itself asks for a login too
    assert fleet.status_code == 200
    assert fleet.json()["all"] == 0
    assert admin.status_code == 200
