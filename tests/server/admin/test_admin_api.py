"""The admin API: every route authenticated and scoped, documented, validated, audited."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import NOW, AdminEnv

from openderms.certs.identity import sfdi_from_lfdi
from openderms.server import uris
from openderms.server.admin.app import ROUTES  # every operation: 2030.5 and OpenADR clients
from openderms.server.admin.openapi import OPENAPI_PATH, openapi_path
from openderms.server.store.admin import select_audit_records

DEVICE_A = "0A" * 20
DEVICE_B = "0B" * 20

# Minimal valid bodies, so scope checks are reached rather than validation errors.
VALID_BODIES: dict[str, dict[str, Any]] = {
    "registerDevice": {"lfdi": "0C" * 20},
    "reassignDevice": {"aggregator_lfdi": None},
    "createDeviceControl": {"duration_s": 600, "modes": {"op_mod_exp_lim_w": 1000}},
    "setDeviceDefaultControl": {"modes": {"op_mod_exp_lim_w": 5000}},
    "createGroup": {"description": "g"},
    "assignDevices": {"lfdis": [DEVICE_A]},
    "createGroupControl": {"duration_s": 600, "modes": {"op_mod_exp_lim_w": 1000}},
    "setGroupDefaultControl": {"modes": {"op_mod_exp_lim_w": 5000}},
    "createProgram": {"primacy": 10},
    "createProgramControl": {"duration_s": 600, "modes": {"op_mod_exp_lim_w": 1000}},
    "setProgramDefaultControl": {"modes": {"op_mod_exp_lim_w": 5000}},
    "cancelControl": {},
    "setRates": {"poll_rate_s": 60},
    "createToken": {"name": "x", "role": "utility"},
}


def _concrete(path: str, lfdi: str = DEVICE_A) -> str:
    return re.sub(r"<(?:int:)?(\w+)>", lambda m: lfdi if m.group(1) == "lfdi" else "1", path)


async def _call(
    env: AdminEnv, method: str, path: str, token: str | None, body: Any = None
) -> tuple[int, Any]:
    client = env.app.test_client()
    headers = env.auth(token) if token else {}
    response = await client.open(path, method=method, headers=headers, json=body)
    return response.status_code, await response.get_json()


async def _register(env: AdminEnv, lfdi: str, token: str | None = None) -> dict[str, Any]:
    status, body = await _call(env, "POST", "/devices", token or env.utility, {"lfdi": lfdi})
    assert status == 201, body
    return body


async def _group_with_program(
    env: AdminEnv, lfdis: list[str], *, primacy: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new group holding ``lfdis`` and a new program listed in it (as the utility)."""
    status, group = await _call(env, "POST", "/groups", env.utility, {})
    assert status == 201, group
    status, added = await _call(
        env, "POST", f"/groups/{group['id']}/devices", env.utility, {"lfdis": lfdis}
    )
    assert status == 200, added
    status, program = await _call(
        env, "POST", "/programs", env.utility, {"primacy": primacy, "group_ids": [group["id"]]}
    )
    assert status == 201, program
    return group, program


