"""Errors raised by dynamic load management."""

from __future__ import annotations

__all__ = ["DlmError", "DlmInputError"]


class DlmError(Exception):
    """Base class of every error the DLM raises."""


class DlmInputError(DlmError, ValueError):
    """Readings or limits the allocator cannot use (unknown phase, negative limit, ...)."""
