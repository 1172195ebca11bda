"""The codec's value checks agree with the XSD: mutate one value of a valid document.

Whatever the codec accepts the XSD accepts (our ranges are never looser than the XSD's),
and whatever the XSD accepts the codec accepts unless a documented enumeration or
bitmap of the standard, which the XSD cannot express, forbids it.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from openderms.schemas.sep2.codec import decode, encode
from openderms.schemas.sep2.errors import InvalidValueError, SepXmlError
from openderms.testing import sep2_examples as ex

_INTEGER = re.compile(r"-?\d+")
_DOCUMENTS = {name: encode(build()) for name, build in sorted(ex.ALL_EXAMPLES.items())}


def _slots(body: bytes, integers_only: bool) -> list[tuple[str, int]]:
    """(element path, attribute index or -1 for the text) of every simple value."""
    tree = etree.ElementTree(etree.fromstring(body))
    slots: list[tuple[str, int]] = []
    for element in tree.iter():
        path = tree.getelementpath(element)
        text = element.text or ""
        if len(element) == 0 and (not integers_only or _INTEGER.fullmatch(text)):
            slots.append((path, -1))
        for index, value in enumerate(element.attrib.values()):
            if not integers_only or _INTEGER.fullmatch(value):
                slots.append((path, index))
    return slots


_SLOTS = [(name, slot) for name, body in _DOCUMENTS.items() for slot in _slots(body, True)]
_ALL_SLOTS = [(name, slot) for name, body in _DOCUMENTS.items() for slot in _slots(body, False)]
_LENGTHS = st.sampled_from([0, 1, 2, 6, 16, 17, 20, 21, 32, 33, 42, 43, 192, 193, 255, 256])
_TEXTS = (
    _LENGTHS.map(lambda n: "x" * n)
    | _LENGTHS.map(lambda n: "é" * n)
    | _LENGTHS.map(lambda n: "AB" * n)
    | st.sampled_from(["true", "false", "1", "-1", " 5 ", "0x10", "1e3", "NaN"])
)
_EDGES = [0, 1, 2, 3, 4, 5, 7, 9, 10, 100, 127, 128, 255, 256, 32767, 32768, 65535, 65536]
_EDGES += [2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**47, 2**47 + 1, 2**48 - 1, 2**48]
_EDGES += [2**63 - 1, 2**63, 2**64 - 1, 2**64]
_NUMBERS = st.sampled_from(_EDGES + [-e for e in _EDGES]) | st.integers(-(2**70), 2**70)


def _mutate(body: bytes, path: str, attribute: int, number: int | str) -> bytes:
    root = etree.fromstring(body)
    tree = etree.ElementTree(root)
    element = root if path == "." else tree.find(path)
    assert element is not None
    if attribute < 0:
        element.text = str(number)
    else:
        key = list(element.attrib)[attribute]
        element.set(key, str(number))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _check_agreement(
    schema: etree.XMLSchema, name: str, path: str, attribute: int, value: int | str
) -> None:
    body = _mutate(_DOCUMENTS[name], path, attribute, value)
    xsd_valid = schema.validate(etree.fromstring(body))

    try:
        decode(body)
    except SepXmlError as exc:
        # Stricter than the XSD only where the standard's documentation says so.
        documented = isinstance(exc, InvalidValueError) and (
            " is not a " in str(exc) or "reserved bits" in str(exc)
        )
        assert not xsd_valid or documented, f"{name} {path}[{attribute}] = {value!r}: {exc}"
        return
    assert xsd_valid, f"codec accepted what the XSD refuses: {name} {path} = {value!r}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(slot=st.sampled_from(_SLOTS), number=_NUMBERS)
def test_codec_and_xsd_agree_on_numbers(
    csipaus12_schema: etree.XMLSchema, slot: tuple[str, tuple[str, int]], number: int
) -> None:
    name, (path, attribute) = slot
    _check_agreement(csipaus12_schema, name, path, attribute, number)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(slot=st.sampled_from(_ALL_SLOTS), text=_TEXTS)
def test_codec_and_xsd_agree_on_text_values(
    csipaus12_schema: etree.XMLSchema, slot: tuple[str, tuple[str, int]], text: str
) -> None:
    name, (path, attribute) = slot
    _check_agreement(csipaus12_schema, name, path, attribute, text)
