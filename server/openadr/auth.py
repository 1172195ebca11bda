"""OAuth2 client credentials for the VTN (RFC 6749 §4.4): clients, secrets, tokens.

A client secret is 32 random bytes (URL-safe text) shown once; the store keeps its scrypt
hash with a per-client salt. An access token is another 32 random bytes; the store keeps
its SHA-256 (a fast hash suffices for a 256-bit random value), its scopes and expiry.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlmodel import Session

from openderms.schemas.openadr3 import models as oadr
from openderms.server.openadr.errors import (
    OadrBadRequestError,
    OadrConflictError,
    OadrNotFoundError,
    OadrUnauthorizedError,
)
from openderms.server.openadr.scopes import ROLE_SCOPES, Principal, Role, Scope, parse_scopes
from openderms.server.store.crud.openadr import (
    insert_client,
    insert_token,
    select_active_token,
    select_client,
    select_clients,
)
from openderms.server.store.models.openadr import OadrClientRow, OadrTokenRow

__all__ = [
    "DEFAULT_TOKEN_LIFETIME_S",
    "IssuedClient",
    "authenticate",
    "create_client",
    "disable_client",
    "issue_token",
    "list_clients",
]

DEFAULT_TOKEN_LIFETIME_S = 3600
# scrypt cost: n=2**14, r=8 (RFC 7914's interactive-login figure), 16 MiB of memory.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024, "dklen": 32}


@dataclass(frozen=True, slots=True)
class IssuedClient:
    """A new client: the secret is shown once and never stored."""

    client_id: str
    client_secret: str
    role: Role
    scopes: frozenset[Scope]
    token_lifetime_s: int


def _hash_secret(secret: str, salt: bytes, n: int | None = None) -> str:
    """``scrypt$<n>$<salt hex>$<hash hex>``: the cost is kept, so it can rise later."""
    cost = _SCRYPT["n"] if n is None else n
    digest = hashlib.scrypt(
        secret.encode("utf-8"),
        salt=salt,
        n=cost,
        r=_SCRYPT["r"],
        p=_SCRYPT["p"],
        maxmem=_SCRYPT["maxmem"],
        dklen=_SCRYPT["dklen"],
    )
    return f"scrypt${cost}${salt.hex()}${digest.hex()}"


def _secret_matches(secret: str, stored: str) -> bool:
    _, cost, salt_hex, _ = stored.split("$", 3)
    computed = _hash_secret(secret, bytes.fromhex(salt_hex), int(cost))
    return hmac.compare_digest(computed, stored)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_client(
    session: Session,
    *,
    client_id: str,
    role: Role,
    now: float,
    scopes: frozenset[Scope] | None = None,
    token_lifetime_s: int = DEFAULT_TOKEN_LIFETIME_S,
) -> IssuedClient:
    """Register a client with a fresh secret and commit; its id must be new."""
    if not 1 <= len(client_id) <= 128:
        raise OadrBadRequestError("client_id must have 1-128 characters")
    if token_lifetime_s <= 0:
        raise OadrBadRequestError("token_lifetime_s must be positive")
    if select_client(session, client_id) is not None:
        raise OadrConflictError(f"client {client_id!r} exists")
    granted = ROLE_SCOPES[role] if scopes is None else scopes
    secret = secrets.token_urlsafe(32)
    insert_client(
        session,
        OadrClientRow(
            client_id=client_id,
            secret_hash=_hash_secret(secret, secrets.token_bytes(16)),
            role=role.value,
            scopes=" ".join(sorted(granted)),
            token_lifetime_s=token_lifetime_s,
            created_at=now,
        ),
    )
    session.commit()
    return IssuedClient(client_id, secret, role, granted, token_lifetime_s)


def list_clients(session: Session) -> list[OadrClientRow]:
    return list(select_clients(session))


def disable_client(session: Session, client_id: str, *, now: float) -> OadrClientRow:
    """Disable a client: its tokens stop working at once; commit."""
    row = select_client(session, client_id)
    if row is None:
        raise OadrNotFoundError(f"no client {client_id!r}")
    if row.disabled_at is None:
        row.disabled_at = now
        session.add(row)
        session.commit()
    return row


def issue_token(
    session: Session,
    *,
    grant_type: str | None,
    client_id: str | None,
    client_secret: str | None,
    scope: str | None,
    now: float,
) -> oadr.ClientCredentialResponse:
    """The token endpoint: check the client's credentials, grant the scopes asked for.

    Without ``scope`` the client gets all its scopes; asking for one it lacks is
    ``invalid_scope`` (RFC 6749 §5.2).
    """
    if grant_type != "client_credentials":
        raise OadrBadRequestError(
            "grant_type must be client_credentials", oauth_error="unsupported_grant_type"
        )
    if not client_id or not client_secret:
        raise OadrBadRequestError("client_id and client_secret are required")
    row = select_client(session, client_id)
    if (
        row is None
        or row.disabled_at is not None
        or not _secret_matches(client_secret, row.secret_hash)
    ):
        raise OadrUnauthorizedError("unknown client or wrong secret")
    allowed = parse_scopes(row.scopes)
    try:
        wanted = allowed if not scope else parse_scopes(scope)
    except ValueError as exc:
        raise OadrBadRequestError(str(exc), oauth_error="invalid_scope") from exc
    if not wanted <= allowed:
        raise OadrBadRequestError(
            f"not granted to this client: {' '.join(sorted(wanted - allowed))}",
            oauth_error="invalid_scope",
        )
    token = secrets.token_urlsafe(32)
    granted = " ".join(sorted(wanted))
    insert_token(
        session,
        OadrTokenRow(
            token_sha256=_token_hash(token),
            client_id=client_id,
            scopes=granted,
            issued_at=now,
            expires_at=now + row.token_lifetime_s,
        ),
        now=now,
    )
    session.commit()
    return oadr.ClientCredentialResponse(
        access_token=token,
        token_type="Bearer",  # noqa: S106  (the RFC 6749 token type, not a secret)
        expires_in=row.token_lifetime_s,
        scope=granted,
    )


def authenticate(session: Session, authorization: str | None, *, now: float) -> Principal:
    """The client behind ``Authorization: Bearer <token>``; 401 when absent or invalid."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise OadrUnauthorizedError("a bearer token is required")
    token = authorization[7:].strip()
    row = select_active_token(session, _token_hash(token), now=now)
    if row is None:
        raise OadrUnauthorizedError("the token is unknown or expired")
    return Principal(client_id=row.client_id, scopes=parse_scopes(row.scopes))
