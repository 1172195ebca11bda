"""Object privacy (OpenADR 3.1 read_targets / read_ven_objects): each refusal on each path.

A VEN client sees untargeted programs and events and those targeted at its VENs, and only
its own VEN objects, resources, reports and subscriptions; what it may not see is 404
(as if absent), what its scopes do not allow is 403.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from openderms.server.store.outbox import NotificationOutbox
from openderms.testing.openadr_vtn import Vtn

INTERVALS = [{"id": 0, "payloads": [{"type": "PRICE", "values": [0.2]}]}]
CALLBACK = "https://93.184.215.14/cb"


async def _fleet(vtn: Vtn) -> dict[str, Any]:
    """ven1's VEN targeted "north", ven2's "south"; programs for north, south and all."""
    ids: dict[str, Any] = {}
    for client, name, target in (("ven1", "one", "north"), ("ven2", "two", "south")):
        made = await vtn.made(
            "/vens",
            "bl",
            {
                "objectType": "BL_VEN_REQUEST",
                "clientID": client,
                "venName": name,
                "targets": [target],
            },
        )
        ids[f"ven_{client}"] = made["id"]
    for name, targets in (("north", ["north"]), ("south", ["south"]), ("all", None)):
        body: dict[str, Any] = {"programName": name}
        if targets:
            body["targets"] = targets
        ids[f"program_{name}"] = (await vtn.made("/programs", "bl", body))["id"]
    for name in ("north", "south", "all"):
        ids[f"event_{name}"] = (
            await vtn.made(
                "/events",
                "bl",
                {"programID": ids[f"program_{name}"], "intervals": INTERVALS},
            )
        )["id"]
    return ids


async def _ids(vtn: Vtn, path: str, who: str) -> list[str]:
    status, found = await vtn.call("GET", path, who)
    assert status == 200, found
    return [item["id"] for item in found]


async def test_ven_lists_untargeted_and_own_programs_only(vtn: Vtn) -> None:
    ids = await _fleet(vtn)
    assert await _ids(vtn, "/programs", "ven1") == [ids["program_north"], ids["program_all"]]
    assert await _ids(vtn, "/programs", "ven2") == [ids["program_south"], ids["program_all"]]
    assert len(await _ids(vtn, "/programs", "bl")) == 3


async def test_ven_cannot_read_a_program_targeted_elsewhere(vtn: Vtn) -> None:
    ids = await _fleet(vtn)
    status, problem = await vtn.call("GET", f"/programs/{ids['program_south']}", "ven1")
    assert status == 404 and problem["status"] == 404


async def test_ven_targets_filter_cannot_widen_its_view(vtn: Vtn) -> None:
    """Asking for another VEN's target returns nothing, not the other's programs."""
    ids = await _fleet(vtn)
    assert await _ids(vtn, "/programs?targets=south", "ven1") == []
    assert await _ids(vtn, "/events?targets=south", "ven1") == []
    assert ids


async def test_ven_sees_events_of_visible_programs_only(vtn: Vtn) -> None:
    """An untargeted event of a program targeted at others stays private."""
    ids = await _fleet(vtn)
    assert await _ids(vtn, "/events", "ven1") == [ids["event_north"], ids["event_all"]]
    status, _ = await vtn.call("GET", f"/events/{ids['event_south']}", "ven1")
    assert status == 404


async def test_targeted_event_in_an_open_program(vtn: Vtn) -> None:
    ids = await _fleet(vtn)
    event = await vtn.made(
        "/events", "bl", {"programID": ids["program_all"], "targets": ["south"]}
    )
    assert event["id"] in await _ids(vtn, "/events", "ven2")
    assert event["id"] not in await _ids(vtn, "/events", "ven1")


async def test_resource_targets_widen_what_a_ven_sees(vtn: Vtn) -> None:
    """A VEN's resources carry targets too (set by business logic)."""
    ids = await _fleet(vtn)
    await vtn.made(
        "/resources",
        "bl",
        {
            "objectType": "BL_RESOURCE_REQUEST",
            "clientID": "ven1",
            "resourceName": "ev",
            "venID": ids["ven_ven1"],
            "targets": ["south"],
        },
    )
    assert ids["program_south"] in await _ids(vtn, "/programs", "ven1")


