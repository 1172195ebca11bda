"""Typed errors of the dashboard; the app turns them into a status and a clear message."""

from __future__ import annotations

__all__ = [
    "DashboardBadRequestError",
    "DashboardError",
    "DashboardNotFoundError",
    "DashboardUnauthorizedError",
]


class DashboardError(Exception):
    """Base class: ``http_status`` is the status the app answers with."""

    http_status = 500
    kind = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DashboardBadRequestError(DashboardError):
    """A query parameter is malformed or out of range."""

    http_status = 400
    kind = "bad_request"


class DashboardUnauthorizedError(DashboardError):
    """No valid session cookie or bearer token."""

    http_status = 401
    kind = "unauthorized"


class DashboardNotFoundError(DashboardError):
    """No such object in the caller's scope."""

    http_status = 404
    kind = "not_found"
