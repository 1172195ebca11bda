"""Two `openderms server` processes on one PostgreSQL: each Notification arrives once.

Real processes, real listeners: devices subscribe over mutual TLS at both servers,
controls are authored through the admin API of both, and both delivery workers compete
for the same outbox (``FOR UPDATE SKIP LOCKED``). Every outbox row must reach the
listener exactly once, and every subscriber must end with the final list.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from notify_listener import NotificationListener
from notify_pki import NotifyPki, make_notify_pki
from server_process import ServerProcess, admin_call, subscribe
from server_testlib import fresh_postgres_schema, postgres_url
from sqlmodel import select

from openderms.certs.pki import issue_device
from openderms.schemas.sep2 import decode
from openderms.schemas.sep2 import models as sep
from openderms.server import uris
from openderms.server.admin.tokens import create_token
from openderms.server.store.admin import AdminRole
from openderms.server.store.db import Store
from openderms.server.store.outbox import NotificationOutbox, OutboxStatus

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CONTROLS = 6
DEVICES = 5


@pytest.fixture
def pg_schema_url() -> Iterator[tuple[str, str]]:
    """(URL whose connections use a fresh schema, schema name); dropped afterwards."""
    url = postgres_url()
    with fresh_postgres_schema(url) as schema:
        separator = "&" if "?" in url else "?"
        # libpq's `options` puts the schema first on every connection's search_path.
        yield f"{url}{separator}options={quote(f'-csearch_path={schema}')}", schema


def _all_delivered(store: Store) -> bool:
    with store.session() as session:
        rows = session.exec(select(NotificationOutbox)).all()
    return bool(rows) and all(row.status != OutboxStatus.PENDING.value for row in rows)


def test_two_servers_on_one_database_deliver_each_notification_once(
    pg_schema_url: tuple[str, str], tmp_path: Path
) -> None:
    db_url, schema = pg_schema_url
    pki_dir = tmp_path / "pki"
    notify_pki: NotifyPki = make_notify_pki(pki_dir)
    devices = [notify_pki.client] + [issue_device(pki_dir, f"dev{i}") for i in range(DEVICES - 1)]
    # Migrate once up front so the two processes do not race to create the schema.
    store = Store.open(postgres_url(), schema=schema)
    token = store.call(
        create_token, name="ops", role=AdminRole.UTILITY, aggregator_lfdi=None, now=1
    ).token
    servers = [ServerProcess(pki_dir, db_url), ServerProcess(pki_dir, db_url)]
    try:
        for server in servers:
            server.wait_ready()
        with NotificationListener(notify_pki.listener_context()) as listener:
            one, two = servers
            lfdis = [d.identity.lfdi for d in devices]
            edevs = [admin_call(one, token, "POST", "/devices", {"lfdi": x})["id"] for x in lfdis]
            group = admin_call(one, token, "POST", "/groups", {"description": "feeder"})["id"]
            admin_call(one, token, "POST", f"/groups/{group}/devices", {"lfdis": lfdis})
            program = admin_call(
                two, token, "POST", "/programs", {"primacy": 5, "group_ids": [group]}
            )["id"]
            for index, (device, edev) in enumerate(zip(devices, edevs, strict=True)):
                subscribe(
                    servers[index % 2],
                    device,
                    notify_pki.paths.serca_cert,
                    edev,
                    uris.der_control_list(edev, program),
                    notification_uri=f"{listener.url}/notify/{index}",
                    limit=50,
                )

            now = int(time.time())
            for i in range(CONTROLS):
                admin_call(
                    servers[i % 2],
                    token,
                    "POST",
                    f"/groups/{group}/controls",
                    {
                        "start": now + 3600 * (i + 1),
                        "duration_s": 600,
                        "modes": {"op_mod_exp_lim_w": 1000 + i},
                    },
                )
            deadline = time.monotonic() + 30
            while not _all_delivered(store):
                assert time.monotonic() < deadline, "notifications were not delivered"
                time.sleep(0.1)
            # A row claimed twice would be POSTed twice around the same moment: give any
            # such duplicate time to land before counting.
            time.sleep(1.0)
            received = listener.received
    finally:
        for server in servers:
            server.stop()
        for server in servers:
            server.wait_stopped()
    with store.session() as session:
        rows = session.exec(select(NotificationOutbox)).all()
    store.dispose()

    notes = [decode(r.body, sep.Notification) for r in received]
    per_subscription_received = Counter(n.subscriptionURI for n in notes)
    per_subscription_rows = Counter(row.subscription_id for row in rows)
    newest = {}
    for note in notes:  # in arrival order: the last one is each device's final state
        assert isinstance(note.Resource, sep.DERControlList)
        newest[note.subscriptionURI] = note.Resource.all
    # Exactly once: every outbox row was delivered by one attempt, and the listener got
    # exactly as many Notifications per subscription as there are rows for it.
    assert {(row.status, row.attempts) for row in rows} == {(OutboxStatus.DELIVERED.value, 1)}
    assert sorted(per_subscription_received.values()) == sorted(per_subscription_rows.values())
    assert len(received) == len(rows)
    # Every subscriber ends up with the final state: all controls listed.
    assert len(newest) == DEVICES
    assert set(newest.values()) == {CONTROLS}
