"""Typed errors of the IEEE 2030.5 XML codec.

Every error a peer can cause carries the HTTP status a server answers with and the
``reasonCode`` of the 2030.5 ``Error`` resource (IEEE 2030.5-2018, sep.xsd ``Error``):

====  ===================================================
code  meaning
====  ===================================================
0     Invalid request format
1     Invalid request values (e.g. invalid threshold values)
2     Resource limit reached
3     Conditional subscription field not supported
4     Maximum request frequency exceeded
====  ===================================================
"""

from __future__ import annotations

from enum import IntEnum
from typing import Protocol

__all__ = [
    "DocumentTooDeepError",
    "DocumentTooLargeError",
    "ErrorReasonCode",
    "ForbiddenDtdError",
    "HasReasonCode",
    "InvalidValueError",
    "MalformedXmlError",
    "SepXmlError",
    "WrongRootError",
    "error_body",
]


class ErrorReasonCode(IntEnum):
    """``Error.reasonCode`` values (sep.xsd, ``Error``)."""

    INVALID_REQUEST_FORMAT = 0
    INVALID_REQUEST_VALUES = 1
    RESOURCE_LIMIT_REACHED = 2
    CONDITIONAL_SUBSCRIPTION_FIELD_NOT_SUPPORTED = 3
    MAXIMUM_REQUEST_FREQUENCY_EXCEEDED = 4


class SepXmlError(ValueError):
    """A 2030.5 document could not be decoded or encoded.

    Attributes
    ----------
    http_status : int
        Status a server answers with when the document came from a peer.
    reason_code : ErrorReasonCode
        ``Error.reasonCode`` for the 2030.5 ``Error`` body (see :func:`error_body`).
    """

    http_status: int = 400
    reason_code: ErrorReasonCode = ErrorReasonCode.INVALID_REQUEST_FORMAT


class DocumentTooLargeError(SepXmlError):
    """The body is larger than the configured limit."""

    http_status = 413
    reason_code = ErrorReasonCode.RESOURCE_LIMIT_REACHED


class DocumentTooDeepError(SepXmlError):
    """Elements are nested deeper than the configured limit."""


class ForbiddenDtdError(SepXmlError):
    """The document carries a DOCTYPE (entity expansion and external entities are refused)."""


class MalformedXmlError(SepXmlError):
    """Not well-formed XML, or elements/attributes the schema does not define."""


class WrongRootError(SepXmlError):
    """The root element is not the expected 2030.5 resource (name or namespace)."""


class InvalidValueError(SepXmlError):
    """Well-formed, but a value is outside the range, length or enumeration of the standard."""

    reason_code = ErrorReasonCode.INVALID_REQUEST_VALUES


class HasReasonCode(Protocol):
    """Any error that knows its 2030.5 ``Error.reasonCode`` (SepXmlError, a server's own)."""

    @property
    def reason_code(self) -> ErrorReasonCode: ...


def error_body(exc: HasReasonCode, *, max_retry_duration_s: int | None = None) -> bytes:
    """The 2030.5 ``Error`` document a server returns for ``exc``.

    Parameters
    ----------
    exc : SepXmlError or any object with a ``reason_code``
        The error; its ``reason_code`` becomes ``Error.reasonCode``.
    max_retry_duration_s : int, optional
        ``Error.maxRetryDuration``: how long the client should wait before retrying [s].

    Returns
    -------
    bytes
        The encoded document, to send with status ``exc.http_status``.
    """
    # Imported here: the codec raises these errors, so it cannot be imported at the top.
    from openderms.schemas.sep2 import models
    from openderms.schemas.sep2.codec import encode

    return encode(
        models.Error(reasonCode=int(exc.reason_code), maxRetryDuration=max_retry_duration_s)
    )
