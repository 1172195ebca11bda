"""Every valid timestamp renders (issue 12, item 7): a LogEvent dated year 10000, or any
other Int64 TimeType, must not make the device's dashboard page fail."""

from __future__ import annotations

import httpx
from hardening_testlib import Tally

from openderms.schemas.sep2 import models as sep
from openderms.server.admin.app import create_admin_app
from openderms.server.admin.tokens import create_token
from openderms.server.dashboard import mount_dashboard
from openderms.server.store.admin import AdminRole
from openderms.testing.head_end import XML_HEADERS, Sep2Server, body, enroll

#: 10000-01-01T00:00:00Z, the first second datetime cannot hold, and the Int64 ends.
TIMES = {
    253_402_300_800: "+010000-01-01T00:00:00Z",
    2**63 - 1: "+292277026596-12-04T15:30:07Z",
    -(2**63): "-292277022657-01-27T08:29:52Z",
    -1: "1969-12-31T23:59:59Z",
}


async def test_log_events_of_any_valid_time_render(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    e = enroll(srv, "time-traveller")
    client = srv.client("time-traveller")
    lfdi = srv.identity("time-traveller").lfdi
    tally = Tally("LogEvent times at the ends of TimeType on the dashboard")
    for i, created in enumerate(TIMES):
        event = sep.LogEvent(
            createdDateTime=sep.TimeType(value=created),
            functionSet=0,
            logEventCode=1,
            logEventID=i,
            logEventPEN=sep.PENType(value=1),
            profileID=0,
        )
        posted = await client.post(
            f"/edev/{e.device_id}/lel", content=body(event), headers=XML_HEADERS
        )
        tally.check(posted.status_code == 201, f"post {created}: {posted.status_code}")
    token = srv.store.call(
        create_token, name="ops", role=AdminRole.UTILITY, aggregator_lfdi=None, now=srv.clock.now
    ).token
    app = mount_dashboard(create_admin_app(srv.store, clock=srv.clock), srv.store, clock=srv.clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://dashboard.test"
    ) as dashboard:
        auth = {"Authorization": f"Bearer {token}"}
        page = await dashboard.get(f"/dashboard/devices/{lfdi}", headers=auth)
        tally.check(page.status_code == 200, f"device page: {page.status_code}")
        api = await dashboard.get(f"/dashboard/api/devices/{lfdi}", headers=auth)
        tally.check(api.status_code == 200, f"device JSON: {api.status_code}")
        logged = {e["created_time"] for e in api.json()["log_events"]} if api.is_success else set()
        tally.check(logged == set(TIMES), f"device JSON log event times: {sorted(logged)}")
        for text in TIMES.values():
            tally.check(text in page.text, f"{text} not on the device page")
    assert tally.report() == []


def test_csv_cells_never_start_a_formula() -> None:
    """Item 8: a leading tab or carriage return is neutralised like = + - @ (OWASP)."""
    from openderms.server.dashboard.app import spreadsheet_safe

    tally = Tally("CSV export cells that a spreadsheet would run")
    for cell in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1+1", "\r=1+1"):
        tally.check(
            spreadsheet_safe(cell) == "'" + cell, f"{cell!r} -> {spreadsheet_safe(cell)!r}"
        )
    for cell in ("inverter fault", 1.5, None):
        tally.check(spreadsheet_safe(cell) == cell, f"{cell!r} changed")
    assert tally.report() == []
