"""The VTN's REST API: every object's create/read/update/delete, filters, paging, errors."""

from __future__ import annotations

import re
from typing import Any

import pytest

from openderms.testing.openadr_vtn import Vtn
from openderms.testing.openadr_yaml import openadr_document, openadr_yaml_path

EVENT_INTERVALS = [{"id": 0, "payloads": [{"type": "SIMPLE", "values": [1]}]}]


async def _program(vtn: Vtn, name: str = "p1", **extra: Any) -> dict[str, Any]:
    return await vtn.made("/programs", "bl", {"programName": name, **extra})


async def _ven(vtn: Vtn, client: str, name: str, targets: list[str] | None = None) -> str:
    body: dict[str, Any] = {"objectType": "BL_VEN_REQUEST", "clientID": client, "venName": name}
    if targets is not None:
        body["targets"] = targets
    made = await vtn.made("/vens", "bl", body)
    return str(made["id"])


async def test_program_create_read_update_delete(vtn: Vtn) -> None:
    """POST 201, GET 200, PUT 200 (id and createdDateTime kept), DELETE 200 then 404."""
    made = await _program(vtn, "ResTOU", targets=["group-1"])
    assert made["objectType"] == "PROGRAM" and made["programName"] == "ResTOU"
    status, got = await vtn.call("GET", f"/programs/{made['id']}", "bl")
    assert status == 200 and got == made
    vtn.clock.now += 60
    status, changed = await vtn.call(
        "PUT", f"/programs/{made['id']}", "bl", {"programName": "ResTOU2"}
    )
    assert status == 200
    assert changed["id"] == made["id"] and changed["createdDateTime"] == made["createdDateTime"]
    assert changed["modificationDateTime"] != made["modificationDateTime"]
    assert changed["programName"] == "ResTOU2" and "targets" not in changed
    status, deleted = await vtn.call("DELETE", f"/programs/{made['id']}", "bl")
    assert status == 200 and deleted == changed
    status, problem = await vtn.call("GET", f"/programs/{made['id']}", "bl")
    assert status == 404 and problem["status"] == 404 and problem["title"] == "Not Found"


async def test_server_assigned_fields_from_a_client_are_ignored(vtn: Vtn) -> None:
    """id, createdDateTime, modificationDateTime, objectType are the VTN's to set."""
    made = await _program(
        vtn,
        id="mine",
        createdDateTime="2000-01-01T00:00:00Z",
        objectType="EVENT",
    )
    assert made["id"] != "mine" and made["objectType"] == "PROGRAM"
    assert made["createdDateTime"].startswith("2026-01-01")


async def test_event_report_subscription_ven_resource_lifecycle(vtn: Vtn) -> None:
    program = await _program(vtn)
    event = await vtn.made(
        "/events", "bl", {"programID": program["id"], "intervals": EVENT_INTERVALS}
    )
    assert event["objectType"] == "EVENT" and event["programID"] == program["id"]
    ven_id = await _ven(vtn, "ven1", "ven-one")
    resource = await vtn.made(
        "/resources",
        "ven1",
        {"objectType": "VEN_RESOURCE_REQUEST", "resourceName": "battery", "venID": ven_id},
    )
    assert resource["clientID"] == "ven1" and resource["objectType"] == "RESOURCE"
    report = await vtn.made(
        "/reports",
        "ven1",
        {
            "eventID": event["id"],
            "clientName": "ven-one",
            "resources": [{"resourceName": "battery", "intervals": EVENT_INTERVALS}],
        },
    )
    assert report["clientID"] == "ven1" and report["objectType"] == "REPORT"
    subscription = await vtn.made(
        "/subscriptions",
        "ven1",
        {
            "clientName": "ven-one",
            "objectOperations": [
                {
                    "objects": ["EVENT"],
                    "operations": ["CREATE"],
                    "callbackUrl": "https://93.184.215.14/cb",
                }
            ],
        },
    )
    assert subscription["clientID"] == "ven1"
    for path, item in [
        ("/events", event),
        ("/vens", {"id": ven_id}),
        ("/resources", resource),
        ("/reports", report),
        ("/subscriptions", subscription),
    ]:
        status, got = await vtn.call("GET", f"{path}/{item['id']}", "bl")
        assert status == 200 and got["id"] == item["id"], path


async def test_deleting_a_program_deletes_its_events(vtn: Vtn) -> None:
    program = await _program(vtn)
    event = await vtn.made("/events", "bl", {"programID": program["id"]})
    await vtn.call("DELETE", f"/programs/{program['id']}", "bl")
    status, _ = await vtn.call("GET", f"/events/{event['id']}", "bl")
    assert status == 404