def test_every_route_of_the_app_is_in_the_openapi_document(admin_env: AdminEnv) -> None:
    from openderms.server.admin.openapi import build_openapi

    doc = build_openapi(ROUTES)
    in_app = {
        (openapi_path(rule.rule), method.lower())
        for rule in admin_env.app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    in_doc = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert in_app == in_doc


async def test_openapi_document_is_served_to_token_holders_only(admin_env: AdminEnv) -> None:
    refused, _ = await _call(admin_env, "GET", OPENAPI_PATH, None)
    status, doc = await _call(admin_env, "GET", OPENAPI_PATH, admin_env.aggregator)
    assert refused == 401
    assert status == 200
    assert doc["openapi"].startswith("3.")
    assert doc["components"]["schemas"]["CreateControlBody"]["additionalProperties"] is False


async def test_every_route_refuses_a_call_without_a_valid_token(admin_env: AdminEnv) -> None:
    client = admin_env.app.test_client()
    answers = {}
    for route in ROUTES:
        for header in (None, "Bearer od_not-a-real-token", "Basic dXNlcjpwdw=="):
            response = await client.open(
                _concrete(route.path),
                method=route.method,
                headers={"Authorization": header} if header else {},
                json=VALID_BODIES.get(route.operation_id),
            )
            answers[(route.operation_id, header)] = response.status_code
    assert set(answers.values()) == {401}, answers


async def test_utility_routes_refuse_an_aggregator_token(admin_env: AdminEnv) -> None:
    answers = {}
    for route in (r for r in ROUTES if r.utility_only):
        answers[route.operation_id], _ = await _call(
            admin_env,
            route.method,
            _concrete(route.path),
            admin_env.aggregator,
            VALID_BODIES.get(route.operation_id),
        )
    assert len(answers) >= 8
    assert set(answers.values()) == {403}, answers


async def test_device_routes_hide_devices_outside_the_aggregators_scope(
    admin_env: AdminEnv,
) -> None:
    await _register(admin_env, DEVICE_A, admin_env.aggregator)
    outsider, owner = {}, {}
    # Utility-only routes refuse aggregator tokens before any lookup (tested above).
    for route in (r for r in ROUTES if "<lfdi>" in r.path and not r.utility_only):
        path, body = _concrete(route.path, DEVICE_A), VALID_BODIES.get(route.operation_id)
        outsider[route.operation_id], _ = await _call(
            admin_env, route.method, path, admin_env.other_aggregator, body
        )
        owner[route.operation_id], _ = await _call(
            admin_env, route.method, path, admin_env.aggregator, body
        )
    assert set(outsider.values()) == {404}, outsider
    assert set(owner.values()) <= {200, 201}, owner


async def test_aggregator_sees_and_changes_only_its_own_devices(admin_env: AdminEnv) -> None:
    await _register(admin_env, DEVICE_A, admin_env.aggregator)
    await _register(admin_env, DEVICE_B, admin_env.utility)
    _, own = await _call(admin_env, "GET", "/devices", admin_env.aggregator)
    _, other = await _call(admin_env, "GET", "/devices", admin_env.other_aggregator)
    _, everything = await _call(admin_env, "GET", "/devices", admin_env.utility)
    rates, _ = await _call(
        admin_env, "PUT", "/rates", admin_env.aggregator, {"lfdi": DEVICE_B, "poll_rate_s": 5}
    )
    fleet, _ = await _call(admin_env, "PUT", "/rates", admin_env.aggregator, {"poll_rate_s": 5})
    assert [d["lfdi"] for d in own["devices"]] == [DEVICE_A]
    assert other["devices"] == []
    assert everything["all"] == 2
    assert rates == 404
    assert fleet == 403


async def test_aggregator_cannot_cancel_a_control_others_see(admin_env: AdminEnv) -> None:
    await _register(admin_env, DEVICE_A, admin_env.aggregator)
    group, _ = await _group_with_program(admin_env, [DEVICE_A], primacy=5)
    _, control = await _call(
        admin_env,
        "POST",
        f"/groups/{group['id']}/controls",
        admin_env.utility,
        VALID_BODIES["createGroupControl"],
    )
    _, own = await _call(
        admin_env,
        "POST",
        f"/devices/{DEVICE_A}/controls",
        admin_env.aggregator,
        VALID_BODIES["createDeviceControl"],
    )
    other, _ = await _call(
        admin_env, "POST", f"/controls/{own['id']}/cancel", admin_env.other_aggregator, {}
    )
    mine, cancelled = await _call(
        admin_env, "POST", f"/controls/{own['id']}/cancel", admin_env.aggregator, {}
    )
    assert other == 404
    assert mine == 200
    assert cancelled["cancelled_time"] == NOW
    assert control["id"] != own["id"]


async def test_register_device_derives_the_sfdi_from_the_lfdi(admin_env: AdminEnv) -> None:
    body = await _register(admin_env, DEVICE_A)
    assert body["sfdi"] == sfdi_from_lfdi(DEVICE_A)


async def test_registering_an_lfdi_twice_is_a_conflict(admin_env: AdminEnv) -> None:
    await _register(admin_env, DEVICE_A)
    status, body = await _call(
        admin_env, "POST", "/devices", admin_env.utility, {"lfdi": DEVICE_A}
    )
    assert status == 409
    assert DEVICE_A in body["message"]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"lfdi": "xyz"}, "lfdi"),
        ({"lfdi": DEVICE_A, "pin": 1234567}, "pin"),
        ({"lfdi": DEVICE_A, "colour": "red"}, "colour"),
        ({"lfdi": DEVICE_A, "sfdi": 1}, "SFDI"),
        ([1, 2], "JSON object"),
    ],
)
async def test_bad_bodies_get_400_with_a_message_naming_the_problem(
    admin_env: AdminEnv, body: Any, needle: str
) -> None:
    status, answer = await _call(admin_env, "POST", "/devices", admin_env.utility, body)
    assert status == 400
    assert needle in answer["message"]