async def test_ven_sees_only_its_own_ven_object(vtn: Vtn) -> None:
    ids = await _fleet(vtn)
    assert await _ids(vtn, "/vens", "ven1") == [ids["ven_ven1"]]
    for method, body in (("GET", None), ("DELETE", None)):
        status, _ = await vtn.call(method, f"/vens/{ids['ven_ven2']}", "ven1", body)
        assert status == 404, method
    status, _ = await vtn.call(
        "PUT",
        f"/vens/{ids['ven_ven2']}",
        "ven1",
        {"objectType": "VEN_VEN_REQUEST", "venName": "stolen"},
    )
    assert status == 404


async def test_ven_cannot_set_its_own_targets(vtn: Vtn) -> None:
    """Only business logic targets a VEN: else it could read every program."""
    ids = await _fleet(vtn)
    status, problem = await vtn.call(
        "PUT",
        f"/vens/{ids['ven_ven1']}",
        "ven1",
        {
            "objectType": "BL_VEN_REQUEST",
            "clientID": "ven1",
            "venName": "one",
            "targets": ["north", "south"],
        },
    )
    assert status == 403 and problem["status"] == 403
    status, kept = await vtn.call(
        "PUT",
        f"/vens/{ids['ven_ven1']}",
        "ven1",
        {"objectType": "VEN_VEN_REQUEST", "venName": "one-renamed"},
    )
    assert status == 200 and kept["targets"] == ["north"] and kept["venName"] == "one-renamed"


async def test_ven_cannot_make_a_ven_for_another_client(vtn: Vtn) -> None:
    status, _ = await vtn.call(
        "POST",
        "/vens",
        "ven1",
        {"objectType": "BL_VEN_REQUEST", "clientID": "ven2", "venName": "fake"},
    )
    assert status == 403
    made = await vtn.made("/vens", "ven1", {"objectType": "VEN_VEN_REQUEST", "venName": "mine"})
    assert made["clientID"] == "ven1" and "targets" not in made


async def test_ven_cannot_add_resources_to_another_ven(vtn: Vtn) -> None:
    ids = await _fleet(vtn)
    status, _ = await vtn.call(
        "POST",
        "/resources",
        "ven1",
        {"objectType": "VEN_RESOURCE_REQUEST", "resourceName": "x", "venID": ids["ven_ven2"]},
    )
    assert status == 404


async def test_ven_sees_only_its_own_resources_reports_subscriptions(vtn: Vtn) -> None:
    ids = await _fleet(vtn)
    made: dict[str, dict[str, str]] = {}
    for client in ("ven1", "ven2"):
        made[client] = {
            "resources": (
                await vtn.made(
                    "/resources",
                    client,
                    {
                        "objectType": "VEN_RESOURCE_REQUEST",
                        "resourceName": "bat",
                        "venID": ids[f"ven_{client}"],
                    },
                )
            )["id"],
            "reports": (
                await vtn.made(
                    "/reports",
                    client,
                    {
                        "eventID": ids["event_all"],
                        "clientName": client,
                        "resources": [{"resourceName": "bat", "intervals": INTERVALS}],
                    },
                )
            )["id"],
            "subscriptions": (
                await vtn.made(
                    "/subscriptions",
                    client,
                    {
                        "clientName": client,
                        "objectOperations": [
                            {
                                "objects": ["EVENT"],
                                "operations": ["CREATE"],
                                "callbackUrl": CALLBACK,
                            }
                        ],
                    },
                )
            )["id"],
        }
    for path in ("resources", "reports", "subscriptions"):
        assert await _ids(vtn, f"/{path}", "ven1") == [made["ven1"][path]]
        assert len(await _ids(vtn, f"/{path}", "bl")) == 2
        other = made["ven2"][path]
        for method in ("GET", "DELETE"):
            status, _ = await vtn.call(method, f"/{path}/{other}", "ven1")
            assert status == 404, (method, path)


