"""Hostile bodies over every writable 2030.5 resource, and cross-device / cross-aggregator
probes of every resource path (issue 12, item 9).

Every hostile body gets a 4xx with a 2030.5 Error body, quickly, and changes no row; a
device or aggregator reaching for another's resources sees them as absent (404), never
their content, and writes nothing there.
"""

from __future__ import annotations

import time

import pytest
from hardening_testlib import Tally
from sqlalchemy import func
from sqlmodel import select

from openderms.schemas.sep2.codec import SEP_XML
from openderms.server.config import ServerSettings
from openderms.server.store.models import (
    ClientResourceRow,
    EndDeviceRow,
    LogEventRow,
    MirrorReadingRow,
    MirrorUsagePointRow,
)
from openderms.testing.head_end import XML_HEADERS, Sep2Server, enroll, schedule_control

NS = "urn:ieee:std:2030.5:ns"

#: (name, body) of documents no resource may accept.
CORPUS: list[tuple[str, bytes]] = [
    (
        "entity expansion",
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;'
        b'&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><LogEvent xmlns="'
        + NS.encode()
        + b'"><details>&c;</details></LogEvent>',
    ),
    (
        "external entity",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<LogEvent xmlns="' + NS.encode() + b'"><details>&e;</details></LogEvent>',
    ),
    (
        "external entity utf-16",
        (
            '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e SYSTEM '
            f'"file:///etc/passwd">]><LogEvent xmlns="{NS}"><details>&e;</details></LogEvent>'
        ).encode("utf-16"),
    ),
    ("truncated", b'<LogEvent xmlns="' + NS.encode() + b'"><details>'),
    ("not xml", b"\x00\x01\x02 not xml"),
    (
        "invalid utf-8",
        b'<LogEvent xmlns="' + NS.encode() + b'"><details>\xff\xfe</details></LogEvent>',
    ),
    ("foreign namespace", b'<LogEvent xmlns="urn:example:evil"><details>x</details></LogEvent>'),
    ("no namespace", b"<LogEvent><details>x</details></LogEvent>"),
    ("unknown root", b'<Evil xmlns="' + NS.encode() + b'"/>'),
    (
        "deep nesting",
        b'<LogEvent xmlns="'
        + NS.encode()
        + b'">'
        + b"<a>" * 5000
        + b"</a>" * 5000
        + b"</LogEvent>",
    ),
    (
        "too large",
        b'<LogEvent xmlns="'
        + NS.encode()
        + b'"><details>'
        + b"x" * 300_000
        + b"</details></LogEvent>",
    ),
    (
        "xsi:type swap",
        b'<LogEvent xmlns="' + NS.encode() + b'" xmlns:xsi="http://www.w3.org/2001/'
        b'XMLSchema-instance" xsi:type="EndDevice"><sFDI>1</sFDI></LogEvent>',
    ),
    (
        "huge integer",
        b'<LogEvent xmlns="'
        + NS.encode()
        + b'"><createdDateTime>'
        + b"9" * 400
        + b"</createdDateTime></LogEvent>",
    ),
    ("empty", b""),
]


@pytest.fixture
def server_settings() -> ServerSettings:
    # The write rate limit has its own test; here one certificate sends the whole corpus.
    return ServerSettings(list_limit_default=100, device_writes_per_s=0)


def _row_counts(srv: Sep2Server) -> tuple[int, ...]:
    with srv.store.session() as session:
        return tuple(
            session.exec(select(func.count()).select_from(model)).one()
            for model in (
                EndDeviceRow,
                ClientResourceRow,
                LogEventRow,
                MirrorUsagePointRow,
                MirrorReadingRow,
            )
        )


def _writable(device_id: int) -> list[tuple[str, str]]:
    """(method, path) of every resource a device writes."""
    return [
        ("POST", "/edev"),
        ("PUT", f"/edev/{device_id}/di"),
        ("PUT", f"/edev/{device_id}/cp"),
        ("POST", f"/edev/{device_id}/lel"),
        ("POST", f"/edev/{device_id}/sub"),
        ("POST", "/mup"),
        ("POST", "/mup/1"),
        ("POST", "/rsps/1/rsp"),
        *(
            ("PUT", f"/edev/{device_id}/der/1/{segment}")
            for segment in ("dercap", "derg", "ders", "dera")
        ),
    ]


