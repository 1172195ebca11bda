"""Typed errors of the VTN; the app answers each with the YAML's ``problem`` body."""

from __future__ import annotations

__all__ = [
    "OadrBadRequestError",
    "OadrConflictError",
    "OadrError",
    "OadrForbiddenError",
    "OadrNotFoundError",
    "OadrUnauthorizedError",
]


class OadrError(Exception):
    """Base: ``http_status`` and ``title`` of the problem; the message is its detail."""

    http_status = 500
    title = "Internal Server Error"
    #: RFC 6749 error code, for /auth/token answers.
    oauth_error: str | None = None

    def __init__(self, detail: str, *, oauth_error: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if oauth_error is not None:
            self.oauth_error = oauth_error


class OadrBadRequestError(OadrError):
    http_status = 400
    title = "Bad Request"
    oauth_error = "invalid_request"


class OadrUnauthorizedError(OadrError):
    """No valid bearer token (or bad client credentials at /auth/token)."""

    http_status = 401
    title = "Unauthorized"
    oauth_error = "invalid_client"


class OadrForbiddenError(OadrError):
    """The token's scopes do not allow the operation."""

    http_status = 403
    title = "Forbidden"


class OadrNotFoundError(OadrError):
    """No such object, or one the caller may not see (they look the same)."""

    http_status = 404
    title = "Not Found"


class OadrConflictError(OadrError):
    """A unique name is taken, or a reference names no object."""

    http_status = 409
    title = "Conflict"
