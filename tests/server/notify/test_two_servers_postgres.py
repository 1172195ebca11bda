"""Two `openderms server` processes on one PostgreSQL: each Notification arrives once.

Real processes, real listeners: the device subscribes over mutual TLS at server 2,
controls are authored through the admin API of both servers, and both delivery workers
compete for the same outbox (``FOR UPDATE SKIP LOCKED``). The client's listener must see
every Notification exactly once.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from notify_listener import NotificationListener
from notify_pki import NotifyPki, make_notify_pki
from server_process import ServerProcess, admin_call
from sqlalchemy import text
from sqlmodel import select

from openderms.certs.tls import client_context
from openderms.schemas.sep2 import decode, encode
from openderms.schemas.sep2 import models as sep
from openderms.server.admin.tokens import create_token
from openderms.server.sep2 import uris
from openderms.server.store.admin import AdminRole
from openderms.server.store.db import Store, make_engine
from openderms.server.store.outbox import NotificationOutbox, OutboxStatus

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PG_ENV = "OPENDERMS_TEST_POSTGRES_URL"
CONTROLS = 6


def _pg_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {PG_ENV} is not set")
        pytest.skip(f"{PG_ENV} is not set (PostgreSQL tests need it)")
    return url


@pytest.fixture
def pg_schema_url() -> Iterator[tuple[str, str]]:
    """(URL whose connections use a fresh schema, schema name); dropped afterwards."""
    url = _pg_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {PG_ENV} unreachable: {exc}")
        pytest.skip(f"PostgreSQL at {PG_ENV} unreachable: {exc}")
    separator = "&" if "?" in url else "?"
    # libpq's `options` puts the schema first on every connection's search_path.
    yield f"{url}{separator}options={quote(f'-csearch_path={schema}')}", schema
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_two_servers_on_one_database_deliver_each_notification_once(
    pg_schema_url: tuple[str, str], tmp_path: Path
) -> None:
    db_url, schema = pg_schema_url
    pki_dir = tmp_path / "pki"
    notify_pki: NotifyPki = make_notify_pki(pki_dir)
    device = notify_pki.client
    # Migrate once up front so the two processes do not race to create the schema.
    store = Store.open(_pg_url(), schema=schema)
    token = store.call(
        create_token, name="ops", role=AdminRole.UTILITY, aggregator_lfdi=None, now=1
    ).token
    servers = [ServerProcess(pki_dir, db_url), ServerProcess(pki_dir, db_url)]
    try:
        for server in servers:
            server.wait_ready()
        with NotificationListener(notify_pki.listener_context()) as listener:
            one, two = servers
            edev = admin_call(one, token, "POST", "/devices", {"lfdi": device.identity.lfdi})["id"]
            group = admin_call(one, token, "POST", "/groups", {"description": "feeder"})["id"]
            admin_call(
                one, token, "POST", f"/groups/{group}/devices", {"lfdis": [device.identity.lfdi]}
            )
            program = admin_call(
                two, token, "POST", "/programs", {"primacy": 5, "group_ids": [group]}
            )["id"]
            derc = uris.der_control_list(edev, program)
            subscription = sep.Subscription(
                subscribedResource=derc,
                encoding=0,
                level="+S1",
                limit=50,
                notificationURI=listener.url + "/notify",
            )
            tls = client_context(device.cert, device.key, notify_pki.paths.serca_cert)
            with httpx.Client(verify=tls, timeout=10) as client:
                posted = client.post(
                    f"{two.sep2_url}/edev/{edev}/sub",
                    content=encode(subscription),
                    headers={"Content-Type": "application/sep+xml"},
                )
            assert posted.status_code == 201, posted.text

            now = int(time.time())
            for i in range(CONTROLS):
                server = servers[i % 2]
                admin_call(
                    server,
                    token,
                    "POST",
                    f"/groups/{group}/controls",
                    {
                        "start": now + 3600 * (i + 1),
                        "duration_s": 600,
                        "modes": {"op_mod_exp_lim_w": 1000 + i},
                    },
                )
            received = listener.wait_for(CONTROLS, timeout_s=30)
            # Both workers poll every second: give a duplicate two rounds to show up.
            time.sleep(2.5)
            received = listener.received
    finally:
        for server in servers:
            server.stop()
        for server in servers:
            server.wait_stopped()
    with store.session() as session:
        rows = session.exec(select(NotificationOutbox)).all()
    store.dispose()
    lists = [decode(r.body, sep.Notification).Resource for r in received]
    sizes = sorted(len(item.DERControl) for item in lists if isinstance(item, sep.DERControlList))
    assert len(received) == CONTROLS, [r.body[:80] for r in received]
    assert sizes == list(range(1, CONTROLS + 1))  # one Notification per control, none twice
    assert {(row.status, row.attempts) for row in rows} == {(OutboxStatus.DELIVERED.value, 1)}
    assert len(rows) == CONTROLS
