"""Typed errors of the head-end, each with the HTTP status and 2030.5 reasonCode to answer.

Services raise these; the one error handler in `openderms.server.app` turns them (and the
codec's `SepXmlError`) into a 2030.5 ``Error`` body with ``application/sep+xml``.
"""

from __future__ import annotations

from openderms.schemas.sep2.errors import ErrorReasonCode

__all__ = [
    "BadRequestError",
    "ConditionNotSupportedError",
    "ConflictError",
    "ForbiddenError",
    "NotFoundError",
    "PayloadTooLargeError",
    "ResourceLimitError",
    "ServerError",
    "TooManyRequestsError",
    "UnauthenticatedError",
]


class ServerError(Exception):
    """Base of the errors a request can cause.

    Attributes
    ----------
    http_status : int
        Status of the response.
    reason_code : ErrorReasonCode
        ``Error.reasonCode`` of the body.
    """

    http_status: int = 500
    reason_code: ErrorReasonCode = ErrorReasonCode.INVALID_REQUEST_FORMAT


class BadRequestError(ServerError):
    """The request is well-formed XML but its values break a rule (HTTP 400)."""

    http_status = 400
    reason_code = ErrorReasonCode.INVALID_REQUEST_VALUES


class ResourceLimitError(BadRequestError):
    """A server limit refuses the request, e.g. too many subscriptions (HTTP 400, reason 2)."""

    reason_code = ErrorReasonCode.RESOURCE_LIMIT_REACHED


class ConditionNotSupportedError(BadRequestError):
    """A Subscription carries a Condition this server does not evaluate (HTTP 400, reason 3:
    "conditional subscription field not supported")."""

    reason_code = ErrorReasonCode.CONDITIONAL_SUBSCRIPTION_FIELD_NOT_SUPPORTED


class UnauthenticatedError(ServerError):
    """No verified client certificate came with the request (HTTP 403).

    2030.5 authenticates with TLS client certificates only; HTTP 401 would invite an
    Authorization header that we never accept.
    """

    http_status = 403


class ForbiddenError(ServerError):
    """The certificate may not do this to this resource (HTTP 403)."""

    http_status = 403


class NotFoundError(ServerError):
    """No such resource in the caller's scope (HTTP 404); others' resources look absent."""

    http_status = 404


class ConflictError(ServerError):
    """The change conflicts with stored data, e.g. an LFDI owned by someone else (409)."""

    http_status = 409
    # The request's values clash with what is stored (an mRID or LFDI in use): reason 1.
    reason_code = ErrorReasonCode.INVALID_REQUEST_VALUES


class PayloadTooLargeError(ServerError):
    """The body holds more than the server takes in one request (HTTP 413)."""

    http_status = 413
    reason_code = ErrorReasonCode.RESOURCE_LIMIT_REACHED


class TooManyRequestsError(ServerError):
    """The certificate writes faster than its limit (HTTP 429 with Retry-After).

    Attributes
    ----------
    retry_after_s : int
        When the next write will be taken [s].
    """

    http_status = 429
    reason_code = ErrorReasonCode.MAXIMUM_REQUEST_FREQUENCY_EXCEEDED

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
