"""Responses to controls (posted to replyTo) and LogEvents (per EndDevice)."""

from __future__ import annotations

from openderms.schemas.sep2 import models as sep
from openderms.server.store.crud.events import select_responses
from openderms.testing.clock import NOW
from openderms.testing.head_end import (
    XML_HEADERS,
    Sep2Server,
    body,
    enroll,
    parse,
    schedule_control,
)


async def test_client_response_to_reply_to_is_stored(sep2_server: Sep2Server) -> None:
    """The client POSTs a DERControlResponse to the control's replyTo: 201 + Location."""
    srv = sep2_server
    e = enroll(srv, "responsive")
    control = schedule_control(srv, e.program_id)
    client = srv.client("responsive")
    listed = parse(
        await client.get(f"/edev/{e.device_id}/derp/{e.program_id}/derc"), sep.DERControlList
    )
    reply_to = listed.DERControl[0].replyTo
    assert reply_to is not None
    response_body = sep.DERControlResponse(
        createdDateTime=sep.TimeType(value=NOW + 1),
        endDeviceLFDI=bytes.fromhex(srv.identity("responsive").lfdi),
        status=1,  # event received
        subject=listed.DERControl[0].mRID,
    )
    posted = await client.post(reply_to, content=body(response_body), headers=XML_HEADERS)
    assert posted.status_code == 201
    fetched = parse(await client.get(posted.headers["location"]), sep.DERControlResponse)
    assert fetched.status == 1
    with srv.store.session() as session:
        rows = select_responses(session, der_control_id=control.id)
    assert [(r.status, r.created_time) for r in rows] == [(1, NOW + 1)]


async def test_log_events_are_listed_newest_first(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    e = enroll(srv, "chatty")
    client = srv.client("chatty")
    href = f"/edev/{e.device_id}/lel"
    for i in range(3):
        event = sep.LogEvent(
            createdDateTime=sep.TimeType(value=NOW + i),
            functionSet=0,
            logEventCode=i,
            logEventID=100 + i,
            logEventPEN=sep.PENType(value=40732),
            profileID=0,
        )
        posted = await client.post(href, content=body(event), headers=XML_HEADERS)
        assert posted.status_code == 201
    listed = parse(await client.get(href, params={"l": 2}), sep.LogEventList)
    assert (listed.all, listed.results) == (3, 2)
    assert [ev.logEventID for ev in listed.LogEvent] == [102, 101]
    one = parse(await client.get(listed.LogEvent[0].href or ""), sep.LogEvent)
    assert one.logEventCode == 2


async def test_after_parameter_keeps_newer_log_events(sep2_server: Sep2Server) -> None:
    """``a`` (IEEE 2030.5 list query) returns only entries after that time."""
    srv = sep2_server
    e = enroll(srv, "after")
    client = srv.client("after")
    href = f"/edev/{e.device_id}/lel"
    for i in range(3):
        event = sep.LogEvent(
            createdDateTime=sep.TimeType(value=NOW + 100 * i),
            functionSet=0,
            logEventCode=i,
            logEventID=i,
            logEventPEN=sep.PENType(value=40732),
            profileID=0,
        )
        assert (
            await client.post(href, content=body(event), headers=XML_HEADERS)
        ).status_code == 201
    listed = parse(await client.get(href, params={"a": NOW + 100}), sep.LogEventList)
    assert [ev.logEventID for ev in listed.LogEvent] == [2]
