"""Server-assigned mRIDs (IEEE 2030.5 §6.1.2: 128 bits, unique per server)."""

from __future__ import annotations

import uuid

__all__ = ["new_mrid"]


def new_mrid() -> str:
    """A fresh mRID as 32 upper-case hex digits (a random UUID's bits)."""
    return uuid.uuid4().hex.upper()
