"""Per-device limits (issue 12, item 4): a batch bigger than the server takes is 413, a
device writing faster than its rate gets 429 with Retry-After, and other devices are not
slowed by it."""

from __future__ import annotations

import pytest
from hardening_testlib import Tally

from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.errors import ErrorReasonCode
from openderms.server.config import ServerSettings
from openderms.testing.clock import NOW
from openderms.testing.head_end import XML_HEADERS, Sep2Server, body, enroll, error_reason
from openderms.testing.sep2_builders import site_mirror

BURST = 5
MAX_READINGS = 50


@pytest.fixture
def server_settings() -> ServerSettings:
    return ServerSettings(
        list_limit_default=100,
        device_writes_per_s=0.5,
        device_write_burst=BURST,
        max_readings_per_post=MAX_READINGS,
    )


def _log_event(i: int) -> bytes:
    return body(
        sep.LogEvent(
            createdDateTime=sep.TimeType(value=NOW + i),
            functionSet=0,
            logEventCode=1,
            logEventID=i,
            logEventPEN=sep.PENType(value=1),
            profileID=0,
        )
    )


def _mirror(lfdi: str, readings: int) -> bytes:
    return body(
        site_mirror(
            lfdi,
            0x33,
            0x44,
            MirrorReadingSet=[
                sep.MirrorReadingSet(
                    mRID=sep.mRIDType(value=b"\x55" * 16),
                    timePeriod=sep.DateTimeInterval(
                        start=sep.TimeType(value=NOW), duration=readings
                    ),
                    Reading=[
                        sep.Reading(
                            value=i,
                            timePeriod=sep.DateTimeInterval(
                                start=sep.TimeType(value=NOW + i), duration=1
                            ),
                        )
                        for i in range(readings)
                    ],
                )
            ],
        )
    )


async def test_a_fast_writer_gets_429_and_others_do_not(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    tally = Tally(f"back-to-back writes of one device (burst {BURST}, then 0.5/s)")
    noisy, quiet = enroll(srv, "noisy"), enroll(srv, "quiet")
    client = srv.client("noisy")
    answers = [
        await client.post(
            f"/edev/{noisy.device_id}/lel", content=_log_event(i), headers=XML_HEADERS
        )
        for i in range(BURST + 5)
    ]
    tally.check(
        [a.status_code for a in answers[:BURST]] == [201] * BURST,
        f"burst: {[a.status_code for a in answers[:BURST]]}",
    )
    for answer in answers[BURST:]:
        ok = (
            answer.status_code == 429
            and int(answer.headers.get("retry-after", "0")) >= 1
            and error_reason(answer) == ErrorReasonCode.MAXIMUM_REQUEST_FREQUENCY_EXCEEDED
        )
        tally.check(ok, f"over the rate: {answer.status_code} {answer.headers.get('retry-after')}")
    other = await srv.client("quiet").post(
        f"/edev/{quiet.device_id}/lel", content=_log_event(0), headers=XML_HEADERS
    )
    tally.check(other.status_code == 201, f"another device: {other.status_code}")
    polled = await client.get(f"/edev/{noisy.device_id}")
    tally.check(polled.status_code == 200, f"the noisy device still reads: {polled.status_code}")
    assert tally.report() == []


async def test_a_batch_over_the_limit_is_413_and_nothing_is_stored(
    sep2_server: Sep2Server,
) -> None:
    srv = sep2_server
    enroll(srv, "batcher")
    client = srv.client("batcher")
    lfdi = srv.identity("batcher").lfdi
    too_big = await client.post(
        "/mup", content=_mirror(lfdi, MAX_READINGS + 1), headers=XML_HEADERS
    )
    assert too_big.status_code == 413
    assert error_reason(too_big) == ErrorReasonCode.RESOURCE_LIMIT_REACHED
    assert (await client.get("/mup")).text.count("<MirrorUsagePoint ") == 0
    fits = await client.post("/mup", content=_mirror(lfdi, MAX_READINGS), headers=XML_HEADERS)
    assert fits.status_code == 201