async def test_control_without_any_mode_is_refused(admin_env: AdminEnv) -> None:
    await _register(admin_env, DEVICE_A)
    status, answer = await _call(
        admin_env,
        "POST",
        f"/devices/{DEVICE_A}/controls",
        admin_env.utility,
        {"duration_s": 60, "modes": {}},
    )
    assert status == 400
    assert "at least one control mode" in answer["message"]


async def test_oversized_body_is_refused_with_413(admin_env: AdminEnv) -> None:
    client = admin_env.app.test_client()
    response = await client.post(
        "/devices",
        headers={**admin_env.auth(admin_env.utility), "Content-Type": "application/json"},
        data=b'{"lfdi": "' + b"0" * 100_000 + b'"}',
    )
    assert response.status_code == 413


async def test_every_change_leaves_an_audit_record_with_who_what_when(
    admin_env: AdminEnv,
) -> None:
    await _register(admin_env, DEVICE_A)
    admin_env.clock[0] = NOW + 5
    refused, _ = await _call(admin_env, "POST", "/groups", admin_env.aggregator, {})
    records = admin_env.store.call(select_audit_records, start=0, limit=10)
    newest, oldest = records
    assert refused == 403
    assert (oldest.action, oldest.role, oldest.status_code, oldest.time) == (
        "registerDevice",
        "utility",
        201,
        NOW,
    )
    assert DEVICE_A in oldest.summary["body"]
    assert oldest.summary["made"]["end_device_id"] > 0
    assert (newest.action, newest.role, newest.status_code, newest.time) == (
        "createGroup",
        "aggregator",
        403,
        NOW + 5,
    )


async def test_reads_are_not_audited(admin_env: AdminEnv) -> None:
    await _call(admin_env, "GET", "/devices", admin_env.utility)
    assert admin_env.store.call(select_audit_records, start=0, limit=10) == []


async def test_group_control_reports_every_member_control_list(admin_env: AdminEnv) -> None:
    """Services report each member's DERControlList href to the change sink (§12.8)."""
    a = await _register(admin_env, DEVICE_A)
    b = await _register(admin_env, DEVICE_B)
    group, program = await _group_with_program(admin_env, [DEVICE_A, DEVICE_B], primacy=5)
    admin_env.changes.hrefs.clear()
    status, _ = await _call(
        admin_env,
        "POST",
        f"/groups/{group['id']}/controls",
        admin_env.utility,
        VALID_BODIES["createGroupControl"],
    )
    assert status == 201
    expected = {
        href(device["id"], program["id"])
        for device in (a, b)
        for href in (uris.der_control_list, uris.active_der_control_list)
    } | {
        # The DERProgramList embeds the control count (issue 11 item 4).
        uris.fsa_program_list(device["id"], group["id"])
        for device in (a, b)
    }
    assert set(admin_env.changes.hrefs) == expected


async def test_later_overlapping_control_supersedes_the_earlier_one(admin_env: AdminEnv) -> None:
    await _register(admin_env, DEVICE_A)
    _, first = await _call(
        admin_env,
        "POST",
        f"/devices/{DEVICE_A}/controls",
        admin_env.utility,
        {"start": NOW + 100, "duration_s": 600, "modes": {"op_mod_exp_lim_w": 1000}},
    )
    admin_env.clock[0] = NOW + 1
    await _call(
        admin_env,
        "POST",
        f"/devices/{DEVICE_A}/controls",
        admin_env.utility,
        {"start": NOW + 200, "duration_s": 600, "modes": {"op_mod_exp_lim_w": 2000}},
    )
    _, shown = await _call(admin_env, "GET", f"/devices/{DEVICE_A}", admin_env.utility)
    from openderms.server.services.admin_fleet import get_control

    earlier = admin_env.store.call(get_control, first["id"])
    assert earlier.superseded_time == NOW + 1
    assert shown["lfdi"] == DEVICE_A


async def test_set_rates_for_one_device_shows_on_the_device(admin_env: AdminEnv) -> None:
    await _register(admin_env, DEVICE_A)
    status, _ = await _call(
        admin_env,
        "PUT",
        "/rates",
        admin_env.utility,
        {"lfdi": DEVICE_A, "poll_rate_s": 60, "post_rate_s": 30},
    )
    _, device = await _call(admin_env, "GET", f"/devices/{DEVICE_A}", admin_env.utility)
    assert status == 200
    assert (device["poll_rate_s"], device["post_rate_s"]) == (60, 30)


