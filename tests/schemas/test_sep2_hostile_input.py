"""Hostile or broken documents get a typed SepXmlError: never a crash, hang or huge allocation."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.codec import CodecLimits, decode, encode
from openderms.schemas.sep2.errors import (
    DocumentTooDeepError,
    DocumentTooLargeError,
    ErrorReasonCode,
    ForbiddenDtdError,
    InvalidValueError,
    MalformedXmlError,
    SepXmlError,
    WrongRootError,
)
from openderms.testing import sep2_examples as ex

NS = b'xmlns="urn:ieee:std:2030.5:ns"'

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE Error [\n<!ENTITY lol "lol">\n'
    + b"".join(
        b'<!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>\n<Error "
    + NS
    + b"><reasonCode>&lol9;</reasonCode></Error>"
)


def _xxe(encoding: str) -> bytes:
    text = (
        f'<?xml version="1.0" encoding="{encoding}"?>'
        '<!DOCTYPE Error [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        '<EndDevice xmlns="urn:ieee:std:2030.5:ns"><sFDI>&xxe;</sFDI></EndDevice>'
    )
    return text.encode(encoding)


def test_billion_laughs_is_refused_quickly() -> None:
    started = time.perf_counter()

    with pytest.raises(ForbiddenDtdError) as caught:
        decode(BILLION_LAUGHS)

    assert time.perf_counter() - started < 1.0
    assert caught.value.http_status == 400


def test_external_entity_is_refused_and_the_file_is_not_read() -> None:
    with pytest.raises(ForbiddenDtdError) as caught:
        decode(_xxe("UTF-8"))

    assert "root:" not in str(caught.value)


def test_external_entity_in_utf16_is_refused_after_parsing_without_resolving() -> None:
    """The byte scan for <!DOCTYPE misses UTF-16; the parser must still not resolve it."""
    with pytest.raises(ForbiddenDtdError) as caught:
        decode(_xxe("UTF-16"))

    assert "root:" not in str(caught.value)


def test_parameter_entity_without_doctype_keyword_is_refused() -> None:
    with pytest.raises(SepXmlError):
        decode(b'<!ENTITY % x SYSTEM "http://127.0.0.1:9/x">' + b"<Error " + NS + b"/>")


def test_ten_megabyte_body_is_too_large_with_413_and_resource_limit_code() -> None:
    body = b"<Error " + NS + b"><reasonCode>1</reasonCode>" + b" " * (10 << 20) + b"</Error>"

    with pytest.raises(DocumentTooLargeError) as caught:
        decode(body)

    assert caught.value.http_status == 413
    assert caught.value.reason_code is ErrorReasonCode.RESOURCE_LIMIT_REACHED


def test_body_limit_is_configurable() -> None:
    body = encode(ex.der_control_list(3))
    limits = CodecLimits(max_body_bytes=len(body) - 1)

    with pytest.raises(DocumentTooLargeError):
        decode(body, limits=limits)
    assert decode(body, limits=CodecLimits(max_body_bytes=len(body))) is not None


def test_ten_thousand_deep_nesting_is_refused() -> None:
    body = b"<DERControl " + NS + b">" + b"<a>" * 10_000 + b"</a>" * 10_000 + b"</DERControl>"

    with pytest.raises(DocumentTooDeepError):
        decode(body)


def test_nesting_beyond_the_configured_depth_is_refused() -> None:
    body = b"<DERControl " + NS + b">" + b"<a>" * 40 + b"</a>" * 40 + b"</DERControl>"

    with pytest.raises(DocumentTooDeepError):
        decode(body, limits=CodecLimits(max_depth=32))


def _nested(depth: int) -> bytes:
    """A DERControl root with elements nested to ``depth`` levels in total."""
    inner = depth - 1
    return b"<DERControl " + NS + b">" + b"<a>" * inner + b"</a>" * inner + b"</DERControl>"


def test_depth_limit_is_inclusive() -> None:
    """At the limit the document gets past the depth check (and fails later, as
    unknown elements); one deeper it is refused as too deep."""
    limits = CodecLimits(max_depth=8)

    with pytest.raises(MalformedXmlError):
        decode(_nested(8), limits=limits)
    with pytest.raises(DocumentTooDeepError):
        decode(_nested(9), limits=limits)


def test_deepest_real_resource_fits_the_default_depth() -> None:
    """A Notification wrapping a DERControlList is among the deepest real documents."""
    assert decode(encode(ex.notification())) == ex.notification()


def test_wrong_root_element_is_refused() -> None:
    with pytest.raises(WrongRootError):
        decode(encode(ex.der_program()), sep.DERControl)


def test_unknown_root_element_is_refused() -> None:
    with pytest.raises(WrongRootError):
        decode(b"<NoSuchResource " + NS + b"/>")


def test_wrong_namespace_is_refused() -> None:
    body = encode(ex.error()).replace(b"urn:ieee:std:2030.5:ns", b"urn:ieee:std:2030.5:nsX")

    with pytest.raises(WrongRootError):
        decode(body, sep.Error)


def test_no_namespace_is_refused() -> None:
    with pytest.raises(WrongRootError):
        decode(b"<Error><reasonCode>1</reasonCode></Error>")


def test_truncated_document_is_malformed() -> None:
    body = encode(ex.der_control())

    with pytest.raises(MalformedXmlError):
        decode(body[: len(body) // 2])


@pytest.mark.parametrize("body", [b"", b"   ", b"not xml", b"\xff\xfe\x00", b"{}"])
def test_non_xml_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedXmlError):
        decode(body)


def test_misspelt_element_is_refused_not_ignored() -> None:
    body = encode(ex.der_control()).replace(b"opModExpLimW>", b"opModExpLimitW>")

    with pytest.raises(MalformedXmlError, match="opModExpLimitW"):
        decode(body, sep.DERControl)


def test_unknown_attribute_is_refused() -> None:
    body = encode(ex.der_program()).replace(b"<DERProgram ", b'<DERProgram bogus="1" ', 1)

    with pytest.raises(MalformedXmlError, match="bogus"):
        decode(body)


def test_missing_required_element_is_refused() -> None:
    body = b"<Error " + NS + b"/>"

    with pytest.raises(MalformedXmlError):
        decode(body)


def test_invalid_enum_value_is_refused_with_reason_code_1() -> None:
    body = encode(ex.der_control()).replace(
        b"<currentStatus>0</currentStatus>", b"<currentStatus>5</currentStatus>"
    )

    with pytest.raises(InvalidValueError, match="currentStatus") as caught:
        decode(body)

    assert caught.value.reason_code is ErrorReasonCode.INVALID_REQUEST_VALUES


def test_out_of_range_number_is_refused() -> None:
    body = encode(ex.der_control(export_limit_w=5000.0)).replace(
        b"<value>5000</value>", b"<value>40000</value>"
    )

    with pytest.raises(InvalidValueError, match="above the maximum 32767"):
        decode(body)


def test_non_numeric_value_is_refused() -> None:
    body = b"<Error " + NS + b"><reasonCode>one</reasonCode></Error>"

    with pytest.raises(MalformedXmlError):
        decode(body)


def test_enormous_integer_literal_is_refused_without_hanging() -> None:
    body = b"<Error " + NS + b"><reasonCode>" + b"9" * 100_000 + b"</reasonCode></Error>"

    with pytest.raises(SepXmlError):
        decode(body)


def test_processing_instructions_and_comments_are_ignored() -> None:
    body = (
        b'<?xml version="1.0"?><?xml-stylesheet href="http://127.0.0.1:9/x"?>'
        b"<Error " + NS + b"><!-- hi --><reasonCode>1</reasonCode></Error>"
    )

    assert decode(body, sep.Error) == sep.Error(reasonCode=1)


_VALID = encode(ex.der_control())


def _decode_or_typed_error(body: bytes) -> None:
    """Decode raises only SepXmlError, and whatever it accepts encodes again."""
    try:
        decoded = decode(body)
    except SepXmlError:
        return
    assert decode(encode(decoded)) == decoded


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.integers(min_value=0, max_value=len(_VALID)),
    junk=st.binary(max_size=16),
    skip=st.integers(min_value=0, max_value=32),
)
def test_mutated_documents_decode_or_raise_a_typed_error(cut: int, junk: bytes, skip: int) -> None:
    body = _VALID[:cut] + junk + _VALID[cut + skip :]

    _decode_or_typed_error(body)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=256))
def test_random_bytes_never_crash_the_decoder(body: bytes) -> None:
    _decode_or_typed_error(body)


def test_text_inside_element_only_content_is_refused() -> None:
    """xsdata would drop it silently; the XSD refuses it (no 2030.5 type is mixed)."""
    body = b"<Error " + NS + b">junk<reasonCode>1</reasonCode></Error>"

    with pytest.raises(MalformedXmlError, match="junk"):
        decode(body)


def test_text_after_an_element_is_refused() -> None:
    body = b"<Error " + NS + b"><reasonCode>1</reasonCode>junk</Error>"

    with pytest.raises(MalformedXmlError, match="junk"):
        decode(body)


def test_text_in_an_attribute_only_element_is_refused() -> None:
    body = encode(ex.der()).replace(
        b'<DERStatusLink href="/edev/1/der/1/ders"/>',
        b'<DERStatusLink href="/edev/1/der/1/ders">x</DERStatusLink>',
    )
    assert b">x</DERStatusLink>" in body

    with pytest.raises(MalformedXmlError):
        decode(body)
