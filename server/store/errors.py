"""Errors raised by the store."""

from __future__ import annotations

__all__ = ["StoreConfigError", "StoreError", "StoreUnavailableError"]


class StoreError(Exception):
    """Base of every store error."""


class StoreConfigError(StoreError):
    """The database URL or options are not usable."""


class StoreUnavailableError(StoreError):
    """The database did not answer in time, or the connection to it failed.

    Callers answer 503 and try again later; the store recovers on its own once the
    database is back (broken connections are dropped from the pool).
    """
