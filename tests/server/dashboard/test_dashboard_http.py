"""The dashboard over real TLS beside the admin API: auth, scope, views, exports, hostile input."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from dashboard_testlib import (
    AGGREGATOR_DEVICE,
    READING_STEP_S,
    SITE_POWER_W,
    UTILITY_DEVICE,
    DashboardServer,
    service_ctx,
)
from sqlmodel import Session

from openderms.server.admin.tokens import hash_token
from openderms.server.dashboard.app import TRUNCATED_HEADER
from openderms.server.dashboard.session import COOKIE_NAME
from openderms.server.services import programs
from openderms.server.store.admin import revoke_admin_token, select_active_token_by_hash
from openderms.server.store.outbox import OutboxStatus, enqueue_notification
from openderms.testing.clock import NOW

PAGES = (
    "/dashboard/",
    "/dashboard/live",
    "/dashboard/programs",
    "/dashboard/energy",
    f"/dashboard/devices/{UTILITY_DEVICE}",
)
DATA = (
    "/dashboard/api/fleet",
    "/dashboard/api/programs",
    "/dashboard/api/energy",
    f"/dashboard/api/devices/{UTILITY_DEVICE}",
    "/dashboard/api/openapi.json",
    "/dashboard/export/telemetry.csv",
    "/dashboard/export/responses.csv",
)


async def _login(srv: DashboardServer, token: str) -> None:
    response = await srv.client.post(
        "/dashboard/login", data={"token": token}, headers={"Origin": srv.base_url}
    )
    assert response.status_code == 303, response.text
    assert COOKIE_NAME in srv.client.cookies


async def _csrf(srv: DashboardServer) -> str:
    """The CSRF token the logged-in pages carry in their forms."""
    page = await srv.client.get("/dashboard/")
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, page.text[:500]
    return match.group(1)


async def test_pages_redirect_to_login_without_a_session(dashboard: DashboardServer) -> None:
    for path in PAGES:
        response = await dashboard.client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/dashboard/login?next=")


async def test_data_endpoints_refuse_requests_without_a_valid_token(
    dashboard: DashboardServer,
) -> None:
    for path in DATA:
        for headers in ({}, {"Authorization": "Bearer od_not-a-real-token"}):
            response = await dashboard.client.get(path, headers=headers)
            assert response.status_code == 401, (path, headers)
            assert response.json()["error"] == "unauthorized"


async def test_a_forged_session_cookie_is_refused(dashboard: DashboardServer) -> None:
    dashboard.client.cookies.set(
        COOKIE_NAME, f"1.{NOW + 3600}.{'A' * 43}", domain="127.0.0.1", path="/dashboard/"
    )
    response = await dashboard.client.get("/dashboard/api/fleet")
    assert response.status_code == 401


async def test_login_sets_a_strict_httponly_secure_cookie_and_opens_pages(
    dashboard: DashboardServer,
) -> None:
    response = await dashboard.client.post(
        "/dashboard/login",
        data={"token": dashboard.utility_token, "next": "/dashboard/programs"},
        headers={"Origin": dashboard.base_url},
    )
    cookie = response.headers["set-cookie"]
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/programs"
    for flag in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/dashboard/"):
        assert flag in cookie, cookie
    assert dashboard.utility_token not in cookie  # the token itself never leaves in a cookie
    page = await dashboard.client.get("/dashboard/")
    assert page.status_code == 200
    assert "Fleet overview" in page.text


async def test_login_with_a_wrong_token_is_refused(dashboard: DashboardServer) -> None:
    response = await dashboard.client.post(
        "/dashboard/login", data={"token": "od_wrong"}, headers={"Origin": dashboard.base_url}
    )
    assert response.status_code == 401
    assert "unknown or revoked token" in response.text
    assert COOKIE_NAME not in dashboard.client.cookies


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
async def test_login_refuses_a_cross_site_post(
    dashboard: DashboardServer, headers: dict[str, str]
) -> None:
    response = await dashboard.client.post(
        "/dashboard/login", data={"token": dashboard.utility_token}, headers=headers
    )
    assert response.status_code == 400
    assert "cross-site" in response.text
    assert COOKIE_NAME not in dashboard.client.cookies


async def test_login_never_redirects_off_the_dashboard(dashboard: DashboardServer) -> None:
    response = await dashboard.client.post(
        "/dashboard/login",
        data={"token": dashboard.utility_token, "next": "https://evil.example/"},
        headers={"Origin": dashboard.base_url},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/"


async def test_a_revoked_token_ends_its_session(dashboard: DashboardServer) -> None:
    await _login(dashboard, dashboard.utility_token)
    row = dashboard.store.call(select_active_token_by_hash, hash_token(dashboard.utility_token))
    assert row is not None and row.id is not None

    def revoke(session: object) -> None:
        revoke_admin_token(session, row.id, now=NOW)  # type: ignore[arg-type]
        session.commit()  # type: ignore[attr-defined]

    dashboard.store.call(revoke)
    response = await dashboard.client.get("/dashboard/api/fleet")
    assert response.status_code == 401


async def test_a_session_expires(dashboard: DashboardServer) -> None:
    await _login(dashboard, dashboard.utility_token)
    dashboard.clock.now = NOW + 9 * 3600
    response = await dashboard.client.get("/dashboard/api/fleet")
    assert response.status_code == 401


async def test_logout_clears_the_session_and_gets_are_never_logout(
    dashboard: DashboardServer,
) -> None:
    await _login(dashboard, dashboard.utility_token)
    refused = await dashboard.client.get("/dashboard/logout")
    without_token = await dashboard.client.post(
        "/dashboard/logout", headers={"Origin": dashboard.base_url}
    )
    still_in = await dashboard.client.get("/dashboard/api/fleet")
    response = await dashboard.client.post(
        "/dashboard/logout",
        data={"csrf": await _csrf(dashboard)},
        headers={"Origin": dashboard.base_url},
    )
    after = await dashboard.client.get("/dashboard/api/fleet")
    assert refused.status_code == 405
    assert without_token.status_code == 400  # no CSRF token: not from our page
    assert still_in.status_code == 200
    assert response.status_code == 303
    assert after.status_code == 401


async def test_the_admin_api_still_answers_beside_the_dashboard(
    dashboard: DashboardServer,
) -> None:
    response = await dashboard.client.get(
        "/devices", headers=dashboard.bearer(dashboard.utility_token)
    )
    assert response.status_code == 200
    assert {d["lfdi"] for d in response.json()["devices"]} == {UTILITY_DEVICE, AGGREGATOR_DEVICE}


async def test_fleet_json_has_the_device_with_latest_status_and_active_control(
    dashboard: DashboardServer,
) -> None:
    response = await dashboard.client.get(
        "/dashboard/api/fleet", headers=dashboard.bearer(dashboard.utility_token)
    )
    assert response.status_code == 200
    devices = {d["lfdi"]: d for d in response.json()["devices"]}
    mine = devices[UTILITY_DEVICE]
    assert mine["der_status"]["stateOfChargeStatus"] == 61.5  # 6150 hundredths of a percent
    assert mine["active_control"]["id"] == dashboard.seeded.active_control_id
    assert mine["active_control"]["status"]["name"] == "active"
    assert mine["active_control"]["modes"] == {"op_mod_exp_lim_w": 1500.0}
    assert mine["active_control"]["summary"] == "export ≤ 1.5 kW"
    assert mine["site_power"] == {"value_w": SITE_POWER_W[-1], "time": NOW}
    assert mine["groups"] == [{"id": mine["groups"][0]["id"], "description": "Feeder 12"}]
    assert mine["last_contact"] == NOW
    assert mine["default_control"]["modes"] == {"op_mod_exp_lim_w": 5000.0}


async def test_no_active_control_after_it_ends(dashboard: DashboardServer) -> None:
    dashboard.clock.now = NOW + 3000  # the seeded control ran [NOW-600, NOW+3000)
    response = await dashboard.client.get(
        "/dashboard/api/fleet", headers=dashboard.bearer(dashboard.utility_token)
    )
    devices = {d["lfdi"]: d for d in response.json()["devices"]}
    assert devices[UTILITY_DEVICE]["active_control"] is None
    assert devices[UTILITY_DEVICE]["default_control"]["description"] == "5 kW default"


async def test_an_aggregator_sees_only_its_devices(dashboard: DashboardServer) -> None:
    auth = dashboard.bearer(dashboard.aggregator_token)
    fleet = await dashboard.client.get("/dashboard/api/fleet", headers=auth)
    other = await dashboard.client.get(f"/dashboard/api/devices/{UTILITY_DEVICE}", headers=auth)
    own = await dashboard.client.get(f"/dashboard/api/devices/{AGGREGATOR_DEVICE}", headers=auth)
    export = await dashboard.client.get(
        "/dashboard/export/telemetry.csv", params={"window_s": 86400}, headers=auth
    )
    assert [d["lfdi"] for d in fleet.json()["devices"]] == [AGGREGATOR_DEVICE]
    assert fleet.json()["all"] == 1
    assert other.status_code == 404
    assert own.status_code == 200
    assert UTILITY_DEVICE not in export.text
    assert export.text.strip().count("\n") == 0  # header only: its device mirrors nothing


async def test_an_aggregator_session_is_scoped_like_its_token(dashboard: DashboardServer) -> None:
    await _login(dashboard, dashboard.aggregator_token)
    page = await dashboard.client.get("/dashboard/")
    other = await dashboard.client.get(f"/dashboard/devices/{UTILITY_DEVICE}")
    assert page.status_code == 200
    assert AGGREGATOR_DEVICE[:8] in page.text
    assert UTILITY_DEVICE[:8] not in page.text
    assert other.status_code == 404


async def test_telemetry_csv_has_the_header_and_the_rows_of_the_range(
    dashboard: DashboardServer,
) -> None:
    since, until = NOW - 10 * READING_STEP_S, NOW - 5 * READING_STEP_S
    response = await dashboard.client.get(
        "/dashboard/export/telemetry.csv",
        params={"lfdi": UTILITY_DEVICE, "since": since, "until": until},
        headers=dashboard.bearer(dashboard.utility_token),
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    header, body = rows[0], rows[1:]
    power = [r for r in body if r[4] == "power_w"]
    assert header == ["time_utc", "time_s", "lfdi", "mirror", "quantity", "value", "unit", "mrid"]
    assert [int(r[1]) for r in power] == list(range(since, until, READING_STEP_S))
    assert [float(r[5]) for r in power] == SITE_POWER_W[-11:-6]
    assert {r[2] for r in body} == {UTILITY_DEVICE}
    assert {r[4] for r in body} == {"power_w", "voltage_v"}
    assert all(since <= int(r[1]) < until for r in body)


async def test_responses_csv_lists_the_response_to_the_control(dashboard: DashboardServer) -> None:
    response = await dashboard.client.get(
        "/dashboard/export/responses.csv",
        params={"window_s": 3600},
        headers=dashboard.bearer(dashboard.utility_token),
    )
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:6] == [
        "received_utc",
        "received_time_s",
        "lfdi",
        "control_mrid",
        "control_description",
        "status",
    ]
    assert rows[1][2:7] == [
        UTILITY_DEVICE,
        dashboard.seeded.active_control_mrid,
        "export cap 1.5 kW",
        "2",
        "event_started",
    ]
    assert len(rows) == 2


async def test_device_json_carries_history_telemetry_controls_responses_and_logs(
    dashboard: DashboardServer,
) -> None:
    response = await dashboard.client.get(
        f"/dashboard/api/devices/{UTILITY_DEVICE}",
        params={"window_s": 7200},
        headers=dashboard.bearer(dashboard.utility_token),
    )
    data = response.json()
    site_power = next(s for s in data["telemetry"] if s["site"] and s["quantity"] == "power_w")
    controls = {c["id"]: c for c in data["controls"]}
    assert data["resources"]["DERStatus"][0]["fields"]["stateOfChargeStatus"] == 61.5
    assert [v for _, v in site_power["points"]] == SITE_POWER_W
    assert controls[dashboard.seeded.active_control_id]["responses"][0]["status_name"] == (
        "event_started"
    )
    assert controls[dashboard.seeded.cancelled_control_id]["status"]["name"] == "cancelled"
    assert data["log_events"][0]["details"] == "inverter fault"


async def test_programs_json_lists_controls_with_their_status(dashboard: DashboardServer) -> None:
    response = await dashboard.client.get(
        "/dashboard/api/programs", headers=dashboard.bearer(dashboard.utility_token)
    )
    (program,) = response.json()["programs"]
    assert program["primacy"] == 10
    assert program["status_counts"] == {"active": 1, "cancelled": 1}
    assert program["default_control"]["description"] == "5 kW default"
    listed = {c["id"]: c for c in program["controls"]}
    assert listed[dashboard.seeded.active_control_id]["responses"] == {"event_started": 1}
    assert listed[dashboard.seeded.cancelled_control_id]["responses"] == {}


async def test_energy_json_integrates_site_import_and_export(dashboard: DashboardServer) -> None:
    since = NOW - 59 * READING_STEP_S
    response = await dashboard.client.get(
        "/dashboard/api/energy",
        params={"since": since, "until": NOW + READING_STEP_S, "buckets": 60},
        headers=dashboard.bearer(dashboard.utility_token),
    )
    data = response.json()
    # Every reading is negative (exporting) and held one minute: export = sum(-P)/60 [Wh].
    expected_export_wh = sum(-p for p in SITE_POWER_W) * READING_STEP_S / 3600
    assert data["totals"]["import_wh"] == 0
    assert data["totals"]["export_wh"] == pytest.approx(expected_export_wh, abs=1e-3)
    assert [p["power_w"] for p in data["fleet_power"]] == SITE_POWER_W


async def test_html_pages_render_with_their_key_content(dashboard: DashboardServer) -> None:
    await _login(dashboard, dashboard.utility_token)
    expected = {
        "/dashboard/": ["Fleet overview", "Feeder 12", "export cap 1.5 kW", "−50 W"],
        "/dashboard/live": ["Live view", "data-api=", "data-history-api=", "dashboard.js"],
        "/dashboard/programs": [
            "Export caps",
            "primacy 10",
            "cancelled",
            "5 kW default",
            "1 event started",
        ],
        "/dashboard/energy": ["Energy flows", "<svg", "kWh"],
        f"/dashboard/devices/{UTILITY_DEVICE}": [
            "<svg",
            "Site power",
            "Voltage",
            "event started",
            "inverter fault",
            "stateOfChargeStatus",
        ],
    }
    for path, needles in expected.items():
        response = await dashboard.client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        assert "default-src 'self'" in response.headers["content-security-policy"]
        for needle in needles:
            assert needle.replace("−", "-") in response.text.replace("−", "-"), (path, needle)


async def test_static_files_are_served_from_the_package(dashboard: DashboardServer) -> None:
    script = await dashboard.client.get("/dashboard/static/dashboard.js")
    style = await dashboard.client.get("/dashboard/static/dashboard.css")
    assert script.status_code == 200 and "fetch(" in script.text
    assert style.status_code == 200 and "svg.chart" in style.text


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/dashboard/api/energy", {"since": "yesterday"}, "since must be epoch seconds"),
        ("/dashboard/api/energy", {"since": NOW, "until": NOW - 60}, "since must be before"),
        ("/dashboard/api/energy", {"since": 0, "until": NOW}, "longer than"),
        ("/dashboard/api/energy", {"until": "99999999999999"}, "until must be"),
        ("/dashboard/api/energy", {"buckets": 10**9}, "buckets must be between"),
        ("/dashboard/api/fleet", {"limit": 10**6}, "limit must be between"),
        ("/dashboard/api/fleet", {"limit": "-1"}, "limit must be between"),
        ("/dashboard/api/fleet", {"start": "1e9"}, "start must be an integer"),
        ("/dashboard/export/telemetry.csv", {"limit": 10**7}, "limit must be between"),
        ("/dashboard/export/telemetry.csv", {"lfdi": "../../etc"}, "40 hexadecimal"),
        ("/dashboard/api/devices/not-an-lfdi", {}, "40 hexadecimal"),
        ("/dashboard/api/devices/" + UTILITY_DEVICE, {"window_s": 1}, "window_s must be"),
    ],
)
async def test_hostile_parameters_get_400_with_a_clear_message(
    dashboard: DashboardServer, path: str, params: dict[str, str | int], message: str
) -> None:
    response = await dashboard.client.get(
        path, params=params, headers=dashboard.bearer(dashboard.utility_token)
    )
    assert response.status_code == 400, response.text
    assert message in response.json()["message"]


async def test_a_bad_parameter_on_a_page_shows_the_message(dashboard: DashboardServer) -> None:
    await _login(dashboard, dashboard.utility_token)
    response = await dashboard.client.get("/dashboard/energy", params={"window_s": "lots"})
    assert response.status_code == 400
    assert "window_s must be an integer" in response.text


async def test_openapi_section_documents_every_data_route(dashboard: DashboardServer) -> None:
    response = await dashboard.client.get(
        "/dashboard/api/openapi.json", headers=dashboard.bearer(dashboard.aggregator_token)
    )
    paths = set(response.json()["paths"])
    assert paths == {
        "/api/fleet",
        "/api/devices/{lfdi}",
        "/api/programs",
        "/api/energy",
        "/export/telemetry.csv",
        "/export/responses.csv",
    }


async def test_telemetry_csv_says_when_the_row_limit_cut_it(dashboard: DashboardServer) -> None:
    response = await dashboard.client.get(
        "/dashboard/export/telemetry.csv",
        params={"lfdi": UTILITY_DEVICE, "window_s": 7200, "limit": 10},
        headers=dashboard.bearer(dashboard.utility_token),
    )
    complete = await dashboard.client.get(
        "/dashboard/export/telemetry.csv",
        params={"lfdi": UTILITY_DEVICE, "window_s": 7200},
        headers=dashboard.bearer(dashboard.utility_token),
    )
    assert len(response.text.strip().splitlines()) == 1 + 10
    assert response.headers[TRUNCATED_HEADER] == "true"
    assert complete.headers[TRUNCATED_HEADER] == "false"
    assert len(complete.text.strip().splitlines()) == 1 + 2 * len(SITE_POWER_W)


async def test_long_windows_are_averaged_into_few_chart_points(
    dashboard: DashboardServer,
) -> None:
    response = await dashboard.client.get(
        f"/dashboard/api/devices/{UTILITY_DEVICE}",
        params={"window_s": 30 * 86400},
        headers=dashboard.bearer(dashboard.utility_token),
    )
    site_power = next(
        s for s in response.json()["telemetry"] if s["site"] and s["quantity"] == "power_w"
    )
    bucket_s = site_power["bucket_s"]
    values = [v for _, v in site_power["points"]]
    # 30 days over at most 600 points: 72-minute means; the hour of readings spans 1 or 2.
    assert bucket_s == 30 * 86400 // 600
    assert 1 <= len(values) <= 2
    assert sum(values) / len(values) == pytest.approx(
        sum(SITE_POWER_W) / len(SITE_POWER_W), rel=0.5
    )


async def _fleet(srv: DashboardServer, **params: str | int) -> dict[str, Any]:
    response = await srv.client.get(
        "/dashboard/api/fleet", params=params, headers=srv.bearer(srv.utility_token)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_device_silent_for_three_post_rates_is_stale(dashboard: DashboardServer) -> None:
    fresh = {d["lfdi"]: d["stale"] for d in (await _fleet(dashboard))["devices"]}
    dashboard.clock.now = NOW + 3 * 300 + 1  # default postRate 300 s, last contact at NOW
    later = await _fleet(dashboard)
    assert fresh == {UTILITY_DEVICE: False, AGGREGATOR_DEVICE: True}  # it never posted
    assert all(d["stale"] for d in later["devices"])
    assert later["summary"]["stale"] == 2


async def test_the_fleet_filters_by_lfdi_prefix_and_group(dashboard: DashboardServer) -> None:
    by_prefix = await _fleet(dashboard, q=AGGREGATOR_DEVICE[:6].lower())
    everything = await _fleet(dashboard)
    group_id = everything["groups"][0]["id"]
    in_group = await _fleet(dashboard, group=group_id)
    in_no_group = await _fleet(dashboard, group=group_id + 100)
    assert [d["lfdi"] for d in by_prefix["devices"]] == [AGGREGATOR_DEVICE]
    assert by_prefix["all"] == 1
    assert in_group["all"] == 2
    assert in_no_group["all"] == 0


async def test_a_search_that_is_not_hex_is_refused(dashboard: DashboardServer) -> None:
    response = await dashboard.client.get(
        "/dashboard/api/fleet",
        params={"q": "%' OR 1=1 --"},
        headers=dashboard.bearer(dashboard.utility_token),
    )
    assert response.status_code == 400
    assert "hexadecimal" in response.json()["message"]


async def test_program_reach_counts_only_devices_in_scope(dashboard: DashboardServer) -> None:
    utility = await dashboard.client.get(
        "/dashboard/api/programs", headers=dashboard.bearer(dashboard.utility_token)
    )
    aggregator = await dashboard.client.get(
        "/dashboard/api/programs", headers=dashboard.bearer(dashboard.aggregator_token)
    )
    assert utility.json()["programs"][0]["reach"] == {"groups": 1, "devices": 2}
    assert aggregator.json()["programs"][0]["reach"] == {"groups": None, "devices": 1}
    # The utility's device responded; the aggregator does not see that response.
    assert {c["id"]: c["responses"] for c in aggregator.json()["programs"][0]["controls"]}[
        dashboard.seeded.active_control_id
    ] == {}


def _control(
    srv: DashboardServer, program_id: int, start: int, duration_s: int, export_w: float, name: str
) -> int:
    row = srv.store.call(
        programs.create_der_control,
        service_ctx(srv.clock),
        program_id=program_id,
        start_time=start,
        duration_s=duration_s,
        modes=programs.ControlModes(op_mod_exp_lim_w=export_w),
        description=name,
    )
    assert row.id is not None
    return row.id


async def test_the_lower_primacy_program_wins_the_fleet_view(dashboard: DashboardServer) -> None:
    urgent = dashboard.store.call(
        programs.create_program,
        service_ctx(dashboard.clock),
        primacy=1,
        description="Emergency",
        group_ids=[dashboard.seeded.group_id],
    )
    assert urgent.id is not None
    winner = _control(dashboard, urgent.id, NOW - 60, 600, 0, "emergency zero export")
    devices = {d["lfdi"]: d for d in (await _fleet(dashboard))["devices"]}
    assert devices[UTILITY_DEVICE]["active_control"]["id"] == winner
    assert devices[UTILITY_DEVICE]["active_control"]["primacy"] == 1


async def test_many_scheduled_controls_do_not_hide_the_active_one(
    dashboard: DashboardServer,
) -> None:
    for day in range(1, 60):
        _control(dashboard, dashboard.seeded.program_id, NOW + day * 86400, 600, 2000, "later")
    devices = {d["lfdi"]: d for d in (await _fleet(dashboard))["devices"]}
    assert devices[UTILITY_DEVICE]["active_control"]["id"] == dashboard.seeded.active_control_id


async def test_a_superseded_control_is_listed_as_superseded(dashboard: DashboardServer) -> None:
    newer = _control(dashboard, dashboard.seeded.program_id, NOW - 300, 600, 1000, "tighter")
    response = await dashboard.client.get(
        "/dashboard/api/programs", headers=dashboard.bearer(dashboard.utility_token)
    )
    listed = {c["id"]: c["status"]["name"] for c in response.json()["programs"][0]["controls"]}
    devices = {d["lfdi"]: d for d in (await _fleet(dashboard))["devices"]}
    assert listed[dashboard.seeded.active_control_id] == "superseded"
    assert listed[newer] == "active"
    assert devices[UTILITY_DEVICE]["active_control"]["id"] == newer


async def test_unknown_pages_are_404_as_html_and_as_json(dashboard: DashboardServer) -> None:
    await _login(dashboard, dashboard.utility_token)
    page = await dashboard.client.get("/dashboard/no-such-page")
    data = await dashboard.client.get("/dashboard/api/no-such-view")
    unknown = await dashboard.client.get(f"/dashboard/devices/{'3C' * 20}")
    assert page.status_code == 404 and "no such dashboard page" in page.text
    assert data.status_code == 404 and data.json()["error"] == "not_found"
    assert unknown.status_code == 404 and "in your scope" in unknown.text


async def test_der_resources_read_as_plain_values(dashboard: DashboardServer) -> None:
    response = await dashboard.client.get(
        f"/dashboard/api/devices/{UTILITY_DEVICE}",
        headers=dashboard.bearer(dashboard.utility_token),
    )
    resources = response.json()["resources"]
    capability = resources["DERCapability"][0]["fields"]
    settings = resources["DERSettings"][0]["fields"]
    availability = resources["DERAvailability"][0]["fields"]
    # ActivePower(value, multiplier) and WattHour read as watts and watt-hours.
    assert capability["rtgMaxW"] == 5000
    assert capability["rtgMaxWh"] == 13500
    assert capability["type_value"] == 83
    assert settings["setMaxW"] == 5000
    assert settings["setGradW"] == 100
    assert "error" not in availability


async def test_failed_and_pending_notifications_are_counted_per_device(
    dashboard: DashboardServer,
) -> None:
    def arrange(session: Session) -> None:
        for index in range(3):
            row = enqueue_notification(
                session,
                subscription_id=None,
                end_device_id=dashboard.seeded.utility_device_id,
                resource_href="/derp/1/derc",
                notification_uri="https://gateway.example/notify",
                body=None,
                now=NOW,
            )
            if index == 0:  # the worker gave this one up
                row.status = OutboxStatus.FAILED.value
        session.commit()

    dashboard.store.call(arrange)
    data = await _fleet(dashboard)
    devices = {d["lfdi"]: d for d in data["devices"]}
    assert devices[UTILITY_DEVICE]["notifications"] == {"pending": 2, "failed": 1}
    assert devices[AGGREGATOR_DEVICE]["notifications"] == {"pending": 0, "failed": 0}
    assert data["summary"]["notifications_failed"] == 1
    assert data["summary"]["notifications_pending"] == 2
