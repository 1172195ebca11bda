"""Typed errors carry the HTTP status and 2030.5 Error.reasonCode; error_body encodes them."""

from __future__ import annotations

import pytest

from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.codec import decode
from openderms.schemas.sep2.errors import (
    DocumentTooDeepError,
    DocumentTooLargeError,
    ErrorReasonCode,
    ForbiddenDtdError,
    InvalidValueError,
    MalformedXmlError,
    SepXmlError,
    WrongRootError,
    error_body,
)


def test_reason_codes_match_sep_xsd_error_documentation() -> None:
    assert [int(c) for c in ErrorReasonCode] == [0, 1, 2, 3, 4]
    assert ErrorReasonCode.INVALID_REQUEST_VALUES == 1
    assert ErrorReasonCode.MAXIMUM_REQUEST_FREQUENCY_EXCEEDED == 4


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (DocumentTooLargeError, 413, ErrorReasonCode.RESOURCE_LIMIT_REACHED),
        (DocumentTooDeepError, 400, ErrorReasonCode.INVALID_REQUEST_FORMAT),
        (ForbiddenDtdError, 400, ErrorReasonCode.INVALID_REQUEST_FORMAT),
        (MalformedXmlError, 400, ErrorReasonCode.INVALID_REQUEST_FORMAT),
        (WrongRootError, 400, ErrorReasonCode.INVALID_REQUEST_FORMAT),
        (InvalidValueError, 400, ErrorReasonCode.INVALID_REQUEST_VALUES),
    ],
)
def test_each_error_carries_its_status_and_reason(
    error: type[SepXmlError], status: int, code: ErrorReasonCode
) -> None:
    exc = error("x")

    assert isinstance(exc, SepXmlError)
    assert (exc.http_status, exc.reason_code) == (status, code)


def test_error_body_is_a_2030_5_error_document() -> None:
    body = error_body(InvalidValueError("bad"), max_retry_duration_s=30)

    assert decode(body, sep.Error) == sep.Error(reasonCode=1, maxRetryDuration=30)


def test_error_body_for_too_large_says_resource_limit_reached() -> None:
    assert decode(error_body(DocumentTooLargeError("big")), sep.Error).reasonCode == 2


def test_error_body_accepts_any_error_with_a_reason_code() -> None:
    class TooFrequent(Exception):
        reason_code = ErrorReasonCode.MAXIMUM_REQUEST_FREQUENCY_EXCEEDED

    body = error_body(TooFrequent(), max_retry_duration_s=120)

    assert decode(body, sep.Error) == sep.Error(reasonCode=4, maxRetryDuration=120)