async def test_hostile_bodies_on_every_writable_resource(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    e = enroll(srv, "hostile-corpus")
    client = srv.client("hostile-corpus")
    tally = Tally("hostile XML bodies x writable 2030.5 resources")
    before = _row_counts(srv)
    for method, path in _writable(e.device_id):
        for name, payload in CORPUS:
            began = time.monotonic()
            response = await client.request(method, path, content=payload, headers=XML_HEADERS)
            took = time.monotonic() - began
            ok = (
                400 <= response.status_code < 500
                and response.headers.get("content-type") == SEP_XML
                and took < 5
            )
            tally.check(ok, f"{method} {path} {name}: {response.status_code} in {took:.1f} s")
    tally.check(_row_counts(srv) == before, f"rows changed: {before} -> {_row_counts(srv)}")
    assert tally.report() == []


async def test_cross_device_and_cross_aggregator_probes(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    srv.identity("agg-one", aggregator=True)
    srv.identity("agg-two", aggregator=True)
    victim = enroll(srv, "probe-victim", aggregator="agg-one")
    schedule_control(srv, victim.program_id)
    tally = Tally("cross-device and cross-aggregator probes of another's resources")
    paths = [
        f"/edev/{victim.device_id}",
        f"/edev/{victim.device_id}/rg",
        f"/edev/{victim.device_id}/di",
        f"/edev/{victim.device_id}/cp",
        f"/edev/{victim.device_id}/fsa",
        f"/edev/{victim.device_id}/fsa/{victim.group_id}",
        f"/edev/{victim.device_id}/derp",
        f"/edev/{victim.device_id}/derp/{victim.program_id}",
        f"/edev/{victim.device_id}/derp/{victim.program_id}/derc",
        f"/edev/{victim.device_id}/derp/{victim.program_id}/actderc",
        f"/edev/{victim.device_id}/derp/{victim.program_id}/dderc",
        f"/edev/{victim.device_id}/der",
        f"/edev/{victim.device_id}/der/1",
        f"/edev/{victim.device_id}/der/1/ders",
        f"/edev/{victim.device_id}/lel",
        f"/edev/{victim.device_id}/sub",
    ]
    before = _row_counts(srv)
    for who, aggregator in (("probe-thief", False), ("agg-two", True)):
        if not aggregator:
            enroll(srv, who)
        client = srv.client(who, aggregator=aggregator)
        for path in paths:
            got = await client.get(path)
            tally.check(got.status_code == 404, f"{who} GET {path}: {got.status_code}")
        for method, path in (
            ("PUT", f"/edev/{victim.device_id}/di"),
            ("PUT", f"/edev/{victim.device_id}/cp"),
            ("POST", f"/edev/{victim.device_id}/lel"),
            ("POST", f"/edev/{victim.device_id}/sub"),
            ("PUT", f"/edev/{victim.device_id}/der/1/ders"),
        ):
            written = await client.request(method, path, content=b"", headers=XML_HEADERS)
            tally.check(
                written.status_code in (400, 404), f"{who} {method} {path}: {written.status_code}"
            )
        valid = (
            b'<LogEvent xmlns="urn:ieee:std:2030.5:ns"><createdDateTime>1</createdDateTime>'
            b"<functionSet>0</functionSet><logEventCode>1</logEventCode><logEventID>1"
            b"</logEventID><logEventPEN>1</logEventPEN><profileID>0</profileID></LogEvent>"
        )
        logged = await client.post(
            f"/edev/{victim.device_id}/lel", content=valid, headers=XML_HEADERS
        )
        tally.check(logged.status_code == 404, f"{who} valid LogEvent: {logged.status_code}")
    after = _row_counts(srv)
    tally.check(after[1:] == before[1:], f"rows changed: {before} -> {after}")
    assert tally.report() == []
