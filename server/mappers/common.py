"""Small conversions shared by the mappers (mRIDs, LFDIs, powers, list headers)."""

from __future__ import annotations

from openderms.schemas.sep2 import models as sep
from openderms.server.errors import BadRequestError

__all__ = [
    "INT16_MAX",
    "active_power",
    "lfdi_bytes",
    "lfdi_hex",
    "mrid_hex",
    "mrid_type",
    "power_w",
    "time_type",
]

INT16_MAX = 32767


def mrid_type(mrid_hex_digits: str) -> sep.mRIDType:
    """The wire mRID of a stored (hex) mRID."""
    return sep.mRIDType(value=bytes.fromhex(mrid_hex_digits))


def mrid_hex(mrid: sep.mRIDType) -> str:
    """The stored form of a wire mRID: upper-case hex."""
    return mrid.value.hex().upper()


def lfdi_bytes(lfdi: str) -> bytes:
    return bytes.fromhex(lfdi)


def lfdi_hex(lfdi: bytes) -> str:
    """Upper-case hex of a wire LFDI; 2030.5 LFDIs are 20 bytes (§6.3.4)."""
    if len(lfdi) != 20:
        raise BadRequestError(f"an LFDI has 20 bytes, got {len(lfdi)}")
    return lfdi.hex().upper()


def time_type(epoch_s: int) -> sep.TimeType:
    return sep.TimeType(value=epoch_s)


def active_power(watts: float) -> tuple[int, int]:
    """(value, multiplier) of ActivePower for `watts`: value × 10^multiplier [W].

    The smallest non-negative multiplier whose value fits in int16 (sep.xsd ActivePower).
    """
    multiplier = 0
    value = round(watts)
    while abs(value) > INT16_MAX:
        multiplier += 1
        value = round(watts / 10**multiplier)
    return value, multiplier


def power_w(value: int, multiplier: int) -> float:
    """Watts of a wire ActivePower [W]."""
    return float(value * 10.0**multiplier)