async def test_paging_never_skips_or_repeats_while_objects_are_added(vtn: Vtn) -> None:
    """skip/limit over a stable order (creation): new objects land after the last page."""
    for index in range(7):
        await _program(vtn, f"p{index}")
    seen: list[str] = []
    skip = 0
    while True:
        status, page = await vtn.call("GET", f"/programs?skip={skip}&limit=3", "bl")
        assert status == 200
        if not page:
            break
        seen.extend(item["programName"] for item in page)
        skip += len(page)
        if skip == 3:
            await _program(vtn, "added-while-paging")
    assert seen == [f"p{i}" for i in range(7)] + ["added-while-paging"]


async def test_limit_defaults_to_and_caps_at_50(vtn: Vtn) -> None:
    for index in range(52):
        await _program(vtn, f"p{index}")
    status, page = await vtn.call("GET", "/programs", "bl")
    assert status == 200 and len(page) == 50
    status, problem = await vtn.call("GET", "/programs?limit=51", "bl")
    assert status == 400 and "limit" in problem["detail"]
    status, page = await vtn.call("GET", "/programs?limit=0", "bl")
    assert status == 200 and page == []


async def test_filters_targets_program_ven_client_name(vtn: Vtn) -> None:
    a = await _program(vtn, "a", targets=["north"])
    b = await _program(vtn, "b", targets=["south", "east"])
    await _program(vtn, "c")
    status, found = await vtn.call("GET", "/programs?targets=south&targets=west", "bl")
    assert status == 200 and [p["id"] for p in found] == [b["id"]]
    ea = await vtn.made("/events", "bl", {"programID": a["id"]})
    await vtn.made("/events", "bl", {"programID": b["id"]})
    status, found = await vtn.call("GET", f"/events?programID={a['id']}", "bl")
    assert [e["id"] for e in found] == [ea["id"]]
    v1 = await _ven(vtn, "ven1", "one")
    await _ven(vtn, "ven2", "two")
    status, found = await vtn.call("GET", "/vens?venName=one", "bl")
    assert [v["id"] for v in found] == [v1]
    await vtn.made(
        "/resources",
        "bl",
        {
            "objectType": "BL_RESOURCE_REQUEST",
            "clientID": "ven1",
            "resourceName": "r",
            "venID": v1,
        },
    )
    status, found = await vtn.call("GET", f"/resources?venID={v1}", "bl")
    assert [r["venID"] for r in found] == [v1]
    status, found = await vtn.call("GET", "/resources?resourceName=other", "bl")
    assert found == []


async def test_active_leaves_out_events_that_have_ended(vtn: Vtn) -> None:
    program = await _program(vtn)
    past = {
        "programID": program["id"],
        "intervalPeriod": {"start": "2025-01-01T00:00:00Z", "duration": "PT1H"},
        "intervals": EVENT_INTERVALS,
    }
    ended = await vtn.made("/events", "bl", past)
    future = {**past, "intervalPeriod": {"start": "2026-01-02T00:00:00Z", "duration": "PT1H"}}
    coming = await vtn.made("/events", "bl", future)
    forever = {**past, "intervalPeriod": {"start": "0001-01-01", "duration": "P9999Y"}}
    always = await vtn.made("/events", "bl", forever)
    status, found = await vtn.call("GET", "/events?active=true", "bl")
    assert status == 200 and [e["id"] for e in found] == [coming["id"], always["id"]]
    status, found = await vtn.call("GET", "/events?active=false", "bl")
    assert status == 200 and [e["id"] for e in found] == [ended["id"], coming["id"], always["id"]]


async def test_program_name_is_unique(vtn: Vtn) -> None:
    await _program(vtn, "same")
    status, problem = await vtn.call("POST", "/programs", "bl", {"programName": "same"})
    assert status == 409 and problem["status"] == 409


