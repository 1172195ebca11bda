"""Dashboard session cookies: signed, short-lived, bound to one admin token (pure).

A person logs in with an admin token; the dashboard answers with a cookie
``<token id>.<expires>.<mac>`` where ``mac`` is HMAC-SHA256 over ``token id.expires`` keyed
with the server's dashboard secret mixed with the token's stored hash. So the cookie

- never carries the token itself (it cannot be replayed against the admin API),
- dies with its token (a revoked token is refused at lookup, a re-issued one has a new
  hash), and at ``expires``,
- cannot be forged from a stolen database alone (the secret is not in it).

Every form of a logged-in page carries the session's CSRF token (`csrf_token`): an HMAC of
the cookie under the same secret, so another site can neither read nor compute it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

__all__ = [
    "COOKIE_NAME",
    "CSRF_FIELD",
    "SESSION_LIFETIME_S",
    "SessionClaim",
    "csrf_matches",
    "csrf_token",
    "parse_cookie",
    "sign_session",
]

COOKIE_NAME = "openderms_dashboard"
#: The form field of the CSRF token.
CSRF_FIELD = "csrf"
#: How long a login lasts [s] (a working shift).
SESSION_LIFETIME_S = 8 * 3600
_COOKIE = re.compile(r"^([0-9]{1,12})\.([0-9]{1,13})\.([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True, slots=True)
class SessionClaim:
    """What a cookie claims; trust it only after `SessionClaim.verify`."""

    token_id: int
    expires: int
    mac: str

    def verify(self, secret: bytes, token_sha256: str, *, now: int) -> bool:
        """True when the MAC matches the token's hash and the session has not expired."""
        expected = _mac(secret, token_sha256, self.token_id, self.expires)
        return now < self.expires and hmac.compare_digest(expected, self.mac)


def _mac(secret: bytes, token_sha256: str, token_id: int, expires: int) -> str:
    key = hmac.new(secret, token_sha256.encode("ascii"), hashlib.sha256).digest()
    digest = hmac.new(key, f"{token_id}.{expires}".encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def sign_session(
    secret: bytes,
    *,
    token_id: int,
    token_sha256: str,
    now: int,
    lifetime_s: int = SESSION_LIFETIME_S,
) -> str:
    """The cookie value of a session for token ``token_id`` from ``now`` [s]."""
    expires = now + lifetime_s
    return f"{token_id}.{expires}.{_mac(secret, token_sha256, token_id, expires)}"


def parse_cookie(value: str | None) -> SessionClaim | None:
    """The claim of a cookie value, or None when it is absent or malformed."""
    if not value:
        return None
    match = _COOKIE.match(value)
    if match is None:
        return None
    return SessionClaim(int(match.group(1)), int(match.group(2)), match.group(3))


def csrf_token(secret: bytes, cookie_value: str) -> str:
    """The CSRF token of the session whose cookie is ``cookie_value``."""
    digest = hmac.new(secret, b"csrf:" + cookie_value.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def csrf_matches(secret: bytes, cookie_value: str | None, presented: str | None) -> bool:
    """True when ``presented`` is the CSRF token of the session cookie ``cookie_value``."""
    if not cookie_value or not presented or not cookie_value.isascii():
        return False
    return hmac.compare_digest(csrf_token(secret, cookie_value), presented)