async def test_ven_cannot_report_on_an_event_it_cannot_see(vtn: Vtn) -> None:
    ids = await _fleet(vtn)
    status, problem = await vtn.call(
        "POST",
        "/reports",
        "ven1",
        {
            "eventID": ids["event_south"],
            "clientName": "one",
            "resources": [{"resourceName": "bat", "intervals": INTERVALS}],
        },
    )
    assert status == 409 and "eventID" in problem["detail"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/programs", {"programName": "x"}),
        ("POST", "/events", {"programID": "p"}),
    ],
)
async def test_ven_may_not_write_programs_or_events(
    vtn: Vtn, method: str, path: str, body: Any
) -> None:
    status, problem = await vtn.call(method, path, "ven1", body)
    assert status == 403 and "write_" in problem["detail"]


async def test_ven_may_not_update_or_delete_programs_and_events(vtn: Vtn) -> None:
    ids = await _fleet(vtn)
    status, _ = await vtn.call(
        "PUT", f"/programs/{ids['program_all']}", "ven1", {"programName": "mine"}
    )
    assert status == 403
    status, _ = await vtn.call("DELETE", f"/events/{ids['event_all']}", "ven1")
    assert status == 403


async def test_business_logic_may_not_write_reports(vtn: Vtn) -> None:
    """The YAML: write_reports — only VENs can write to reports."""
    ids = await _fleet(vtn)
    status, _ = await vtn.call(
        "POST",
        "/reports",
        "bl",
        {"eventID": ids["event_all"], "clientName": "bl", "resources": []},
    )
    assert status == 403


async def test_ven_topics_of_another_ven_are_refused(vtn: Vtn) -> None:
    ids = await _fleet(vtn)
    status, _ = await vtn.call("GET", f"/notifiers/mqtt/topics/vens/{ids['ven_ven2']}", "ven1")
    assert status == 404
    status, _ = await vtn.call("GET", "/notifiers/mqtt/topics/events", "ven1")
    assert status == 403
    status, _ = await vtn.call("GET", "/notifiers/mqtt/topics/programs", "ven1")
    assert status == 403


def _queued(vtn: Vtn) -> list[NotificationOutbox]:
    with vtn.store.session() as session:
        return list(session.exec(select(NotificationOutbox)).all())


async def test_webhooks_reach_only_subscribers_who_may_read_the_object(vtn: Vtn) -> None:
    """Notifications keep privacy: ven2 hears nothing of an event targeted at ven1."""
    ids = await _fleet(vtn)
    subscriptions = {}
    for client in ("ven1", "ven2"):
        subscriptions[client] = (
            await vtn.made(
                "/subscriptions",
                client,
                {
                    "clientName": client,
                    "objectOperations": [
                        {
                            "objects": ["EVENT"],
                            "operations": ["CREATE", "DELETE"],
                            "callbackUrl": f"{CALLBACK}/{client}",
                        }
                    ],
                },
            )
        )["id"]
    before = {row.id for row in _queued(vtn)}
    event = await vtn.made("/events", "bl", {"programID": ids["program_north"]})
    webhooks = [
        row
        for row in _queued(vtn)
        if row.id not in before and not row.notification_uri.startswith("mqtt:")
    ]
    assert [row.notification_uri for row in webhooks] == [f"{CALLBACK}/ven1"]
    assert event["id"].encode() in (webhooks[0].body or b"")


async def test_mqtt_per_ven_topics_only_for_vens_that_may_read(vtn: Vtn) -> None:
    ids = await _fleet(vtn)
    before = {row.id for row in _queued(vtn)}
    await vtn.made("/events", "bl", {"programID": ids["program_north"]})
    topics = {
        row.notification_uri.removeprefix("mqtt:")
        for row in _queued(vtn)
        if row.id not in before and row.notification_uri.startswith("mqtt:")
    }
    assert f"OpenADR/3.1.0/vens/{ids['ven_ven1']}/events/create" in topics
    assert f"OpenADR/3.1.0/vens/{ids['ven_ven2']}/events/create" not in topics
    assert f"OpenADR/3.1.0/programs/{ids['program_north']}/events/create" in topics
    assert "OpenADR/3.1.0/events/create" in topics