async def test_token_created_through_the_api_works_and_is_stored_hashed(
    admin_env: AdminEnv,
) -> None:
    from sqlmodel import select

    from openderms.server.store.admin import AdminToken

    status, issued = await _call(
        admin_env,
        "POST",
        "/tokens",
        admin_env.utility,
        {"name": "ops", "role": "aggregator", "aggregator_lfdi": "CC" * 20},
    )
    listed, _ = await _call(admin_env, "GET", "/devices", issued["token"])
    with admin_env.store.session() as session:
        stored = [t.token_sha256 for t in session.exec(select(AdminToken)).all()]
    assert status == 201
    assert listed == 200
    assert issued["token"] not in stored
    assert all(len(h) == 64 for h in stored)


async def test_revoked_token_stops_working_at_once(admin_env: AdminEnv) -> None:
    _, issued = await _call(
        admin_env, "POST", "/tokens", admin_env.utility, {"name": "temp", "role": "utility"}
    )
    before, _ = await _call(admin_env, "GET", "/devices", issued["token"])
    revoked, _ = await _call(
        admin_env, "POST", f"/tokens/{issued['id']}/revoke", admin_env.utility
    )
    after, _ = await _call(admin_env, "GET", "/devices", issued["token"])
    again, _ = await _call(admin_env, "POST", f"/tokens/{issued['id']}/revoke", admin_env.utility)
    assert (before, revoked, after, again) == (200, 200, 401, 404)


async def test_aggregator_reads_only_its_own_audit_records(admin_env: AdminEnv) -> None:
    await _register(admin_env, DEVICE_A, admin_env.aggregator)
    await _register(admin_env, DEVICE_B, admin_env.other_aggregator)
    _, own = await _call(admin_env, "GET", "/audit", admin_env.aggregator)
    _, everything = await _call(admin_env, "GET", "/audit", admin_env.utility)
    assert [r["summary"]["body"] for r in own["records"]] == [f'{{"lfdi":"{DEVICE_A}"}}']
    assert len(everything["records"]) == 2


async def test_show_device_has_latest_telemetry_and_control_responses(
    admin_env: AdminEnv,
) -> None:
    """A device's mirror readings and its Responses to controls appear on show-device."""
    from openderms.schemas.sep2 import models as sep
    from openderms.server.config import ServerSettings
    from openderms.server.scope import Scope, ServiceContext
    from openderms.server.services.metering_mirror import post_mirror_usage_point
    from openderms.server.services.response import post_response

    device = await _register(admin_env, DEVICE_A)
    _, control = await _call(
        admin_env,
        "POST",
        f"/devices/{DEVICE_A}/controls",
        admin_env.utility,
        VALID_BODIES["createDeviceControl"],
    )
    scope = Scope(lfdi=DEVICE_A, sfdi=device["sfdi"])
    ctx = ServiceContext(now=NOW, settings=ServerSettings())
    window = sep.DateTimeInterval(duration=300, start=sep.TimeType(value=NOW - 300))
    mirror = sep.MirrorUsagePoint(
        mRID=sep.mRIDType(value=bytes.fromhex("AB" * 16)),
        description="site",
        roleFlags=sep.RoleFlagsType(value=(0x0003).to_bytes(2, "big")),
        serviceCategoryKind=sep.ServiceKind(value=0),
        status=1,
        deviceLFDI=bytes.fromhex(DEVICE_A),
        MirrorMeterReading=[
            sep.MirrorMeterReading(
                mRID=sep.mRIDType(value=bytes.fromhex("CD" * 16)),
                description="site power",
                ReadingType=sep.ReadingType(
                    uom=sep.UomType(value=38),
                    powerOfTenMultiplier=sep.PowerOfTenMultiplierType(value=1),
                    kind=sep.KindType(value=37),
                ),
                MirrorReadingSet=[
                    sep.MirrorReadingSet(
                        mRID=sep.mRIDType(value=bytes.fromhex("EF" * 16)),
                        timePeriod=window,
                        Reading=[sep.Reading(value=-320, timePeriod=window)],
                    )
                ],
            )
        ],
    )
    admin_env.store.call(post_mirror_usage_point, ctx, scope, mirror)
    reply = sep.DERControlResponse(
        createdDateTime=sep.TimeType(value=NOW),
        endDeviceLFDI=bytes.fromhex(DEVICE_A),
        status=1,
        subject=sep.mRIDType(value=bytes.fromhex(control["mrid"])),
    )
    admin_env.store.call(post_response, ctx, scope, control["program_id"], reply)

    _, shown = await _call(admin_env, "GET", f"/devices/{DEVICE_A}", admin_env.utility)

    (site,) = shown["telemetry"]
    (power,) = site["readings"]
    assert (power["uom"], power["latest"]["value"]) == (38, -3200)  # -320 x 10^1 W
    assert [(r["subject_mrid"], r["status"]) for r in shown["responses"]] == [(control["mrid"], 1)]


