"""Dashboard forms as admin operations: parsing, CSRF, scope and audit (over HTTP).

The browser tests drive the same forms in Chromium; these pin the rules one by one.
"""

from __future__ import annotations

import html
import re

import pytest
from dashboard_testlib import AGGREGATOR_DEVICE, UTILITY_DEVICE, DashboardServer
from sqlmodel import Session, select
from werkzeug.datastructures import MultiDict

from openderms.server.admin.schemas import ControlModes
from openderms.server.dashboard.authoring import (
    MODE_FIELDS,
    control_change,
    manage_change,
    route_of,
)
from openderms.server.dashboard.errors import DashboardBadRequestError
from openderms.server.dashboard.params import parse_when
from openderms.server.store.admin import AuditRecord
from openderms.server.store.models import DERControlRow, EndDeviceRow

NOW = 1_800_000_000


def test_start_times_read_now_relative_epoch_and_iso() -> None:
    assert parse_when("start", "", now=NOW) == NOW
    assert parse_when("start", "now", now=NOW) == NOW
    assert parse_when("start", "+10m", now=NOW) == NOW + 600
    assert parse_when("start", "+2h", now=NOW) == NOW + 7200
    assert parse_when("start", "+1d", now=NOW) == NOW + 86400
    assert parse_when("start", "+45", now=NOW) == NOW + 45
    assert parse_when("start", "2027-01-15T09:00:00Z", now=NOW) == NOW + 3600
    with pytest.raises(DashboardBadRequestError, match="start"):
        parse_when("start", "tomorrow-ish", now=NOW)


def test_every_admin_mode_has_a_form_field() -> None:
    assert [m.name for m in MODE_FIELDS] == list(ControlModes.model_fields)
    kinds = {m.name: m.kind for m in MODE_FIELDS}
    assert kinds["op_mod_connect"] == "bool" and kinds["ramp_tms"] == "int"
    assert kinds["op_mod_exp_lim_w"] == "float"


def test_a_group_event_form_becomes_the_admin_body() -> None:
    change = control_change(
        MultiDict(
            {
                "kind": "event",
                "target_kind": "group",
                "target_group": "3",
                "target_device": "",
                "start": "+5m",
                "duration_min": "15",
                "mode.op_mod_exp_lim_w": "1500",
                "mode.op_mod_energize": "false",
                "description": "cap",
            }
        ),
        now=NOW,
    )
    assert change.operation_id == "createGroupControl"
    assert change.params == {"group_id": 3}
    assert change.body == {
        "start": NOW + 300,
        "duration_s": 900,
        "description": "cap",
        "modes": {"op_mod_exp_lim_w": 1500.0, "op_mod_energize": False},
    }


def test_a_device_default_form_and_bad_forms() -> None:
    change = control_change(
        MultiDict(
            {
                "kind": "default",
                "target_kind": "device",
                "target_device": UTILITY_DEVICE.lower(),
                "mode.op_mod_imp_lim_w": "7000",
                "set_grad_w": "50",
            }
        ),
        now=NOW,
    )
    assert change.operation_id == "setDeviceDefaultControl"
    assert change.params == {"lfdi": UTILITY_DEVICE}
    assert change.body == {
        "description": "",
        "modes": {"op_mod_imp_lim_w": 7000.0},
        "set_grad_w": 50,
    }
    base = {"kind": "event", "target_kind": "device", "target_device": UTILITY_DEVICE}
    for extra, message in (
        ({"duration_min": "10"}, "at least one control mode"),
        ({"duration_min": "10", "mode.op_mod_exp_lim_w": "-5"}, "op_mod_exp_lim_w"),
        ({"duration_min": "10", "mode.op_mod_exp_lim_w": "lots"}, "number"),
        ({"mode.op_mod_exp_lim_w": "5"}, "duration_min"),
        (
            {"duration_min": "10", "mode.op_mod_exp_lim_w": "5", "randomize_start_s": "9999"},
            "randomize_start_s",
        ),
    ):
        with pytest.raises(DashboardBadRequestError, match=message):
            control_change(MultiDict({**base, **extra}), now=NOW)


def test_only_authoring_operations_run_from_forms() -> None:
    assert route_of("cancelControl").method == "POST"
    for forbidden in ("createToken", "revokeToken", "listDevices"):
        with pytest.raises(DashboardBadRequestError):
            route_of(forbidden)
    with pytest.raises(DashboardBadRequestError):
        manage_change("createToken", MultiDict({}))


def test_a_program_form_takes_several_groups() -> None:
    form = MultiDict(
        [("description", "evening"), ("primacy", "20"), ("group_ids", "1"), ("group_ids", "4")]
    )
    change = manage_change("createProgram", form)
    assert change.body == {"description": "evening", "primacy": 20, "group_ids": [1, 4]}


# --- over HTTP ------------------------------------------------------------------------------


async def _login(srv: DashboardServer, token: str) -> str:
    response = await srv.client.post(
        "/dashboard/login", data={"token": token}, headers={"Origin": srv.base_url}
    )
    assert response.status_code == 303
    page = await srv.client.get("/dashboard/author")
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def _controls(srv: DashboardServer) -> list[DERControlRow]:
    def read(session: Session) -> list[DERControlRow]:
        return list(session.exec(select(DERControlRow).order_by(DERControlRow.id)).all())

    return srv.store.call(read)


