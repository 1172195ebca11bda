"""Errors raised by the store."""

from __future__ import annotations

__all__ = ["StoreConfigError", "StoreError"]


class StoreError(Exception):
    """Base of every store error."""


class StoreConfigError(StoreError):
    """The database URL or options are not usable."""