async def test_fleet_wide_rates_become_the_servers_poll_and_post_rates(
    admin_env: AdminEnv,
) -> None:
    from openderms.server.config import ServerSettings
    from openderms.server.services.rates import server_poll_rate_s, server_post_rate_s

    status, answer = await _call(
        admin_env, "PUT", "/rates", admin_env.utility, {"poll_rate_s": 120, "post_rate_s": 60}
    )
    settings = ServerSettings()
    assert (status, answer["scope"]) == (200, "fleet")
    assert admin_env.store.call(server_poll_rate_s, settings) == 120
    assert admin_env.store.call(server_post_rate_s, settings) == 60


async def test_aggregator_cannot_register_under_another_aggregator(admin_env: AdminEnv) -> None:
    status, _ = await _call(
        admin_env,
        "POST",
        "/devices",
        admin_env.aggregator,
        {"lfdi": DEVICE_A, "aggregator_lfdi": "BB" * 20},
    )
    _, listed = await _call(admin_env, "GET", "/devices", admin_env.utility)
    assert status == 403
    assert listed["devices"] == []


async def test_program_and_device_views_list_controls_with_their_status(
    admin_env: AdminEnv,
) -> None:
    """Cancelled controls stay listed (2030.5 §12.1.3); a device's programs by primacy."""
    await _register(admin_env, DEVICE_A)
    _, program = await _group_with_program(admin_env, [DEVICE_A], primacy=50)
    _, control = await _call(
        admin_env,
        "POST",
        f"/programs/{program['id']}/controls",
        admin_env.utility,
        VALID_BODIES["createProgramControl"],
    )
    await _call(admin_env, "POST", f"/controls/{control['id']}/cancel", admin_env.utility, {})
    await _call(
        admin_env,
        "POST",
        f"/devices/{DEVICE_A}/controls",
        admin_env.utility,
        VALID_BODIES["createDeviceControl"],
    )

    _, shown = await _call(admin_env, "GET", f"/programs/{program['id']}", admin_env.utility)
    _, of_device = await _call(
        admin_env, "GET", f"/devices/{DEVICE_A}/controls", admin_env.utility
    )
    _, programs = await _call(admin_env, "GET", "/programs", admin_env.utility)

    assert [(c["id"], c["cancelled_time"]) for c in shown["controls"]] == [(control["id"], NOW)]
    primacies = [p["primacy"] for p in of_device["programs"]]
    assert primacies == [0, 50]  # the device's private program outranks the group's
    assert len(programs["programs"]) == 2


def test_telemetry_scaling_has_no_binary_noise() -> None:
    from openderms.server.services.device_telemetry import _scaled

    assert _scaled(2401, -1) == 240.1
    assert _scaled(-320, 1) == -3200
    assert _scaled(5, 0) == 5


async def test_show_device_has_the_der_status_the_device_put(admin_env: AdminEnv) -> None:
    """DER resources hang under /edev/{id}/der/1: show-device must read them there."""
    from openderms.server.config import ServerSettings
    from openderms.server.scope import Scope, ServiceContext
    from openderms.server.services.der import put_der_resource
    from openderms.testing import sep2_examples as ex

    device = await _register(admin_env, DEVICE_A)
    scope = Scope(lfdi=DEVICE_A, sfdi=device["sfdi"])
    ctx = ServiceContext(now=NOW, settings=ServerSettings())
    admin_env.store.call(
        put_der_resource, ctx, scope, device["id"], uris.DER_INDEX, ex.der_status(NOW)
    )

    _, shown = await _call(admin_env, "GET", f"/devices/{DEVICE_A}", admin_env.utility)

    assert "<DERStatus" in shown["latest"]["DERStatus"]["xml"]
