"""A Notification survives a killed server: the next server process delivers it.

Real processes on one SQLite file: server 1 commits the change and its outbox row, its
first delivery fails (the client's listener is down), then it is killed (SIGKILL, no
shutdown code runs). The listener comes up; server 2, a new process on the same
database, retries after the backoff and delivers the Notification exactly once.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from notify_listener import NotificationListener
from notify_pki import make_notify_pki
from server_process import ServerProcess, admin_call, subscribe
from sqlmodel import select

from openderms.schemas.sep2 import decode
from openderms.schemas.sep2 import models as sep
from openderms.server import uris
from openderms.server.admin.tokens import create_token
from openderms.server.store.admin import AdminRole
from openderms.server.store.db import Store
from openderms.server.store.outbox import NotificationOutbox, OutboxStatus

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _outbox(store: Store) -> list[NotificationOutbox]:
    with store.session() as session:
        return list(session.exec(select(NotificationOutbox)).all())


def _wait_until(predicate: object, timeout_s: float) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_notification_left_by_a_killed_server_is_delivered_by_the_next_one(
    tmp_path: Path,
) -> None:
    pki_dir = tmp_path / "pki"
    notify_pki = make_notify_pki(pki_dir)
    lfdi = notify_pki.client.identity.lfdi
    db = tmp_path / "server.db"
    store = Store.open(f"sqlite:///{db}")
    token = store.call(
        create_token, name="ops", role=AdminRole.UTILITY, aggregator_lfdi=None, now=1
    ).token
    port = _free_port()  # the client's listener will live here, but is down for now
    first = ServerProcess(pki_dir, str(db)).wait_ready()
    try:
        edev = admin_call(first, token, "POST", "/devices", {"lfdi": lfdi})["id"]
        group = admin_call(first, token, "POST", "/groups", {})["id"]
        admin_call(first, token, "POST", f"/groups/{group}/devices", {"lfdis": [lfdi]})
        program = admin_call(
            first, token, "POST", "/programs", {"primacy": 1, "group_ids": [group]}
        )["id"]
        subscribe(
            first,
            notify_pki.client,
            notify_pki.paths.serca_cert,
            edev,
            uris.der_control_list(edev, program),
            notification_uri=f"https://127.0.0.1:{port}/notify",
            limit=10,
        )
        admin_call(
            first,
            token,
            "POST",
            f"/groups/{group}/controls",
            {"duration_s": 3600, "modes": {"op_mod_exp_lim_w": 2500}},
        )
        _wait_until(lambda: [r.attempts for r in _outbox(store)] == [1], timeout_s=15)
    finally:
        first.process.kill()  # SIGKILL: no graceful shutdown, no last-minute delivery
        first.wait_stopped()

    (row,) = _outbox(store)
    assert row.status == OutboxStatus.PENDING.value
    assert row.last_error is not None and "ConnectError" in row.last_error

    with NotificationListener(notify_pki.listener_context(), port=port) as listener:
        second = ServerProcess(pki_dir, str(db)).wait_ready()
        try:
            received = listener.wait_for(1, timeout_s=20)
            _wait_until(lambda: _outbox(store)[0].status != OutboxStatus.PENDING.value, 10)
        finally:
            second.stop()
            second.wait_stopped()
    (row,) = _outbox(store)
    store.dispose()
    assert len(received) == 1
    note = decode(received[0].body, sep.Notification)
    assert isinstance(note.Resource, sep.DERControlList) and note.Resource.all == 1
    assert (row.status, row.attempts) == (OutboxStatus.DELIVERED.value, 2)
