"""EndDevice registration: in band by the device, out of band by the utility."""

from __future__ import annotations

import pytest
from sqlmodel import select

from openderms.schemas.sep2 import models as sep
from openderms.server.config import ServerSettings
from openderms.server.errors import BadRequestError, ConflictError
from openderms.server.services import registration
from openderms.server.store.models import EndDeviceRow
from openderms.testing.head_end import XML_HEADERS, Sep2Server, body, enroll, error_reason, parse


def _end_device(lfdi: str | None, sfdi: int) -> bytes:
    return body(
        sep.EndDevice(
            lFDI=None if lfdi is None else bytes.fromhex(lfdi),
            sFDI=sep.SFDIType(value=sfdi),
            changedTime=sep.TimeType(value=0),
        )
    )


def _device_rows(srv: Sep2Server) -> list[EndDeviceRow]:
    with srv.store.session() as session:
        return list(session.exec(select(EndDeviceRow)).all())


async def test_device_registers_itself_in_band(sep2_server: Sep2Server) -> None:
    """POST /edev with the certificate's own LFDI/SFDI: 201 + Location, then readable."""
    ident = sep2_server.identity("self-reg")
    client = sep2_server.client("self-reg")
    response = await client.post(
        "/edev", content=_end_device(ident.lfdi, ident.sfdi), headers=XML_HEADERS
    )
    assert response.status_code == 201
    location = response.headers["location"]
    edev = parse(await client.get(location), sep.EndDevice)
    assert edev.lFDI == bytes.fromhex(ident.lfdi)
    assert edev.href == location


async def test_second_in_band_registration_is_a_conflict(sep2_server: Sep2Server) -> None:
    """Issue 11 item 6: a POST creates; the LFDI POSTed again is 409 (reasonCode 1) and the
    client finds its EndDevice in the list. The first in-band POST of a device registered
    out of band claims it (201 with its Location)."""
    ident = sep2_server.identity("twice")
    client = sep2_server.client("twice")
    first = await client.post("/edev", content=_end_device(None, ident.sfdi), headers=XML_HEADERS)
    second = await client.post("/edev", content=_end_device(None, ident.sfdi), headers=XML_HEADERS)
    assert first.status_code == 201
    assert (second.status_code, error_reason(second)) == (409, 1)
    assert len(_device_rows(sep2_server)) == 1
    listed = parse(await client.get("/edev"), sep.EndDeviceList)
    assert [d.href for d in listed.EndDevice] == [first.headers["location"]]
    pre = enroll(sep2_server, "preregistered")
    claimed = await sep2_server.client("preregistered").post(
        "/edev",
        content=_end_device(None, sep2_server.identity("preregistered").sfdi),
        headers=XML_HEADERS,
    )
    assert claimed.status_code == 201
    assert claimed.headers["location"] == f"/edev/{pre.device_id}"


async def test_device_cannot_register_another_sfdi(sep2_server: Sep2Server) -> None:
    """A device may register only its own identity: 403 and nothing stored."""
    ident = sep2_server.identity("liar")
    client = sep2_server.client("liar")
    response = await client.post(
        "/edev", content=_end_device(None, ident.sfdi + 10), headers=XML_HEADERS
    )
    assert response.status_code == 403
    error_reason(response)
    assert _device_rows(sep2_server) == []


async def test_device_cannot_register_another_lfdi(sep2_server: Sep2Server) -> None:
    ident = sep2_server.identity("liar2")
    other = sep2_server.identity("victim")
    client = sep2_server.client("liar2")
    response = await client.post(
        "/edev", content=_end_device(other.lfdi, ident.sfdi), headers=XML_HEADERS
    )
    assert response.status_code == 403
    assert _device_rows(sep2_server) == []


async def test_unregistered_device_sees_an_empty_end_device_list(sep2_server: Sep2Server) -> None:
    edevs = parse(await sep2_server.client("stranger").get("/edev"), sep.EndDeviceList)
    assert edevs.all == 0 and edevs.EndDevice == []


async def test_out_of_band_registration_serves_the_pin(sep2_server: Sep2Server) -> None:
    """The utility registers a device with a PIN; the device reads it at its Registration."""
    srv = sep2_server
    ident = srv.identity("oob")
    row = srv.store.call(registration.register_end_device, srv.ctx(), lfdi=ident.lfdi, pin=111115)
    reg = parse(await srv.client("oob").get(f"/edev/{row.id}/rg"), sep.Registration)
    assert reg.pIN.value == 111115
    assert row.sfdi == ident.sfdi


def test_out_of_band_registration_rejects_a_wrong_sfdi(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    with pytest.raises(BadRequestError):
        srv.store.call(registration.register_end_device, srv.ctx(), lfdi="AB" * 20, sfdi=1)


def test_out_of_band_registration_refuses_another_aggregators_device(
    sep2_server: Sep2Server,
) -> None:
    srv = sep2_server
    srv.store.call(
        registration.register_end_device, srv.ctx(), lfdi="AB" * 20, aggregator_lfdi="CD" * 20
    )
    with pytest.raises(ConflictError):
        srv.store.call(
            registration.register_end_device, srv.ctx(), lfdi="AB" * 20, aggregator_lfdi="EF" * 20
        )


class TestRegistrationDisabled:
    @pytest.fixture
    def server_settings(self) -> ServerSettings:
        return ServerSettings(allow_in_band_registration=False)

    async def test_in_band_registration_can_be_turned_off(self, sep2_server: Sep2Server) -> None:
        ident = sep2_server.identity("closed")
        response = await sep2_server.client("closed").post(
            "/edev", content=_end_device(None, ident.sfdi), headers=XML_HEADERS
        )
        assert response.status_code == 403
        assert _device_rows(sep2_server) == []
