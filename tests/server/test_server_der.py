"""DER function set and EndDevice resources clients PUT: history kept, latest served."""

from __future__ import annotations

import pytest

from openderms.schemas.sep2 import models as sep
from openderms.server.services.nmi import nmi_checksum
from openderms.server.store.crud.der import select_resource_history
from openderms.testing.clock import NOW
from openderms.testing.head_end import XML_HEADERS, Sep2Server, body, enroll, error_reason, parse


def _status(soc_pct: int, at: int) -> bytes:
    return body(
        sep.DERStatus(
            readingTime=sep.TimeType(value=at),
            stateOfChargeStatus=sep.StateOfChargeStatusType(
                dateTime=sep.TimeType(value=at), value=sep.PerCent(value=soc_pct * 100)
            ),
        )
    )


async def test_der_list_links_the_four_der_resources(sep2_server: Sep2Server) -> None:
    e = enroll(sep2_server, "der-walk")
    client = sep2_server.client("der-walk")
    ders = parse(await client.get(f"/edev/{e.device_id}/der"), sep.DERList)
    assert ders.all == 1
    der = ders.DER[0]
    assert der.DERStatusLink is not None and der.DERCapabilityLink is not None
    assert der.DERSettingsLink is not None and der.DERAvailabilityLink is not None


async def test_der_status_put_keeps_history_and_serves_the_latest(
    sep2_server: Sep2Server,
) -> None:
    """Each PUT appends a row; GET returns the last one (CSIP: status at postRate)."""
    srv = sep2_server
    e = enroll(srv, "der-put")
    client = srv.client("der-put")
    href = f"/edev/{e.device_id}/der/1/ders"
    assert (await client.get(href)).status_code == 404
    for soc, at in ((40, NOW), (55, NOW + 300)):
        response = await client.put(href, content=_status(soc, at), headers=XML_HEADERS)
        assert response.status_code == 204
    latest = parse(await client.get(href), sep.DERStatus)
    assert latest.stateOfChargeStatus is not None
    assert latest.stateOfChargeStatus.value.value == 5500
    with srv.store.session() as session:
        history = select_resource_history(session, e.device_id, "DERStatus", der_index=1)
    assert len(history) == 2


async def test_der_resource_body_must_match_the_url(sep2_server: Sep2Server) -> None:
    """A DERStatus PUT to the DERSettings URL is refused (400) and not stored."""
    e = enroll(sep2_server, "der-mismatch")
    client = sep2_server.client("der-mismatch")
    response = await client.put(
        f"/edev/{e.device_id}/der/1/derg", content=_status(10, NOW), headers=XML_HEADERS
    )
    assert response.status_code == 400
    assert (await client.get(f"/edev/{e.device_id}/der/1/derg")).status_code == 404


async def test_der_capability_round_trips(sep2_server: Sep2Server) -> None:
    e = enroll(sep2_server, "der-cap")
    client = sep2_server.client("der-cap")
    capability = sep.DERCapability(
        modesSupported=sep.DERControlType(value=b"\x00\x50\x00\x03"),
        rtgMaxW=sep.ActivePower(value=5000, multiplier=sep.PowerOfTenMultiplierType(value=0)),
        type_value=sep.DERType(value=4),
        doeModesSupported=sep.doeModesSupported(value=b"\x0f"),
    )
    href = f"/edev/{e.device_id}/der/1/dercap"
    assert (
        await client.put(href, content=body(capability), headers=XML_HEADERS)
    ).status_code == 204
    fetched = parse(await client.get(href), sep.DERCapability)
    assert fetched.rtgMaxW.value == 5000


async def test_connection_point_reported_by_the_client(sep2_server: Sep2Server) -> None:
    """CSIP-AUS: the client PUTs its NMI; the EndDevice links it."""
    e = enroll(sep2_server, "nmi")
    client = sep2_server.client("nmi")
    edev = parse(await client.get(f"/edev/{e.device_id}"), sep.EndDevice)
    assert edev.ConnectionPointLink is not None
    href = edev.ConnectionPointLink.href
    point = body(sep.ConnectionPoint(connectionPointId="4103112233"))
    first = await client.put(href, content=point, headers=XML_HEADERS)
    # Issue 11 item 7: the Location is answered (201 when the PUT created it, 204 after).
    assert (first.status_code, first.headers["location"]) == (201, href)
    assert parse(await client.get(href), sep.ConnectionPoint).connectionPointId == "4103112233"
    checked = body(sep.ConnectionPoint(connectionPointId="20019857328"))
    again = await client.put(href, content=checked, headers=XML_HEADERS)
    assert (again.status_code, again.headers["location"]) == (204, href)
    assert parse(await client.get(href), sep.ConnectionPoint).connectionPointId == "20019857328"


@pytest.mark.parametrize(
    "bad", ["NOTAVALIDID", "20019857321", "41031122", "4103112233445", "41O3112233"]
)
async def test_connection_point_that_is_not_an_nmi_is_refused(
    sep2_server: Sep2Server, bad: str
) -> None:
    """Issue 11 item 7: 10 NMI characters (no O or I), or 11 with the AEMO checksum."""
    e = enroll(sep2_server, f"nmi-{bad}")
    client = sep2_server.client(f"nmi-{bad}")
    href = f"/edev/{e.device_id}/cp"
    refused = await client.put(
        href, content=body(sep.ConnectionPoint(connectionPointId=bad)), headers=XML_HEADERS
    )
    assert (refused.status_code, error_reason(refused)) == (400, 1)
    assert (await client.get(href)).status_code == 404


def test_nmi_checksum_matches_aemo_examples() -> None:
    """Examples of AEMO's NMI procedure (checksum appendix)."""
    examples = {
        "2001985732": 8,
        "3075621875": 8,
        "4316854005": 9,
        "NAAAMYS582": 6,
        "NBBBX11110": 0,
        "QAAAVZZZZZ": 3,
        "VAAA000065": 7,
    }
    assert {nmi: nmi_checksum(nmi) for nmi in examples} == examples
