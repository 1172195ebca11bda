"""Every resource the server and client exchange encodes to XSD-valid XML and decodes back."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lxml import etree

from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.codec import SEP_XML, decode, encode
from openderms.schemas.sep2.values import to_watts
from openderms.testing import sep2_examples as ex

EXAMPLES = sorted(ex.ALL_EXAMPLES.items())


@pytest.mark.parametrize(("name", "build"), EXAMPLES, ids=[n for n, _ in EXAMPLES])
def test_resource_round_trips_unchanged(name: str, build: Callable[[], object]) -> None:
    original = build()

    decoded = decode(encode(original))

    assert type(decoded) is type(original)
    assert decoded == original


@pytest.mark.parametrize(("name", "build"), EXAMPLES, ids=[n for n, _ in EXAMPLES])
def test_encoded_resource_is_valid_against_the_xsd(
    name: str, build: Callable[[], object], csipaus12_schema: etree.XMLSchema
) -> None:
    document = etree.fromstring(encode(build()))

    valid = csipaus12_schema.validate(document)

    assert valid, f"{name}: {csipaus12_schema.error_log.last_error}"


def test_xsd_fixture_rejects_an_invalid_document(csipaus12_schema: etree.XMLSchema) -> None:
    """Control: the loaded schema really validates (a 300 in a UInt8 must fail)."""
    bad = etree.fromstring(
        b'<Error xmlns="urn:ieee:std:2030.5:ns"><reasonCode>70000</reasonCode></Error>'
    )

    assert not csipaus12_schema.validate(bad)


def test_encoding_is_utf8_without_declaration_and_sep_default_namespace() -> None:
    """Issue 11 item 2: no XML declaration (clients that parse text refuse one); UTF-8."""
    control = ex.der_control()
    control.description = "Überschuss"
    body = encode(control)

    assert body.startswith(b"<DERControl ")
    assert "Überschuss".encode() in body
    assert etree.fromstring(body.decode("utf-8")).tag == "{urn:ieee:std:2030.5:ns}DERControl"
    root = etree.fromstring(body)
    assert root.tag == "{urn:ieee:std:2030.5:ns}DERControl"
    assert root.nsmap[None] == "urn:ieee:std:2030.5:ns"


def test_csip_aus_limits_use_the_csipaus_prefix() -> None:
    body = encode(ex.der_control(export_limit_w=4200.0))

    assert b"<csipaus:opModExpLimW>" in body
    assert etree.fromstring(body).nsmap["csipaus"] == "https://csipaus.org/ns"


def test_non_ascii_text_survives_as_utf8() -> None:
    program = ex.der_program()
    program.description = "Netzbetreiber Süd – Ω"

    body = encode(program)

    assert "Süd – Ω".encode() in body
    assert decode(body, sep.DERProgram).description == "Netzbetreiber Süd – Ω"


def test_notification_carries_the_resource_with_xsi_type() -> None:
    body = encode(ex.notification())

    decoded = decode(body, sep.Notification)

    assert b'xsi:type="DERControlList"' in body
    assert isinstance(decoded.Resource, sep.DERControlList)
    assert decoded.Resource.DERControl[0].mRID == ex.mrid(3001)


def test_media_type_is_sep_xml() -> None:
    assert SEP_XML == "application/sep+xml"


def test_decode_without_expected_type_chooses_class_from_root() -> None:
    decoded = decode(encode(ex.der_program_list()))

    assert isinstance(decoded, sep.DERProgramList)
    assert [p.primacy.value for p in decoded.DERProgram] == [1, 2]


def test_expected_base_class_accepts_a_derived_resource() -> None:
    """A Response list accepts DERControlResponse, a Response specialisation."""
    body = encode(ex.der_control_response())

    decoded = decode(body, sep.Response)

    assert isinstance(decoded, sep.DERControlResponse)


def test_expected_tuple_accepts_any_listed_type() -> None:
    body = encode(ex.end_device())

    decoded = decode(body, (sep.DERProgram, sep.EndDevice))

    assert isinstance(decoded, sep.EndDevice)


def test_decode_accepts_documents_with_and_without_declaration() -> None:
    """Issue 11 item 2: what we send has no declaration; what we accept may have one."""
    plain = encode(ex.der_control())
    declared = b'<?xml version="1.0" encoding="UTF-8"?>' + plain

    assert decode(plain, sep.DERControl) == decode(declared, sep.DERControl)


def test_decode_accepts_documents_from_other_implementations_with_prefixes() -> None:
    """Namespace prefixes are the sender's choice; only the namespace URIs count."""
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<s:DERControlBase xmlns:s="urn:ieee:std:2030.5:ns" xmlns:au="https://csipaus.org/ns">'
        b"<s:opModConnect>true</s:opModConnect>"
        b"<au:opModExpLimW><s:multiplier>3</s:multiplier><s:value>5</s:value></au:opModExpLimW>"
        b"</s:DERControlBase>"
    )

    decoded = decode(body, sep.DERControlBase)

    assert decoded.opModConnect is True
    assert decoded.opModExpLimW is not None
    assert (decoded.opModExpLimW.value, decoded.opModExpLimW.multiplier.value) == (5, 3)


def test_pretty_printed_document_with_schema_location_decodes() -> None:
    """Another implementation's style: indentation, xsi:schemaLocation, attribute order."""
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
<DERControlList xmlns="urn:ieee:std:2030.5:ns" xmlns:csipaus="https://csipaus.org/ns"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="urn:ieee:std:2030.5:ns sep.xsd"
    results="1" all="1" subscribable="1" href="/derp/0/derc">
  <DERControl href="/derp/0/derc/1" replyTo="/rsp" responseRequired="03">
    <mRID>B1000000000000000000000000009F1C</mRID>
    <description>Export limit 1.5 kW</description>
    <creationTime>1700000000</creationTime>
    <EventStatus>
      <currentStatus>1</currentStatus>
      <dateTime>1700000000</dateTime>
      <potentiallySuperseded>false</potentiallySuperseded>
    </EventStatus>
    <interval>
      <duration>300</duration>
      <start>1700000000</start>
    </interval>
    <DERControlBase>
      <csipaus:opModExpLimW>
        <multiplier>2</multiplier>
        <value>15</value>
      </csipaus:opModExpLimW>
    </DERControlBase>
  </DERControl>
</DERControlList>
"""

    decoded = decode(body, sep.DERControlList)

    control = decoded.DERControl[0]
    assert control.EventStatus.currentStatus == 1
    assert control.DERControlBase.opModExpLimW is not None
    assert to_watts(control.DERControlBase.opModExpLimW) == 1500.0
