"""Typed errors of the 2030.5 client."""

from __future__ import annotations

__all__ = [
    "PinMismatchError",
    "RegistrationError",
    "Sep2ClientError",
    "Sep2ConnectionError",
    "Sep2HttpStatusError",
    "Sep2ProtocolError",
    "is_permanent",
]


class Sep2ClientError(Exception):
    """Base of every error the 2030.5 client raises."""


class Sep2ConnectionError(Sep2ClientError):
    """The server could not be reached (refused, reset, TLS failure, timeout)."""


class Sep2HttpStatusError(Sep2ClientError):
    """The server answered with a status other than 2xx.

    Attributes
    ----------
    status : int
        HTTP status code.
    href : str
        The resource that was requested.
    """

    def __init__(self, status: int, href: str, method: str = "GET") -> None:
        super().__init__(f"{method} {href} -> HTTP {status}")
        self.status = status
        self.href = href
        self.method = method


class Sep2ProtocolError(Sep2ClientError):
    """The server sent something the standard does not allow (bad body, missing link).

    Not :class:`openderms.client.events.errors.RemoteProtocolError`, which is an event
    source breaking the rules of event handling (its subclass ``InvalidMappingError`` is
    raised when a 2030.5 event cannot be mapped)."""


class RegistrationError(Sep2ClientError):
    """The gateway is not (or not correctly) registered with the server."""


class PinMismatchError(RegistrationError):
    """Registration.pIN differs from the configured PIN (IEEE 2030.5-2018 §6.7)."""


#: 4xx statuses that say "later", not "never": timeout, too early, rate limit (RFC 9110,
#: RFC 8470, RFC 6585).
_RETRYABLE_4XX = frozenset({408, 425, 429})


def is_permanent(exc: BaseException) -> bool:
    """Whether retrying the same request cannot help: a 4xx other than 408/425/429.

    The one classification every request path of the client uses (issue 11 item 19): a
    permanent refusal is reported (log, LogEvent, visible state), never retried in a loop.
    """
    return (
        isinstance(exc, Sep2HttpStatusError)
        and 400 <= exc.status < 500
        and exc.status not in _RETRYABLE_4XX
    )
