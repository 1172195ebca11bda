"""kill -9 during posting (issue 12, item 9): `openderms server` is killed while a device
posts readings as fast as it can; after a restart on the same database every reading the
server acknowledged (201) is stored."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest
from hardening_testlib import Tally
from server_process import ServerProcess

from openderms.certs.pki import init_pki, issue_device
from openderms.certs.tls import client_context
from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.codec import SEP_XML, encode
from openderms.server.config import ServerSettings
from openderms.server.scope import ServiceContext
from openderms.server.services import registration
from openderms.server.store.db import Store
from openderms.server.store.models import MirrorReadingRow
from openderms.testing.sep2_builders import site_mirror

pytestmark = pytest.mark.slow

START = 1_800_000_000
PER_POST = 20
XML_HEADERS = {"Content-Type": SEP_XML}


def _batch(first: int) -> bytes:
    return encode(
        sep.MirrorMeterReading(
            mRID=sep.mRIDType(value=b"\x66" * 16),
            MirrorReadingSet=[
                sep.MirrorReadingSet(
                    mRID=sep.mRIDType(value=first.to_bytes(16, "big")),
                    timePeriod=sep.DateTimeInterval(
                        start=sep.TimeType(value=first), duration=PER_POST
                    ),
                    Reading=[
                        sep.Reading(
                            value=first + i,
                            timePeriod=sep.DateTimeInterval(
                                start=sep.TimeType(value=first + i), duration=1
                            ),
                        )
                        for i in range(PER_POST)
                    ],
                )
            ],
        )
    )


def test_no_acknowledged_reading_is_lost_to_kill_9(tmp_path: Path) -> None:
    pki = init_pki(tmp_path / "pki")
    meter = issue_device(pki.directory, "killed-meter")
    db = tmp_path / "server.db"
    store = Store.open(f"sqlite:///{db}")
    lfdi = meter.identity.lfdi
    store.call(
        registration.register_end_device, ServiceContext(START, ServerSettings()), lfdi=lfdi
    )
    store.dispose()
    tally = Tally("readings acknowledged before kill -9, found after restart")
    server = ServerProcess(pki.directory, str(db)).wait_ready()
    tls = client_context(meter.cert, meter.key, pki.serca_cert, check_hostname=False)
    acknowledged: list[int] = []
    try:
        with httpx.Client(base_url=server.sep2_url, verify=tls, timeout=5) as client:
            mirror = site_mirror(lfdi, 0x77, 0x66)
            created = client.post("/mup", content=encode(mirror), headers=XML_HEADERS)
            assert created.status_code == 201, created.text
            location = created.headers["location"]
            killer = threading.Timer(1.5, os.kill, (server.process.pid, signal.SIGKILL))
            killer.start()
            first = START
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                try:
                    answer = client.post(location, content=_batch(first), headers=XML_HEADERS)
                except httpx.HTTPError:
                    break  # the server is gone
                if answer.status_code == 201:
                    acknowledged.extend(range(first, first + PER_POST))
                first += PER_POST
            killer.join()
    finally:
        server.stop()
        server.wait_stopped()
    assert server.process.returncode == -signal.SIGKILL
    restarted = ServerProcess(pki.directory, str(db)).wait_ready()  # recovery on the same file
    try:
        # The client retries what it may not have heard acknowledged: the last batches.
        with httpx.Client(base_url=restarted.sep2_url, verify=tls, timeout=5) as client:
            for retried in range(max(START, first - 3 * PER_POST), first + PER_POST, PER_POST):
                again = client.post(location, content=_batch(retried), headers=XML_HEADERS)
                tally.check(again.status_code == 201, f"retry of {retried}: {again.status_code}")
    finally:
        restarted.stop()
        restarted.wait_stopped()
    store = Store.open(f"sqlite:///{db}", migrate=False)
    try:
        with store.session() as session:
            starts = [row.time_period_start for row in session.query(MirrorReadingRow).all()]
    finally:
        store.dispose()
    stored = set(starts)
    tally.check(len(starts) == len(stored), f"{len(starts) - len(stored)} readings stored twice")
    for reading in acknowledged:
        tally.check(reading in stored, f"acknowledged reading {reading} lost")
    print(f"[hardening] {len(acknowledged)} acknowledged, {len(stored)} stored after restart")
    assert acknowledged, "no reading was acknowledged before the kill"
    assert tally.report() == []
