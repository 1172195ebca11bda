"""Errors of the admin API; each carries the HTTP status it answers with."""

from __future__ import annotations

__all__ = [
    "AdminBadRequestError",
    "AdminConflictError",
    "AdminError",
    "AdminForbiddenError",
    "AdminNotFoundError",
    "AdminUnauthorizedError",
]


class AdminError(Exception):
    """Base of admin API errors: answered as ``{"error": <kind>, "message": <text>}``."""

    http_status: int = 500
    kind: str = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AdminBadRequestError(AdminError):
    """The body or a parameter is invalid (HTTP 400)."""

    http_status = 400
    kind = "bad_request"


class AdminUnauthorizedError(AdminError):
    """No valid bearer token (HTTP 401)."""

    http_status = 401
    kind = "unauthorized"


class AdminForbiddenError(AdminError):
    """The token's role may not do this (HTTP 403)."""

    http_status = 403
    kind = "forbidden"


class AdminNotFoundError(AdminError):
    """No such object within the token's scope (HTTP 404)."""

    http_status = 404
    kind = "not_found"


class AdminConflictError(AdminError):
    """The change conflicts with stored data (HTTP 409)."""

    http_status = 409
    kind = "conflict"
