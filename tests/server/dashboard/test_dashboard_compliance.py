"""Per-control compliance: time outside the limits, worst excess, energy beyond, Responses."""

from __future__ import annotations

import csv
import io

import pytest
from dashboard_testlib import AGGREGATOR_DEVICE, UTILITY_DEVICE, DashboardServer, service_ctx

from openderms.server.dashboard.compliance import site_compliance
from openderms.server.services import programs
from openderms.testing.clock import NOW


def test_a_reading_beyond_the_limit_counts_until_the_next_one() -> None:
    points = [(0, -1000.0), (60, -2500.0), (120, -1200.0), (180, 3000.0)]
    result = site_compliance(
        points, since=0, until=240, export_limit_w=1500, import_limit_w=2000, max_hold_s=900
    )
    assert (result.covered_s, result.outside_s) == (240, 120)  # 60-120 export, 180-240 import
    assert result.worst_excess_w == 1000.0  # 3000 W import against a 2000 W limit
    assert result.excess_wh == pytest.approx((1000 * 60 + 1000 * 60) / 3600)
    assert result.verdict == "outside"


def test_silence_is_no_data_never_inside() -> None:
    result = site_compliance(
        [(0, -100.0)],
        since=3600,
        until=7200,
        export_limit_w=1500,
        import_limit_w=None,
        max_hold_s=900,
    )
    assert result.verdict == "no data" and result.covered_s == 0
    held = site_compliance(
        [(0, -100.0)],
        since=0,
        until=7200,
        export_limit_w=1500,
        import_limit_w=None,
        max_hold_s=900,
    )
    assert (held.verdict, held.covered_s) == ("inside", 900)  # one reading holds 15 min


async def _login(srv: DashboardServer) -> None:
    response = await srv.client.post(
        "/dashboard/login", data={"token": srv.utility_token}, headers={"Origin": srv.base_url}
    )
    assert response.status_code == 303


async def test_the_report_of_a_tight_limit_shows_how_long_and_how_far_outside(
    dashboard: DashboardServer,
) -> None:
    tight = dashboard.store.call(
        programs.create_der_control,
        service_ctx(dashboard.clock),
        program_id=dashboard.seeded.program_id,
        start_time=NOW - 600,
        duration_s=3600,
        modes=programs.ControlModes(op_mod_exp_lim_w=200),
        description="tight cap",
    )
    await _login(dashboard)
    report = (await dashboard.client.get(f"/dashboard/api/reports/controls/{tight.id}")).json()
    sites = {s["lfdi"]: s for s in report["sites"]}
    mine = sites[UTILITY_DEVICE]
    # Readings -550 .. -250 W (one a minute) are beyond -200 W: 7 minutes, worst 350 W.
    assert (report["since"], report["until"]) == (NOW - 600, NOW)
    assert (mine["verdict"], mine["outside_s"], mine["covered_s"]) == ("outside", 420, 600)
    assert mine["worst_excess_w"] == 350.0
    assert mine["excess_wh"] == pytest.approx(1400 * 60 / 3600, abs=0.01)
    assert sites[AGGREGATOR_DEVICE]["verdict"] == "no data"
    assert report["summary"] == {"inside": 0, "outside": 1, "no data": 1}
    exported = await dashboard.client.get(f"/dashboard/export/compliance/{tight.id}.csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {r["lfdi"]: r["verdict"] for r in rows} == {
        UTILITY_DEVICE: "outside",
        AGGREGATOR_DEVICE: "no data",
    }
    page = await dashboard.client.get(f"/dashboard/reports/controls/{tight.id}")
    assert page.status_code == 200 and "7.0 min" in page.text


async def test_the_seeded_cap_was_kept_and_the_response_is_listed(
    dashboard: DashboardServer,
) -> None:
    await _login(dashboard)
    control_id = dashboard.seeded.active_control_id
    report = (await dashboard.client.get(f"/dashboard/api/reports/controls/{control_id}")).json()
    mine = next(s for s in report["sites"] if s["lfdi"] == UTILITY_DEVICE)
    assert (mine["verdict"], mine["outside_s"], mine["worst_excess_w"]) == ("inside", 0, 0.0)
    assert [r["status_name"] for r in mine["responses"]] == ["event_started"]
