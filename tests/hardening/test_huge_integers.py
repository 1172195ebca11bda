"""Huge and odd integers (issue 12, items 6 and 8): every value the XSD allows is stored, on
PostgreSQL too; what the store cannot hold, or the schema forbids, is a 4xx before it
reaches the store; admin errors are JSON and 405s say what is allowed."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
from hardening_testlib import Tally
from quart import Quart

from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.codec import SEP_XML
from openderms.server.admin.app import create_admin_app
from openderms.server.admin.tokens import create_token
from openderms.server.store.admin import AdminRole
from openderms.testing.clock import NOW
from openderms.testing.head_end import XML_HEADERS, Sep2Server, body, enroll, parse

UINT32_MAX = 2**32 - 1
#: Integers beyond any column, and integer forms xs:integer's lexical space forbids.
#: Beyond a row id (signed 32 bits), beyond 64 bits, and beyond Python's int() digit limit.
HUGE = ("2147483648", "18446744073709551616", "9" * 30, "9" * 5000)
#: Beyond every UInt32 and Int64 value of the XSD and of ``s``/``a``/``l``.
BEYOND = HUGE[1:]
FORBIDDEN_FORMS = ("1_0", "\u0661\u0660", "\uff11\uff10", "0x10", "1e3", "-1")


def _log_event(**overrides: Any) -> sep.LogEvent:
    fields: dict[str, Any] = {
        "createdDateTime": sep.TimeType(value=NOW),
        "functionSet": 0,
        "logEventCode": 1,
        "logEventID": 1,
        "logEventPEN": sep.PENType(value=1),
        "profileID": 0,
    }
    return sep.LogEvent(**{**fields, **overrides})


async def test_uint32_maxima_are_stored_and_served(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    e = enroll(srv, "maximal")
    client = srv.client("maximal")
    tally = Tally("UInt32 maxima stored (LogEvent, Reading, ReadingType, MirrorUsagePoint)")
    event = _log_event(extendedData=UINT32_MAX, logEventPEN=sep.PENType(value=UINT32_MAX))
    posted = await client.post(
        f"/edev/{e.device_id}/lel", content=body(event), headers=XML_HEADERS
    )
    if tally.check(posted.status_code == 201, f"LogEvent: {posted.status_code}"):
        got = parse(await client.get(posted.headers["location"]), sep.LogEvent)
        tally.check(
            (got.extendedData, got.logEventPEN.value) == (UINT32_MAX, UINT32_MAX),
            f"LogEvent read back {got.extendedData} {got.logEventPEN.value}",
        )
    mup = sep.MirrorUsagePoint(
        mRID=sep.mRIDType(value=b"\x11" * 16),
        deviceLFDI=bytes.fromhex(srv.identity("maximal").lfdi),
        roleFlags=sep.RoleFlagsType(value=b"\x00\x03"),
        serviceCategoryKind=sep.ServiceKind(value=0),
        status=1,
        postRate=UINT32_MAX,
        MirrorMeterReading=[
            sep.MirrorMeterReading(
                mRID=sep.mRIDType(value=b"\x22" * 16),
                ReadingType=sep.ReadingType(uom=sep.UomType(value=72), intervalLength=UINT32_MAX),
                Reading=sep.Reading(
                    value=1,
                    timePeriod=sep.DateTimeInterval(
                        start=sep.TimeType(value=NOW), duration=UINT32_MAX
                    ),
                ),
            )
        ],
    )
    created = await client.post("/mup", content=body(mup), headers=XML_HEADERS)
    tally.check(created.status_code == 201, f"MirrorUsagePoint: {created.status_code}")
    assert tally.report() == []


async def test_huge_ids_and_forbidden_integer_forms_are_4xx(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    e = enroll(srv, "prober")
    client = srv.client("prober")
    tally = Tally("huge or forbidden integers in 2030.5 paths, paging and bodies")

    def refused(response: httpx.Response) -> bool:
        return 400 <= response.status_code < 500 and response.headers.get(
            "content-type", ""
        ).startswith(SEP_XML)

    for value in (*HUGE, "\u0661", "\uff11"):
        for path in (f"/edev/{value}", f"/edev/{value}/lel", f"/edev/{e.device_id}/lel/{value}"):
            response = await client.get(path)
            tally.check(refused(response), f"GET {path[:40]}: {response.status_code}")
        response = await client.post(
            f"/edev/{value}/lel", content=body(_log_event()), headers=XML_HEADERS
        )
        tally.check(refused(response), f"POST /edev/{value[:20]}/lel: {response.status_code}")
    for name in ("s", "a", "l"):
        for value in (*BEYOND, *FORBIDDEN_FORMS, " 1", ""):
            response = await client.get(f"/edev/{e.device_id}/lel", params={name: value})
            tally.check(
                response.status_code == 400 and refused(response),
                f"{name}={value[:20]!r}: {response.status_code}",
            )
    template = body(_log_event()).decode()
    for value in (*BEYOND, "4294967296", *FORBIDDEN_FORMS, ""):
        for element in ("logEventCode", "logEventPEN", "extendedData"):
            document = template.replace(
                "<logEventCode>1</logEventCode>", f"<logEventCode>{value}</logEventCode>"
            )
            if element != "logEventCode":
                document = template.replace(
                    "<logEventPEN>1</logEventPEN>",
                    f"<{element}>{value}</{element}>"
                    + ("<logEventPEN>1</logEventPEN>" if element == "extendedData" else ""),
                )
            response = await client.post(
                f"/edev/{e.device_id}/lel", content=document.encode(), headers=XML_HEADERS
            )
            tally.check(refused(response), f"{element}={value[:20]!r}: {response.status_code}")
    assert tally.report() == []


class _Admin:
    def __init__(self, srv: Sep2Server) -> None:
        self.app: Quart = create_admin_app(srv.store, settings=srv.settings, clock=srv.clock)
        self.token = srv.store.call(
            create_token, name="u", role=AdminRole.UTILITY, aggregator_lfdi=None, now=NOW
        ).token

    async def call(self, method: str, path: str, json: Any = None) -> Any:
        return await self.app.test_client().open(
            path, method=method, headers={"Authorization": f"Bearer {self.token}"}, json=json
        )


async def test_admin_refuses_huge_integers_and_nul_with_json(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    admin = _Admin(srv)
    tally = Tally("huge integers, NUL and wrong methods on the admin API")
    group = await (await admin.call("POST", "/groups", {"description": "g"})).get_json()
    await admin.call("POST", "/programs", {"primacy": 1, "group_ids": [group["id"]]})

    async def expect(method: str, path: str, json: Any, statuses: set[int]) -> None:
        response = await admin.call(method, path, json)
        is_json = response.content_type == "application/json"
        tally.check(
            response.status_code in statuses and is_json,
            f"{method} {path[:40]} {str(json)[:40]}: {response.status_code} {response.mimetype}",
        )

    for value in HUGE[:3]:
        for path in (f"/programs/{value}", f"/groups/{value}/devices"):
            await expect(
                "GET" if path.startswith("/programs") else "POST",
                path,
                {"lfdis": ["AA" * 20]} if "devices" in path else None,
                {404},
            )
        await expect("POST", f"/controls/{value}/cancel", {}, {404})
        for query in ("start", "limit"):
            await expect("GET", f"/devices?{query}={value}", None, {400})
        big = int(value)
        await expect("POST", "/programs", {"primacy": 1, "group_ids": [big]}, {400})
        await expect(
            "POST",
            f"/groups/{group['id']}/controls",
            {"duration_s": 600, "modes": {"op_mod_connect": False}, "program_id": big},
            {400},
        )
        await expect(
            "POST",
            f"/groups/{group['id']}/controls",
            {"duration_s": big + UINT32_MAX, "modes": {"op_mod_connect": False}},
            {400},
        )
    for form in FORBIDDEN_FORMS:
        await expect("GET", f"/devices?start={quote(form)}", None, {400})
    # The largest duration the schema allows is stored (a 64-bit column on PostgreSQL).
    for duration in (2**31, UINT32_MAX):
        await expect(
            "POST",
            f"/groups/{group['id']}/controls",
            {"duration_s": duration, "modes": {"op_mod_exp_lim_w": 10}},
            {201},
        )
    for text in ("nul\x00name", "bell\x07", "del\x7f"):
        await expect("POST", "/groups", {"description": text}, {400})
        await expect("POST", "/tokens", {"name": text, "role": "utility"}, {400})
    response = await admin.call("DELETE", "/devices")
    allow = response.headers.get("Allow", "")
    tally.check(
        response.status_code == 405 and "GET" in allow and "POST" in allow,
        f"405 Allow header: {response.status_code} {allow!r}",
    )
    assert tally.report() == []


async def test_admin_tokens_expire(sep2_server: Sep2Server) -> None:
    """Item 8: a token stops working `admin_token_lifetime_s` after it was issued."""
    from openderms.server.config import ServerSettings

    srv = sep2_server
    token = srv.store.call(
        create_token, name="u", role=AdminRole.UTILITY, aggregator_lfdi=None, now=NOW
    ).token
    clock = [NOW]
    app = create_admin_app(
        srv.store, settings=ServerSettings(admin_token_lifetime_s=3600), clock=lambda: clock[0]
    )
    answers = []
    for at in (NOW, NOW + 3599, NOW + 3600):
        clock[0] = at
        response = await app.test_client().get(
            "/devices", headers={"Authorization": f"Bearer {token}"}
        )
        answers.append(response.status_code)
    assert answers == [200, 200, 401]
