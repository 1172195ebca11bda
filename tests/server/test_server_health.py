"""`openderms server`'s /healthz and Prometheus /metrics on the admin listener (run_server)."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import Session

from openderms.certs.pki import PkiPaths
from openderms.server.admin.tokens import create_token
from openderms.server.changes import RecordingChangeSink
from openderms.server.config import ServerSettings
from openderms.server.main import run_server
from openderms.server.runner import ServingHandle
from openderms.server.scope import ServiceContext
from openderms.server.services import registration
from openderms.server.store.admin import AdminRole
from openderms.server.store.db import Store
from openderms.server.store.outbox import enqueue_notification
from openderms.testing.clock import NOW
from openderms.testing.head_end import wait_until_serving


@dataclass
class Served:
    client: httpx.AsyncClient
    token: str
    db: Path


@pytest.fixture
async def served(tmp_path: Path, server_pki: PkiPaths) -> AsyncIterator[Served]:
    db = tmp_path / "server.db"
    store = Store.open(str(db))
    token = store.call(
        create_token, name="ops", role=AdminRole.UTILITY, aggregator_lfdi=None, now=NOW
    ).token
    ctx = ServiceContext(now=NOW, settings=ServerSettings(), changes=RecordingChangeSink())
    for lfdi in ("1A" * 20, "2B" * 20):
        store.call(registration.register_end_device, ctx, lfdi=lfdi)

    def one_pending(session: Session) -> None:
        # Due in an hour: the server's delivery worker leaves it pending during the test.
        enqueue_notification(
            session,
            subscription_id=None,
            end_device_id=None,
            resource_href="/derp/1/derc",
            notification_uri="https://127.0.0.1:9/n",
            body=b"<Notification/>",
            now=time.time() + 3600,
        )
        session.commit()

    store.call(one_pending)
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
            yield Served(client, token, db)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)


async def test_healthz_says_the_database_answers_and_how_deep_the_outbox_is(
    served: Served,
) -> None:
    response = await served.client.get("/healthz")  # no token: load balancers call it
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "outbox": {"pending": 1, "failed": 0},
    }


async def test_metrics_need_a_token_and_count_requests_devices_and_notifications(
    served: Served,
) -> None:
    refused = await served.client.get("/metrics")
    bearer = {"Authorization": f"Bearer {served.token}"}
    await served.client.get("/devices", headers=bearer)
    await served.client.get("/devices", headers={"Authorization": "Bearer od_wrong"})
    response = await served.client.get("/metrics", headers=bearer)
    assert refused.status_code == 401
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }
    assert samples[("openderms_devices", ())] == 2
    assert samples[("openderms_devices_stale", ())] == 2  # neither has ever posted
    assert samples[("openderms_notifications", (("state", "pending"),))] == 1
    assert samples[("openderms_notifications", (("state", "failed"),))] == 0

    def requests(status: str) -> float:
        key = (
            "openderms_http_requests_total",
            (("listener", "admin"), ("method", "GET"), ("status", status)),
        )
        return samples.get(key, 0)

    assert requests("200") >= 1 and requests("401") >= 1
    assert samples[("openderms_http_request_seconds_count", (("listener", "admin"),))] >= 2
