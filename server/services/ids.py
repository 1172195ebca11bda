"""Server-assigned mRIDs: 96 bits of the server's choosing, then its 32-bit PEN.

sep.xsd ``mRIDType``: "the 32 least significant bits ... SHALL be the IANA Private
Enterprise Number of the issuer" (issue 11 item 11). The PEN is the setting
``ServerSettings.mrid_pen``; the other 96 bits are random (or derived, see `derived_mrid`).
"""

from __future__ import annotations

import hashlib
import secrets

from openderms.schemas.sep2.values import mrid_with_pen

__all__ = ["derived_mrid", "mrid_pen_of", "new_mrid"]


def new_mrid(pen: int) -> str:
    """A fresh mRID as 32 upper-case hex digits: 96 random bits, then `pen`."""
    return mrid_with_pen(secrets.randbits(96), pen).value.hex().upper()


def derived_mrid(seed: str, pen: int) -> str:
    """A stable mRID for a resource that exists without a row of its own (the empty
    DefaultDERControl of a program): 96 bits of SHA-256 over `seed`, then `pen`."""
    identifier = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:12], "big")
    return mrid_with_pen(identifier, pen).value.hex().upper()


def mrid_pen_of(mrid_hex: str) -> int:
    """The PEN (least significant 32 bits) of a 128-bit mRID in hex."""
    return int(mrid_hex, 16) & 0xFFFF_FFFF
