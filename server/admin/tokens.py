"""Admin bearer tokens: issue, hash, check, and the bootstrap token of a fresh server.

A token is ``od_`` + 43 URL-safe characters (32 random bytes from :mod:`secrets`). The
database keeps only its SHA-256: a fast hash suffices for a 256-bit random secret, and a
stolen database then grants nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from openderms.server.admin.errors import AdminBadRequestError, AdminUnauthorizedError
from openderms.server.store.admin import (
    AdminRole,
    count_admin_tokens,
    insert_admin_token,
    select_active_token_by_hash,
)
from openderms.server.store.crud.end_device import get_or_create_aggregator

__all__ = [
    "BOOTSTRAP_TOKEN_FILE",
    "AdminRole",
    "IssuedToken",
    "Principal",
    "authenticate",
    "create_token",
    "ensure_bootstrap_token",
    "hash_token",
]

logger = logging.getLogger(__name__)

#: File name of the bootstrap token, in the server's data directory.
BOOTSTRAP_TOKEN_FILE = "admin-token"  # noqa: S105  (a file name, not a secret)
_PREFIX = "od_"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a token's id, name, role and (for aggregators) scope."""

    token_id: int
    name: str
    role: AdminRole
    aggregator_id: int | None

    @property
    def is_utility(self) -> bool:
        return self.role is AdminRole.UTILITY


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A freshly issued token: the secret is shown once and never stored."""

    token: str
    token_id: int
    name: str
    role: AdminRole
    aggregator_id: int | None


def hash_token(token: str) -> str:
    """Hex SHA-256 of the token string (what the database stores)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    session: Session,
    *,
    name: str,
    role: AdminRole,
    aggregator_lfdi: str | None,
    now: int,
) -> IssuedToken:
    """Issue a token (committed with the caller's transaction).

    Parameters
    ----------
    name
        Who holds it (shown in the audit trail).
    role
        ``utility`` sees everything; ``aggregator`` only devices under ``aggregator_lfdi``.
    aggregator_lfdi
        The aggregator's certificate LFDI (40 hex digits); required for ``aggregator``.
    now
        Creation time [s since the epoch].
    """
    aggregator_id: int | None = None
    if role is AdminRole.AGGREGATOR:
        if not aggregator_lfdi:
            raise AdminBadRequestError("an aggregator token needs the aggregator's LFDI")
        aggregator_id = get_or_create_aggregator(session, aggregator_lfdi.upper(), now=now).id
    elif aggregator_lfdi:
        raise AdminBadRequestError("a utility token has no aggregator")
    token = _PREFIX + secrets.token_urlsafe(32)
    row = insert_admin_token(
        session,
        token_sha256=hash_token(token),
        name=name,
        role=role,
        aggregator_id=aggregator_id,
        now=now,
    )
    assert row.id is not None
    return IssuedToken(
        token=token, token_id=row.id, name=name, role=role, aggregator_id=aggregator_id
    )


def authenticate(
    session: Session,
    authorization: str | None,
    *,
    now: int | None = None,
    lifetime_s: int = 0,
) -> Principal:
    """The principal of an ``Authorization: Bearer <token>`` header.

    Parameters
    ----------
    now
        Current time [s since the epoch]; with `lifetime_s`, tokens older expire.
    lifetime_s
        How long a token works after it was issued [s]; 0 = until revoked.

    Raises
    ------
    AdminUnauthorizedError
        If the header is missing, malformed, or the token unknown, revoked or expired.
    """
    if not authorization:
        raise AdminUnauthorizedError("missing Authorization: Bearer <token>")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 256:
        raise AdminUnauthorizedError("the Authorization header must be 'Bearer <token>'")
    digest = hash_token(token)
    row = select_active_token_by_hash(session, digest)
    # The lookup is by hash, so timing reveals nothing about the secret; compare anyway.
    if row is None or row.id is None or not hmac.compare_digest(row.token_sha256, digest):
        raise AdminUnauthorizedError("unknown or revoked token")
    if lifetime_s > 0 and now is not None and now >= row.created_time + lifetime_s:
        raise AdminUnauthorizedError("the token has expired: issue a new one")
    return Principal(
        token_id=row.id, name=row.name, role=AdminRole(row.role), aggregator_id=row.aggregator_id
    )


#: How to get a token when none works: run on the server's host (no API needed).
RECOVERY_HINT = "openderms admin token create --db <database URL> --name ops"
#: A token file younger than this may be another process's bootstrap in progress [s].
_BOOTSTRAP_RACE_S = 60


def _set_aside_stale(path: Path, now: int) -> bool:
    """Move ``path`` (a token file for another database) aside; False if it may be live."""
    try:
        text = path.read_text(encoding="utf-8").strip()
        age_s = time.time() - path.stat().st_mtime
    except OSError as exc:
        logger.error("cannot read %s: %s; issue a token with: %s", path, exc, RECOVERY_HINT)
        return False
    if not text or age_s < _BOOTSTRAP_RACE_S:
        return False  # another server process on this database is writing it right now
    aside = path.with_name(f"{path.name}.stale-{now}")
    try:
        path.rename(aside)
    except OSError as exc:
        logger.error("cannot move %s aside: %s; issue a token with: %s", path, exc, RECOVERY_HINT)
        return False
    logger.warning(
        "%s held a token this database does not know (another database's?); moved it to %s",
        path,
        aside,
    )
    return True


def ensure_bootstrap_token(session: Session, data_dir: Path, *, now: int) -> Path | None:
    """On a server with no token at all, issue a utility token into ``data_dir``.

    The file ``data_dir/admin-token`` is created with mode 0600. A file already there
    while this database has no token at all belongs to another database (a reset or
    moved database): it is renamed ``admin-token.stale-<time>`` and a new token written,
    so nobody is locked out by a token that cannot work.

    Returns
    -------
    Path or None
        The file written, or None when tokens exist already (or it could not be written;
        the error log then names the recovery command, `RECOVERY_HINT`).
    """
    if count_admin_tokens(session) > 0:
        return None
    path = Path(data_dir) / BOOTSTRAP_TOKEN_FILE
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        logger.error(
            "cannot create the data directory %s: %s; issue a token with: %s",
            data_dir,
            exc,
            RECOVERY_HINT,
        )
        return None
    for _attempt in range(2):
        # Exclusive create with the final mode: the secret is never world-readable, not
        # even for an instant, and a file another process just made is left alone.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            break
        except FileExistsError:
            if not _set_aside_stale(path, now):
                return None
        except OSError as exc:
            # Serve anyway: the operator can still issue a token on the host.
            logger.error(
                "cannot write the bootstrap admin token to %s: %s; issue a token with: %s",
                path,
                exc,
                RECOVERY_HINT,
            )
            return None
    else:
        return None
    issued = create_token(
        session, name="bootstrap", role=AdminRole.UTILITY, aggregator_lfdi=None, now=now
    )
    session.commit()  # the file must name a token that exists
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(issued.token + "\n")
    logger.warning(
        "created the bootstrap admin token (utility role) in %s (lost it? %s)",
        path,
        RECOVERY_HINT,
    )
    return path