async def test_event_of_an_unknown_program_is_a_conflict(vtn: Vtn) -> None:
    status, problem = await vtn.call("POST", "/events", "bl", {"programID": "nope"})
    assert status == 409 and "programID" in problem["detail"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/programs", {"programName": ""}),
        ("POST", "/programs", {"programName": "x", "targets": [""]}),
        ("POST", "/events", {"programID": "bad id"}),
        ("POST", "/events", {"programID": "p", "duration": "one hour"}),
        ("POST", "/programs", "not an object"),
        ("GET", "/programs/bad.id", None),
        ("GET", "/programs?skip=-1", None),
        ("GET", "/events?active=maybe", None),
        ("GET", "/events?programID=a%20b", None),
    ],
)
async def test_bad_requests_are_400_problems(vtn: Vtn, method: str, path: str, body: Any) -> None:
    status, problem = await vtn.call(method, path, "bl", body)
    assert status == 400
    assert problem["type"] == "about:blank" and problem["status"] == 400 and problem["detail"]


async def test_no_or_bad_token_is_401(vtn: Vtn) -> None:
    status, problem = await vtn.call("GET", "/programs", None)
    assert status == 401 and problem["status"] == 401
    response = await vtn.client.get("/programs", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


async def test_unknown_path_and_method_are_problems(vtn: Vtn) -> None:
    status, problem = await vtn.call("GET", "/nothing-here", "bl")
    assert status == 404 and problem["status"] == 404
    status, problem = await vtn.call("PATCH", "/programs", "bl", {})
    assert status == 405 and problem["status"] == 405


async def test_notifiers_and_topics(vtn: Vtn) -> None:
    status, notifiers = await vtn.call("GET", "/notifiers", "ven1")
    assert status == 200 and notifiers["WEBHOOK"] is True
    assert notifiers["MQTT"]["URIS"] == ["mqtt://127.0.0.1:1883"]
    status, topics = await vtn.call("GET", "/notifiers/mqtt/topics/programs", "bl")
    assert topics["topics"]["CREATE"] == "OpenADR/3.1.0/programs/create"
    program = await _program(vtn)
    status, topics = await vtn.call(
        "GET", f"/notifiers/mqtt/topics/programs/{program['id']}", "bl"
    )
    assert "CREATE" not in topics["topics"]
    assert topics["topics"]["UPDATE"] == f"OpenADR/3.1.0/programs/{program['id']}/update"
    ven_id = await _ven(vtn, "ven1", "one")
    status, topics = await vtn.call("GET", f"/notifiers/mqtt/topics/vens/{ven_id}/events", "ven1")
    assert status == 200
    assert topics["topics"]["ALL"] == f"OpenADR/3.1.0/vens/{ven_id}/events/+"


async def test_auth_server_names_the_token_endpoint(vtn: Vtn) -> None:
    response = await vtn.client.get("/auth/server")
    assert response.status_code == 200
    assert (await response.get_json())["tokenURL"].endswith("/auth/token")


async def test_subscriptions_filter_by_objects(vtn: Vtn) -> None:
    """GET /subscriptions?objects=...: those naming at least one of the objectTypes."""

    async def subscribe(objects: list[str]) -> str:
        made = await vtn.made(
            "/subscriptions",
            "ven1",
            {
                "clientName": "ven1",
                "objectOperations": [
                    {
                        "objects": objects,
                        "operations": ["CREATE"],
                        "callbackUrl": "https://93.184.215.14/cb",
                    }
                ],
            },
        )
        return str(made["id"])

    events = await subscribe(["EVENT"])
    both = await subscribe(["PROGRAM", "REPORT"])
    status, found = await vtn.call("GET", "/subscriptions?objects=EVENT", "ven1")
    assert status == 200 and [s["id"] for s in found] == [events]
    status, found = await vtn.call("GET", "/subscriptions?objects=REPORT&objects=EVENT", "ven1")
    assert [s["id"] for s in found] == [events, both]
    status, found = await vtn.call("GET", "/subscriptions?objects=VEN", "ven1")
    assert found == []
    status, problem = await vtn.call("GET", "/subscriptions?objects=NOTHING", "ven1")
    assert status == 400 and "objectTypes" in problem["detail"]


async def test_every_path_and_method_of_the_yaml_is_served_and_nothing_else(vtn: Vtn) -> None:
    """The app's routes are exactly the YAML's 45 operations."""
    if openadr_yaml_path() is None:
        pytest.skip("openadr3.yaml not found: set OPENDERMS_OPENADR_YAML or provide ../shared")
    wanted = {
        (re.sub(r"\{[^}]+\}", "{}", path), method.upper())
        for path, operations in openadr_document()["paths"].items()
        for method in operations
        if method in ("get", "put", "post", "delete")
    }
    app = vtn.client.app  # type: ignore[attr-defined]  # quart's test client keeps its app
    served = {
        (re.sub(r"<[^>]+>", "{}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert len(wanted) == 45
    assert served == wanted
