"""Profiles: CSIP-AUS v1.2 is the default, v1.3 has its own namespace and classes."""

from __future__ import annotations

import pytest
from lxml import etree

from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.bindings import csipaus13
from openderms.schemas.sep2.codec import decode, encode, root_class
from openderms.schemas.sep2.errors import MalformedXmlError, WrongRootError
from openderms.schemas.sep2.profiles import DEFAULT_PROFILE, Profile
from openderms.testing import sep2_examples as ex

V13 = "https://csipaus.org/ns/v1.3"


def _v13_control() -> csipaus13.DERControlBase:
    return csipaus13.DERControlBase(
        opModExpLimW=csipaus13.opModExpLimW(
            multiplier=csipaus13.PowerOfTenMultiplierType(value=0), value=4000
        ),
        opModStorageTargetW=csipaus13.opModStorageTargetW(
            multiplier=csipaus13.PowerOfTenMultiplierType(value=0), value=-2000
        ),
    )


def test_default_profile_is_csip_aus_1_2() -> None:
    assert DEFAULT_PROFILE is Profile.CSIP_AUS_12
    assert sep.PROFILE is Profile.CSIP_AUS_12
    assert Profile.of(sep.DERControl) is Profile.CSIP_AUS_12


def test_v13_encodes_with_the_v13_namespace_under_the_csipaus_prefix() -> None:
    body = encode(_v13_control())

    assert etree.fromstring(body).nsmap["csipaus"] == V13
    assert b"<csipaus:opModStorageTargetW>" in body


def test_v13_document_round_trips_when_expected_is_a_v13_class() -> None:
    control = _v13_control()

    assert decode(encode(control), csipaus13.DERControlBase) == control


def test_v13_document_is_valid_against_the_v13_xsd(csipaus13_schema: etree.XMLSchema) -> None:
    program = csipaus13.DERProgram(
        href="/derp/1",
        mRID=csipaus13.mRIDType(value=b"\x01" * 16),
        primacy=csipaus13.PrimacyType(value=1),
    )

    assert csipaus13_schema.validate(etree.fromstring(encode(program)))


def test_v13_extension_is_unknown_to_the_v12_profile() -> None:
    body = encode(_v13_control())

    with pytest.raises(MalformedXmlError):
        decode(body, profile=Profile.CSIP_AUS_12)


def test_v12_classes_are_refused_by_a_v13_encode() -> None:
    with pytest.raises(WrongRootError):
        encode(ex.error(), profile=Profile.CSIP_AUS_13)


def test_root_class_maps_clark_names() -> None:
    assert root_class("{urn:ieee:std:2030.5:ns}DERControlList") is sep.DERControlList
    assert root_class("{https://csipaus.org/ns}ConnectionPoint") is sep.ConnectionPoint
    assert root_class("{urn:other}DERControlList") is None