def _audit(srv: DashboardServer) -> list[AuditRecord]:
    def read(session: Session) -> list[AuditRecord]:
        return list(session.exec(select(AuditRecord).order_by(AuditRecord.id)).all())

    return srv.store.call(read)


DEVICE_EVENT = {
    "kind": "event",
    "target_kind": "device",
    "target_device": UTILITY_DEVICE,
    "duration_min": "20",
    "mode.op_mod_exp_lim_w": "900",
    "description": "http cap",
}


async def test_forms_without_the_session_csrf_token_change_nothing(
    dashboard: DashboardServer,
) -> None:
    csrf = await _login(dashboard, dashboard.utility_token)
    before = len(_controls(dashboard))
    origin = {"Origin": dashboard.base_url}
    missing = await dashboard.client.post(
        "/dashboard/author/preview", data=DEVICE_EVENT, headers=origin
    )
    wrong = await dashboard.client.post(
        "/dashboard/manage/createGroup",
        data={"description": "x", "csrf": csrf[:-2] + "AA"},
        headers=origin,
    )
    cross = await dashboard.client.post(
        "/dashboard/manage/createGroup",
        data={"description": "x", "csrf": csrf},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert (missing.status_code, wrong.status_code, cross.status_code) == (400, 400, 400)
    assert "reload the page" in missing.text
    assert len(_controls(dashboard)) == before and _audit(dashboard) == []


async def test_the_pages_send_referrer_policy_same_origin(dashboard: DashboardServer) -> None:
    # With no-referrer Chromium posts our own forms with "Origin: null" (issue 13).
    page = await dashboard.client.get("/dashboard/login")
    assert page.headers["Referrer-Policy"] == "same-origin"


async def test_preview_writes_nothing_and_confirm_is_the_audited_admin_call(
    dashboard: DashboardServer,
) -> None:
    csrf = await _login(dashboard, dashboard.utility_token)
    origin = {"Origin": dashboard.base_url}
    before = len(_controls(dashboard))
    preview = await dashboard.client.post(
        "/dashboard/author/preview", data={**DEVICE_EVENT, "csrf": csrf}, headers=origin
    )
    assert preview.status_code == 200
    assert len(_controls(dashboard)) == before
    fields = dict(re.findall(r'name="(operation|params|body)" value="([^"]*)"', preview.text))
    assert fields["operation"] == "createDeviceControl"
    confirm = await dashboard.client.post(
        "/dashboard/author/confirm",
        data={"csrf": csrf, **{k: html.unescape(v) for k, v in fields.items()}},
        headers=origin,
    )
    assert confirm.status_code == 303
    assert confirm.headers["location"].startswith(f"/dashboard/devices/{UTILITY_DEVICE}")
    made = _controls(dashboard)[-1]
    assert (made.description, made.op_mod_exp_lim_w, made.duration_s) == ("http cap", 900, 1200)
    record = _audit(dashboard)[-1]
    assert (record.action, record.actor, record.status_code) == (
        "createDeviceControl",
        "utility desk",
        201,
    )
    assert record.path == "/dashboard/author/confirm"


async def test_an_aggregator_cannot_author_outside_its_scope(dashboard: DashboardServer) -> None:
    csrf = await _login(dashboard, dashboard.aggregator_token)
    origin = {"Origin": dashboard.base_url}
    other = await dashboard.client.post(
        "/dashboard/author/preview", data={**DEVICE_EVENT, "csrf": csrf}, headers=origin
    )
    assert (other.status_code == 400 and "no EndDevice" in other.text) or other.status_code == 404
    # Forged confirmation of a group control: the admin operation refuses it, and audits it.
    forged = await dashboard.client.post(
        "/dashboard/author/confirm",
        data={
            "csrf": csrf,
            "operation": "createGroupControl",
            "params": f'{{"group_id": {dashboard.seeded.group_id}}}',
            "body": '{"duration_s": 60, "modes": {"op_mod_exp_lim_w": 0}}',
        },
        headers=origin,
    )
    assert forged.status_code == 403
    assert "needs a utility token" in forged.text
    record = _audit(dashboard)[-1]
    assert (record.action, record.role, record.status_code) == (
        "createGroupControl",
        "aggregator",
        403,
    )
    # Its own device is fine.
    mine = await dashboard.client.post(
        "/dashboard/author/preview",
        data={**DEVICE_EVENT, "target_device": AGGREGATOR_DEVICE, "csrf": csrf},
        headers=origin,
    )
    assert mine.status_code == 200 and "1 device" in mine.text


async def test_registering_a_device_from_the_manage_page(dashboard: DashboardServer) -> None:
    csrf = await _login(dashboard, dashboard.utility_token)
    lfdi = "3C" * 20
    response = await dashboard.client.post(
        "/dashboard/manage/registerDevice",
        data={"csrf": csrf, "lfdi": lfdi, "pin": "111115"},
        headers={"Origin": dashboard.base_url},
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith("done=registerDevice")

    def read(session: Session) -> EndDeviceRow | None:
        return session.exec(select(EndDeviceRow).where(EndDeviceRow.lfdi == lfdi)).first()

    device = dashboard.store.call(read)
    assert device is not None and device.registration_pin == 111115
    bad = await dashboard.client.post(
        "/dashboard/manage/registerDevice",
        data={"csrf": csrf, "lfdi": "nothex"},
        headers={"Origin": dashboard.base_url},
    )
    assert bad.status_code == 400 and "lfdi" in bad.text
