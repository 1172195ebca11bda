"""Clients of other profiles against the head-end, over real mutual TLS (issue 11 items 13, 14).

- A CSIP (US) client speaks plain IEEE 2030.5-2018: its DERCapability has no
  ``csipaus:doeModesSupported`` (CSIP-AUS requires it). A server in the ``csip`` profile
  serves documents a strict plain-2018 parser reads (no CSIP-AUS links); a CSIP-AUS server
  still accepts the CSIP (US) writes.
- A 2030.5-2023 client writes ``schemaVer``, ``connectStatus``, ``modesResponded`` and
  ``MirrorUsagePoint/@subscribable``; the server accepts them and, sending no ``schemaVer``,
  reads to a 2023 client as schema version 2.1 (2030.5-2018), the level it serves.
"""

from __future__ import annotations

from typing import Any

import pytest

from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.bindings import csip, sep2023
from openderms.schemas.sep2.codec import CodecLimits, decode, encode
from openderms.schemas.sep2.errors import MalformedXmlError
from openderms.schemas.sep2.profiles import Profile
from openderms.server.config import ServerSettings
from openderms.server.sep2.profiles import decode_from_client
from openderms.server.services import programs
from openderms.server.services.programs import ControlModes
from openderms.testing.clock import NOW
from openderms.testing.head_end import XML_HEADERS, Sep2Server, enroll

CAPABILITY = csip.DERCapability(
    modesSupported=csip.DERControlType(value=b"\x00\x00\x00\x02"),  # opModMaxLimW
    rtgMaxW=csip.ActivePower(value=5000, multiplier=csip.PowerOfTenMultiplierType(value=0)),
    type_value=csip.DERType(value=4),  # PV
)


async def _strict(client: Any, href: str, cls: type, profile: Profile) -> Any:
    response = await client.get(href)
    assert response.status_code == 200, (href, response.text)
    return decode(response.content, cls, profile=profile)


async def _csip_walk(srv: Sep2Server, name: str) -> tuple[Any, Any]:
    """A CSIP (US) client's walk, every document read with the plain 2018 schema."""
    e = enroll(srv, name)
    srv.store.call(
        programs.create_der_control,
        srv.ctx(),
        program_id=e.program_id,
        start_time=NOW,
        duration_s=600,
        modes=ControlModes(op_mod_max_lim_w_pct=50.0),
    )
    client = srv.client(name)
    dcap = await _strict(client, "/dcap", csip.DeviceCapability, Profile.CSIP)
    assert dcap.EndDeviceListLink is not None
    devices = await _strict(client, dcap.EndDeviceListLink.href, csip.EndDeviceList, Profile.CSIP)
    (device,) = devices.EndDevice
    fsas = await _strict(
        client,
        device.FunctionSetAssignmentsListLink.href,
        csip.FunctionSetAssignmentsList,
        Profile.CSIP,
    )
    programs_list = await _strict(
        client,
        fsas.FunctionSetAssignments[0].DERProgramListLink.href,
        csip.DERProgramList,
        Profile.CSIP,
    )
    program = programs_list.DERProgram[0]
    controls = await _strict(
        client, program.DERControlListLink.href, csip.DERControlList, Profile.CSIP
    )
    assert controls.DERControl[0].DERControlBase.opModMaxLimW.value == 5000
    default = await _strict(
        client, program.DefaultDERControlLink.href, csip.DefaultDERControl, Profile.CSIP
    )
    assert default.DERControlBase == csip.DERControlBase()
    return device, controls.DERControl[0]


async def _csip_writes(srv: Sep2Server, name: str, device: Any, control: Any) -> None:
    client = srv.client(name)
    ders = await _strict(client, device.DERListLink.href, csip.DERList, Profile.CSIP)
    capability_href = ders.DER[0].DERCapabilityLink.href
    put = await client.put(capability_href, content=encode(CAPABILITY), headers=XML_HEADERS)
    assert put.status_code == 204, put.text
    stored = await _strict(client, capability_href, csip.DERCapability, Profile.CSIP)
    assert stored.modesSupported == CAPABILITY.modesSupported
    response = csip.DERControlResponse(
        createdDateTime=csip.TimeType(value=NOW),
        endDeviceLFDI=device.lFDI,
        status=1,
        subject=csip.mRIDType(value=control.mRID.value),
    )
    posted = await client.post(control.replyTo, content=encode(response), headers=XML_HEADERS)
    assert posted.status_code == 201, posted.text


class TestCsipServer:
    @pytest.fixture
    def server_settings(self) -> ServerSettings:
        return ServerSettings(list_limit_default=100, profile="csip")

    async def test_csip_us_client_end_to_end(self, sep2_server: Sep2Server) -> None:
        # The strict plain-2018 decodes of the walk prove no CSIP-AUS link is served.
        device, control = await _csip_walk(sep2_server, "rule21")
        await _csip_writes(sep2_server, "rule21", device, control)


