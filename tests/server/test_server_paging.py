"""Every list resource honours ``s``, ``l`` (and ``a`` where it is time-ordered) with
``all`` and ``results`` (IEEE 2030.5 §5.5; issue 11 item 1).

A client that pages until an empty page must stop, and the pages together must be the
list: one fleet with three items in every list is paged one and two at a time.
"""

from __future__ import annotations

import dataclasses

import pytest

from openderms.schemas.sep2 import models as sep
from openderms.server.services import programs
from openderms.server.services.programs import ControlModes
from openderms.testing.clock import NOW
from openderms.testing.head_end import XML_HEADERS, Sep2Server, body, enroll, parse

AGGREGATOR = "pager-agg"


def _items(listed: object) -> list[object]:
    """The items of a 2030.5 list (its one list-valued field)."""
    for f in dataclasses.fields(listed):  # type: ignore[arg-type]
        value = getattr(listed, f.name)
        if isinstance(value, list):
            return value
    raise AssertionError(f"{type(listed).__name__} has no items")


async def _fleet(srv: Sep2Server) -> dict[str, tuple[str, type, int]]:
    """Three of everything under one aggregator; returns list href -> (class, count)."""
    srv.identity(AGGREGATOR, aggregator=True)
    devices = [enroll(srv, f"pager-{i}", aggregator=AGGREGATOR) for i in range(3)]
    e = devices[0]
    agg = srv.client(AGGREGATOR, aggregator=True)
    for i in range(2):
        group = srv.store.call(programs.create_group, srv.ctx(), description=f"extra {i}")
        assert group.id is not None
        srv.store.call(programs.assign_devices, srv.ctx(), group.id, [e.device_id])
    for primacy in (20, 30):
        srv.store.call(programs.create_program, srv.ctx(), primacy=primacy, group_ids=[e.group_id])
    for i in range(3):
        srv.store.call(
            programs.create_der_control,
            srv.ctx(),
            program_id=e.program_id,
            start_time=NOW + i * 1000,
            duration_s=600,
            modes=ControlModes(op_mod_exp_lim_w=1000.0 * i),
        )
        srv.store.call(
            programs.create_der_curve,
            srv.ctx(),
            program_id=e.program_id,
            curve_type=11,
            points=[(90 + i, 30), (110, -30)],
            y_ref_type=2,
        )
    for i in range(3):
        event = sep.LogEvent(
            createdDateTime=sep.TimeType(value=NOW - 10 + i),
            functionSet=11,
            logEventCode=1,
            logEventID=i,
            logEventPEN=sep.PENType(value=0),
            profileID=1,
        )
        posted = await agg.post(
            f"/edev/{e.device_id}/lel", content=body(event), headers=XML_HEADERS
        )
        assert posted.status_code == 201, posted.text
    for href in (
        f"/edev/{e.device_id}/fsa",
        f"/edev/{e.device_id}/fsa/{e.group_id}/derp",
        f"/edev/{e.device_id}/derp/{e.program_id}/derc",
    ):
        subscription = sep.Subscription(
            subscribedResource=href,
            encoding=0,
            level="+S1",
            limit=10,
            notificationURI="https://127.0.0.1:9/notify",
        )
        posted = await agg.post(
            f"/edev/{e.device_id}/sub", content=body(subscription), headers=XML_HEADERS
        )
        assert posted.status_code == 201, posted.text
    for d in devices:
        mup = sep.MirrorUsagePoint(
            mRID=sep.mRIDType(value=bytes([0x50 + d.device_id]) * 16),
            deviceLFDI=bytes.fromhex(srv.identity(f"pager-{d.device_id - 1}").lfdi),
            roleFlags=sep.RoleFlagsType(value=b"\x00\x03"),
            serviceCategoryKind=sep.ServiceKind(value=0),
            status=1,
            MirrorMeterReading=[
                sep.MirrorMeterReading(
                    mRID=sep.mRIDType(value=bytes([0x60 + d.device_id]) * 16),
                    ReadingType=sep.ReadingType(uom=sep.UomType(value=38)),
                )
            ],
        )
        posted = await agg.post("/mup", content=body(mup), headers=XML_HEADERS)
        assert posted.status_code == 201, posted.text
    srv.clock.now = NOW + 10  # the first control is active
    edev = e.device_id
    return {
        "EndDeviceList": ("/edev", sep.EndDeviceList, 3),
        "FunctionSetAssignmentsList": (f"/edev/{edev}/fsa", sep.FunctionSetAssignmentsList, 3),
        "DERProgramList": (f"/edev/{edev}/fsa/{e.group_id}/derp", sep.DERProgramList, 3),
        "DERControlList": (f"/edev/{edev}/derp/{e.program_id}/derc", sep.DERControlList, 3),
        "ActiveDERControlList": (
            f"/edev/{edev}/derp/{e.program_id}/actderc",
            sep.DERControlList,
            1,
        ),
        "DERCurveList": (f"/edev/{edev}/derp/{e.program_id}/dc", sep.DERCurveList, 3),
        "DERList": (f"/edev/{edev}/der", sep.DERList, 1),
        "LogEventList": (f"/edev/{edev}/lel", sep.LogEventList, 3),
        "SubscriptionList": (f"/edev/{edev}/sub", sep.SubscriptionList, 3),
        "MirrorUsagePointList": ("/mup", sep.MirrorUsagePointList, 3),
    }


LISTS = (
    "EndDeviceList",
    "FunctionSetAssignmentsList",
    "DERProgramList",
    "DERControlList",
    "ActiveDERControlList",
    "DERCurveList",
    "DERList",
    "LogEventList",
    "SubscriptionList",
    "MirrorUsagePointList",
)


@pytest.mark.parametrize("name", LISTS)
async def test_every_list_pages_with_s_and_l_until_an_empty_page(
    sep2_server: Sep2Server, name: str
) -> None:
    srv = sep2_server
    href, cls, count = (await _fleet(srv))[name]
    agg = srv.client(AGGREGATOR, aggregator=True)
    whole = parse(await agg.get(href, params={"l": 100}), cls)
    assert (whole.all, whole.results) == (count, count)
    expected = [item.href for item in _items(whole)]  # type: ignore[attr-defined]
    for limit in (1, 2):
        seen: list[str | None] = []
        start = 0
        while True:  # bounded: a page past the end must be empty
            assert start <= count + 1, f"{name} never returned an empty page"
            page = parse(await agg.get(href, params={"s": start, "l": limit}), cls)
            items = _items(page)
            assert page.all == count
            assert page.results == len(items) == max(0, min(limit, count - start))
            if not items:
                break
            seen += [item.href for item in items]  # type: ignore[attr-defined]
            start += limit
        assert seen == expected, f"{name} pages of {limit}"


async def test_after_keeps_only_controls_starting_after_it(sep2_server: Sep2Server) -> None:
    """``a`` on the time-ordered control lists: the DERControlList and the active list."""
    srv = sep2_server
    lists = await _fleet(srv)
    agg = srv.client(AGGREGATOR, aggregator=True)
    href = lists["DERControlList"][0]
    later = parse(await agg.get(href, params={"a": NOW, "l": 10}), sep.DERControlList)
    assert [c.interval.start.value for c in later.DERControl] == [NOW + 1000, NOW + 2000]
    active = lists["ActiveDERControlList"][0]
    none_after = parse(await agg.get(active, params={"a": NOW, "l": 10}), sep.DERControlList)
    assert (none_after.all, none_after.results) == (0, 0)
