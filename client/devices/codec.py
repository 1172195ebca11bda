"""SunSpec register codec: point values to and from 16-bit Modbus registers. Pure, no I/O.

Conventions
-----------
- Registers are big-endian 16-bit words; multi-register values put the most significant
  word first (SunSpec Information Model Specification, "Modbus register mapping").
- Every type has an "unimplemented" sentinel (0x8000 for int16, 0xFFFF for uint16, 0 for
  accumulators, NaN for float32...); it decodes to ``None`` and ``None`` encodes to it.
- A point with a scale factor holds ``raw × 10^sf``; an unimplemented scale factor makes the
  scaled value ``None``.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from openderms.client.devices.errors import CodecError

__all__ = [
    "POINT_TYPES",
    "PointType",
    "RawValue",
    "decode",
    "encode",
    "registers_for",
    "scale",
    "unscale",
]

RawValue = int | float | str | None
"""A decoded point before scaling: integers, float32, strings; ``None`` when unimplemented."""


@dataclass(frozen=True, slots=True)
class PointType:
    """How one SunSpec point type sits in registers."""

    name: str
    size: int
    """Registers used; 0 for strings, whose size comes from the model [registers]."""
    kind: str
    """"int", "uint", "float" or "string"."""
    unimplemented: int | None
    """Raw register pattern meaning "not implemented" (as an unsigned integer)."""


def _t(name: str, size: int, kind: str, unimplemented: int | None) -> PointType:
    return PointType(name, size, kind, unimplemented)


POINT_TYPES: dict[str, PointType] = {
    t.name: t
    for t in (
        _t("int16", 1, "int", 0x8000),
        _t("uint16", 1, "uint", 0xFFFF),
        _t("count", 1, "uint", 0xFFFF),
        _t("acc16", 1, "uint", 0),
        _t("enum16", 1, "uint", 0xFFFF),
        _t("bitfield16", 1, "uint", 0xFFFF),
        _t("sunssf", 1, "int", 0x8000),
        # The model JSON marks pad as a filler; it never carries a value.
        _t("pad", 1, "uint", None),
        _t("int32", 2, "int", 0x8000_0000),
        _t("uint32", 2, "uint", 0xFFFF_FFFF),
        _t("acc32", 2, "uint", 0),
        _t("enum32", 2, "uint", 0xFFFF_FFFF),
        _t("bitfield32", 2, "uint", 0xFFFF_FFFF),
        _t("ipaddr", 2, "uint", 0),
        _t("float32", 2, "float", 0x7FC0_0000),
        _t("int64", 4, "int", 0x8000_0000_0000_0000),
        _t("uint64", 4, "uint", 0xFFFF_FFFF_FFFF_FFFF),
        _t("acc64", 4, "uint", 0),
        _t("float64", 4, "float", 0x7FF8_0000_0000_0000),
        _t("eui48", 4, "uint", 0xFFFF_FFFF_FFFF_FFFF),
        _t("ipv6addr", 8, "uint", 0),
        _t("string", 0, "string", None),
    )
}


def _point_type(type_name: str) -> PointType:
    try:
        return POINT_TYPES[type_name]
    except KeyError:
        raise CodecError(f"unknown SunSpec point type {type_name!r}") from None


def registers_for(type_name: str, size: int | None = None) -> int:
    """Number of registers a point of ``type_name`` occupies.

    Parameters
    ----------
    type_name : str
        SunSpec type name ("int16", "acc32", "string", ...).
    size : int, optional
        Size from the model definition [registers]; required for strings.
    """
    ptype = _point_type(type_name)
    if ptype.size:
        if size is not None and size != ptype.size:
            raise CodecError(f"{type_name} takes {ptype.size} registers, not {size}")
        return ptype.size
    if size is None or size < 1:
        raise CodecError(f"{type_name} needs a positive size")
    return size


def _to_int(registers: Sequence[int]) -> int:
    value = 0
    for word in registers:
        if not 0 <= word <= 0xFFFF:
            raise CodecError(f"register value {word} is not a 16-bit word")
        value = (value << 16) | word
    return value


def _from_int(value: int, count: int) -> list[int]:
    return [(value >> (16 * (count - 1 - i))) & 0xFFFF for i in range(count)]


def decode(type_name: str, registers: Sequence[int]) -> RawValue:
    """Decode the registers of one point into its raw (unscaled) value.

    Parameters
    ----------
    type_name : str
        SunSpec type name.
    registers : sequence of int
        The point's registers, most significant first [16-bit words].

    Returns
    -------
    int, float, str or None
        ``None`` when the registers hold the type's unimplemented sentinel (and for pad).

    Raises
    ------
    CodecError
        Wrong register count or a value outside 0..0xFFFF.
    """
    ptype = _point_type(type_name)
    count = registers_for(type_name, len(registers) if ptype.kind == "string" else None)
    if len(registers) != count:
        raise CodecError(f"{type_name} needs {count} registers, got {len(registers)}")
    if ptype.kind == "string":
        data = struct.pack(f">{count}H", *registers)
        text = data.split(b"\0", 1)[0].decode("utf-8", errors="replace")
        return text or None
    if type_name == "pad":
        return None
    unsigned = _to_int(registers)
    if ptype.kind == "float":
        if count == 2:
            value = struct.unpack(">f", struct.pack(">I", unsigned))[0]
        else:
            value = struct.unpack(">d", struct.pack(">Q", unsigned))[0]
        return None if math.isnan(value) else float(value)
    if unsigned == ptype.unimplemented:
        return None
    if ptype.kind == "int" and unsigned >= 1 << (16 * count - 1):
        return unsigned - (1 << (16 * count))
    return unsigned


def encode(type_name: str, value: RawValue, size: int | None = None) -> list[int]:
    """Encode a raw (already unscaled) value into registers.

    Parameters
    ----------
    type_name : str
        SunSpec type name.
    value : int, float, str or None
        ``None`` writes the unimplemented sentinel.
    size : int, optional
        Point size [registers]; required for strings.

    Raises
    ------
    CodecError
        The value does not fit the type, or equals the unimplemented sentinel.
    """
    ptype = _point_type(type_name)
    count = registers_for(type_name, size)
    if ptype.kind == "string":
        data = b"" if value is None else str(value).encode("utf-8")
        if len(data) > 2 * count:
            raise CodecError(f"string of {len(data)} bytes does not fit {count} registers")
        data = data.ljust(2 * count, b"\0")
        return list(struct.unpack(f">{count}H", data))
    if value is None:
        return _from_int(ptype.unimplemented or 0, count)
    if ptype.kind == "float":
        fmt, ifmt = (">f", ">I") if count == 2 else (">d", ">Q")
        unsigned = struct.unpack(ifmt, struct.pack(fmt, float(value)))[0]
        return _from_int(int(unsigned), count)
    if isinstance(value, str) or (isinstance(value, float) and not value.is_integer()):
        raise CodecError(f"{type_name} needs an integer, got {value!r}")
    number = int(value)
    bits = 16 * count
    if ptype.kind == "int":
        low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    else:
        low, high = 0, (1 << bits) - 1
    if not low <= number <= high:
        raise CodecError(f"{number} is out of range for {type_name}")
    unsigned = number & ((1 << bits) - 1)
    if unsigned == ptype.unimplemented:
        raise CodecError(f"{number} is the unimplemented sentinel of {type_name}")
    return _from_int(unsigned, count)


def scale(raw: RawValue, sf: int | None) -> float | int | str | None:
    """Apply a SunSpec scale factor: ``raw × 10^sf``.

    Parameters
    ----------
    raw : int, float, str or None
        Decoded raw value.
    sf : int or None
        Scale factor exponent [unitless]; ``None`` when the point has no scale factor.
        A point whose scale-factor register is unimplemented has no value: callers return
        ``None`` for it rather than calling this.
    """
    if raw is None or isinstance(raw, str) or not sf:
        return raw
    return float(raw) * 10.0**sf if sf < 0 else int(raw) * 10**sf


def unscale(value: float, sf: int | None) -> int:
    """Invert :func:`scale`: the integer raw value nearest to ``value / 10^sf``.

    Parameters
    ----------
    value : float
        Engineering value [point units].
    sf : int or None
        Scale factor exponent [unitless].
    """
    if math.isnan(value) or math.isinf(value):
        raise CodecError(f"cannot encode {value!r}")
    return round(value / 10.0**sf) if sf else round(value)