async def test_csip_aus_server_accepts_a_csip_us_capability(sep2_server: Sep2Server) -> None:
    """The default (CSIP-AUS) server refused this with a TypeError text; now it is stored
    as the client sent it, and a CSIP-AUS-strict body without it says what is missing."""
    srv = sep2_server
    e = enroll(srv, "ca-client")
    client = srv.client("ca-client")
    href = f"/edev/{e.device_id}/der/1/dercap"
    put = await client.put(href, content=encode(CAPABILITY), headers=XML_HEADERS)
    assert put.status_code == 204, put.text
    stored = await _strict(client, href, csip.DERCapability, Profile.CSIP)
    assert stored.rtgMaxW.value == 5000
    with pytest.raises(MalformedXmlError, match="lacks required doeModesSupported"):
        decode_from_client(
            encode(CAPABILITY), sep.DERCapability, limits=CodecLimits(), accepted=()
        )


DER_STATUS_2023 = (
    b'<DERStatus xmlns="urn:ieee:std:2030.5:ns" schemaVer="2.2">'
    b"<connectStatus><dateTime>%d</dateTime><value>01</value></connectStatus>"
    b"<readingTime>%d</readingTime></DERStatus>" % (NOW, NOW)
)


def _response_2023(lfdi: str, mrid: bytes) -> bytes:
    return (
        b'<DERControlResponse xmlns="urn:ieee:std:2030.5:ns" schemaVer="2.2">'
        b"<createdDateTime>%d</createdDateTime><endDeviceLFDI>%s</endDeviceLFDI>"
        b"<status>1</status><subject>%s</subject>"
        b"<modesResponded>00000002</modesResponded></DERControlResponse>"
        % (NOW, lfdi.encode(), mrid.hex().upper().encode())
    )


def _mirror_2023(lfdi: str) -> bytes:
    return (
        b'<MirrorUsagePoint xmlns="urn:ieee:std:2030.5:ns" subscribable="0" schemaVer="2.2">'
        b"<mRID>7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A</mRID>"
        b"<roleFlags>0003</roleFlags><serviceCategoryKind>0</serviceCategoryKind>"
        b"<status>1</status><deviceLFDI>%s</deviceLFDI>"
        b"<MirrorMeterReading><mRID>7B7B7B7B7B7B7B7B7B7B7B7B7B7B7B7B</mRID>"
        b"<ReadingType><uom>38</uom></ReadingType></MirrorMeterReading>"
        b"</MirrorUsagePoint>" % lfdi.encode()
    )


async def test_2023_client_end_to_end(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    e = enroll(srv, "client-2023")
    lfdi = srv.identity("client-2023").lfdi
    control = srv.store.call(
        programs.create_der_control,
        srv.ctx(),
        program_id=e.program_id,
        start_time=NOW,
        duration_s=600,
        modes=ControlModes(op_mod_max_lim_w_pct=50.0),
    )
    client = srv.client("client-2023")
    # What a 2023 client reads: valid 2023 documents at schema version 2.1 (our level).
    dcap = await _strict(client, "/dcap", sep2023.DeviceCapability, Profile.SEP_2023)
    assert dcap.schemaVer == "2.1"
    edev = await _strict(client, f"/edev/{e.device_id}", sep2023.EndDevice, Profile.SEP_2023)
    assert edev.schemaVer == "2.1"
    # What it writes: each body valid 2023 (checked here), each accepted.
    bodies = [
        ("PUT", f"/edev/{e.device_id}/der/1/ders", DER_STATUS_2023, sep2023.DERStatus),
        (
            "POST",
            f"/rsps/{e.program_id}/rsp",
            _response_2023(lfdi, bytes.fromhex(control.mrid)),
            sep2023.DERControlResponse,
        ),
        ("POST", "/mup", _mirror_2023(lfdi), sep2023.MirrorUsagePoint),
    ]
    for method, href, content, cls in bodies:
        decode(content, cls, profile=Profile.SEP_2023)
        refused_before = decode_or_none(content)
        answer = await client.request(method, href, content=content, headers=XML_HEADERS)
        assert answer.status_code in (201, 204), (href, answer.text)
        assert refused_before, "a CSIP-AUS-strict decode refuses this 2023 body"
    status = await _strict(
        client, f"/edev/{e.device_id}/der/1/ders", sep.DERStatus, Profile.CSIP_AUS_12
    )
    assert status.readingTime.value == NOW


def decode_or_none(content: bytes) -> bool:
    """True when the server's own (CSIP-AUS v1.2) schema alone refuses `content`."""
    from openderms.schemas.sep2.errors import SepXmlError

    try:
        decode(content)
    except SepXmlError:
        return True
    return False
