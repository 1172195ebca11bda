"""Typed errors of the gateway store."""

from __future__ import annotations

__all__ = ["StoreError"]


class StoreError(Exception):
    """The local store cannot be opened, migrated or written."""
