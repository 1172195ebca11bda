"""Cost of Subscription/Notification through the outbox, measured in one run.

- fan-out: one group DERControl for N subscribed devices through the programs service,
  with the outbox sink (one INSERT ... SELECT queues a row per subscription, in the
  authoring transaction) against the same call with no sink (baseline).
- delivery: those N Notifications rendered (each device's DERControlList as it would GET
  it) and POSTed by the delivery worker to a mutual-TLS listener on 127.0.0.1 (TLS 1.2
  CCM-8, the worker's real httpx client), Notifications/s.
- outbox: claim + record of M pre-rendered rows in batches of 50 (one transaction per
  claim and one per batch of outcomes), rows/s, SQLite and (when
  $OPENDERMS_TEST_POSTGRES_URL is set) PostgreSQL.

Usage: python benchmarks/bench_notify.py [--devices 200] [--rows 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "server" / "notify"))

from notify_listener import NotificationListener
from notify_pki import make_notify_pki

from openderms.schemas.sep2 import models as sep
from openderms.server import uris
from openderms.server.changes import ChangeSink, NullChangeSink
from openderms.server.config import ServerSettings
from openderms.server.notify.sink import OutboxChangeSink
from openderms.server.notify.worker import DeliveryWorker
from openderms.server.scope import Scope, ServiceContext
from openderms.server.services import programs, registration
from openderms.server.services.subscriptions import create_subscription
from openderms.server.store.db import Store, make_engine
from openderms.server.store.outbox import (
    claim_due_notifications,
    enqueue_notification,
    record_delivered,
)

NOW = 1_800_000_000


def _fleet(store: Store, devices: int, uri: str) -> tuple[int, int]:
    """A group of subscribed devices with one program: (group id, program id)."""
    settings = ServerSettings()
    ctx = ServiceContext(now=NOW, settings=settings)
    group = store.call(programs.create_group, ctx, description="bench")
    ids = []
    for i in range(devices):
        lfdi = f"{i:040X}"
        ids.append(store.call(registration.register_end_device, ctx, lfdi=lfdi).id)
    assert group.id is not None
    store.call(programs.assign_devices, ctx, group.id, ids)
    program = store.call(programs.create_program, ctx, primacy=1, group_ids=[group.id])
    assert program.id is not None
    for i, edev in enumerate(ids):
        body = sep.Subscription(
            subscribedResource=uris.der_control_list(edev, program.id),
            encoding=0,
            level="+S1",
            limit=10,
            notificationURI=uri,
        )
        store.call(create_subscription, ctx, Scope(lfdi=f"{i:040X}", sfdi=0), edev, body)
    return group.id, program.id


def _control(store: Store, program_id: int, sink: ChangeSink, offset: int) -> float:
    ctx = ServiceContext(now=NOW, settings=ServerSettings(), changes=sink)
    started = time.perf_counter()
    store.call(
        programs.create_der_control,
        ctx,
        program_id=program_id,
        start_time=NOW + 3600 * offset,
        duration_s=600,
        modes=programs.ControlModes(op_mod_exp_lim_w=1000.0),
    )
    return time.perf_counter() - started


async def bench_fanout_and_delivery(devices: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pki = make_notify_pki(Path(tmp) / "pki")
        store = Store.open(f"sqlite:///{Path(tmp) / 'b.db'}")
        with NotificationListener(pki.listener_context()) as listener:
            _, program = _fleet(store, devices, listener.url + "/n")
            base = min(_control(store, program, NullChangeSink(), i) for i in range(1, 4))
            sink = OutboxChangeSink(ServerSettings(), clock=lambda: float(NOW))
            ours = _control(store, program, sink, 4)
            worker = DeliveryWorker(
                store, pki.server_client_context(), rng=random.Random(1), clock=lambda: NOW + 1.0
            )
            started = time.perf_counter()
            report = await worker.drain()
            elapsed = time.perf_counter() - started
            assert report.delivered == devices == len(listener.received)
        store.dispose()
    print(
        f"fan-out  {devices} subscribers: control with outbox {ours * 1000:7.1f} ms "
        f"({ours / devices * 1e6:5.0f} us/subscriber), without {base * 1000:6.1f} ms, "
        f"ratio {ours / base:4.1f}x"
    )
    print(
        f"delivery render + mutual TLS POST: {devices} Notifications in {elapsed:5.2f} s "
        f"= {devices / elapsed:5.0f} /s ({elapsed / devices * 1000:4.1f} ms each)"
    )


def bench_outbox(store: Store, label: str, rows: int) -> None:
    with store.session() as session:
        for i in range(rows):
            enqueue_notification(
                session,
                subscription_id=None,
                end_device_id=None,
                resource_href="/x",
                notification_uri="https://127.0.0.1:9/n",
                body=b"<Notification/>" * 20,
                now=NOW + i * 1e-6,
            )
        session.commit()
    started = time.perf_counter()
    done = 0
    while True:
        batch = store.call(
            claim_due_notifications,
            now=NOW + 1,
            limit=50,
            lease_s=60,
            claim_token=uuid.uuid4().hex,
        )
        if not batch:
            break
        with store.session() as session:
            for item in batch:
                record_delivered(session, item, now=NOW + 1, status_code=201, commit=False)
            session.commit()
        done += len(batch)
    elapsed = time.perf_counter() - started
    print(
        f"outbox   {label:10s}: claim+record {done} rows in {elapsed:5.2f} s "
        f"= {done / elapsed:7.0f} rows/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--rows", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(bench_fanout_and_delivery(args.devices))
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'o.db'}")
        bench_outbox(store, "SQLite", args.rows)
        store.dispose()
    url = os.environ.get("OPENDERMS_TEST_POSTGRES_URL")
    if url:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            store = Store.open(url, schema=schema)
            bench_outbox(store, "PostgreSQL", args.rows)
            store.dispose()
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
