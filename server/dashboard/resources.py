"""Client-posted DER resources as flat fields an operator can read (pure).

DERStatus, DERSettings, DERCapability and DERAvailability are stored as the XML the codec
re-encoded; here they are decoded again through the hardened codec and flattened:
``ActivePower(multiplier=3, value=5)`` becomes 5000.0, a status with a dateTime becomes its
value, a bitmap becomes hex, ``stateOfChargeStatus`` (hundredths of a percent) percent.
`field_words` says what a coded value means (``0050008F`` -> charge, discharge, connect, ...).
"""

from __future__ import annotations

import dataclasses
from enum import IntEnum, IntFlag
from typing import Any

from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.codec import decode
from openderms.schemas.sep2.enums import (
    ConnectStatus,
    DERControlTypeBit,
    DERType,
    DOEControlTypeBit,
    InverterStatus,
    LocalControlModeStatus,
    OperationalModeStatus,
    StorageModeStatus,
)
from openderms.schemas.sep2.errors import SepXmlError
from openderms.schemas.sep2.profiles import Profile

__all__ = ["RESOURCE_CLASSES", "field_words", "flatten_resource"]

RESOURCE_CLASSES: dict[str, type] = {
    "DERStatus": sep.DERStatus,
    "DERSettings": sep.DERSettings,
    "DERCapability": sep.DERCapability,
    "DERAvailability": sep.DERAvailability,
}
_SKIP = {"href", "subscribable"}
# sep.xsd PerCent is in hundredths of a percent.
_HUNDREDTHS_PCT = {"stateOfChargeStatus"}


def _field_names(value: Any) -> set[str]:
    """Field names of a binding instance (empty for anything else)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name for f in dataclasses.fields(value)}
    return set()


def _number(value: float) -> float | int:
    """5000.0 -> 5000; 0.95 stays (and 10^-1 noise is rounded off)."""
    rounded = round(value, 6)
    return int(rounded) if rounded.is_integer() else rounded


def _unwrap(value: Any) -> Any:
    """``PowerOfTenMultiplierType(value=3)`` -> 3: simple types are wrapped in the bindings."""
    while _field_names(value) == {"value"}:
        value = value.value
    return value


def _plain(name: str, value: Any) -> Any:
    value = _unwrap(value)
    if isinstance(value, bytes):
        return value.hex().upper()
    if isinstance(value, bool | int | float | str):
        return value
    names = _field_names(value)
    if {"multiplier", "value"} <= names:  # ActivePower, VoltageRMS, WattHour, ...
        return _number(_unwrap(value.value) * 10.0 ** (_unwrap(value.multiplier) or 0))
    if {"displacement", "multiplier"} <= names:  # PowerFactor
        return _number(_unwrap(value.displacement) * 10.0 ** (_unwrap(value.multiplier) or 0))
    if "value" in names:  # statuses: (dateTime, value)
        plain = _plain(name, value.value)
        if name in _HUNDREDTHS_PCT and isinstance(plain, int):
            return plain / 100
        return plain
    return str(value)[:80]


def flatten_resource(kind: str, xml: str) -> dict[str, Any]:
    """Flat ``{field: value}`` of a stored resource; ``{"error": ...}`` if it cannot be read."""
    cls = RESOURCE_CLASSES.get(kind)
    if cls is None:
        return {"error": f"unknown resource kind {kind}"}
    try:
        resource: object = decode(xml.encode(), cls)
    except SepXmlError as exc:
        try:  # a CSIP (US) client's DERCapability is stored in its own profile
            resource = decode(
                xml.encode(), getattr(Profile.CSIP.module, kind), profile=Profile.CSIP
            )
        except SepXmlError:
            return {"error": str(exc)[:200]}
    out: dict[str, Any] = {}
    assert dataclasses.is_dataclass(resource)
    for field in dataclasses.fields(resource):
        value = getattr(resource, field.name)
        if field.name in _SKIP or value is None or isinstance(value, list):
            continue
        out[field.name] = _plain(field.name, value)
    return out


#: Coded fields of the DER resources and the IEEE 2030.5 (or CSIP-AUS) type they code.
_CODES: dict[str, type[IntEnum] | type[IntFlag]] = {
    "modesSupported": DERControlTypeBit,
    "modesEnabled": DERControlTypeBit,
    "doeModesSupported": DOEControlTypeBit,
    "doeModesEnabled": DOEControlTypeBit,
    "genConnectStatus": ConnectStatus,
    "storConnectStatus": ConnectStatus,
    "inverterStatus": InverterStatus,
    "operationalModeStatus": OperationalModeStatus,
    "storageModeStatus": StorageModeStatus,
    "localControlModeStatus": LocalControlModeStatus,
    "type_value": DERType,
}


#: Names of the standard that read badly once split into words.
_PHRASES = {
    "exp lim w": "export limit",
    "imp lim w": "import limit",
    "gen lim w": "generation limit",
    "load lim w": "load limit",
    "max lim w": "max W limit",
    "fixed w": "fixed W",
    "target w": "target W",
    "fixed var": "fixed var",
    "fixed pf absorb w": "fixed PF (absorb)",
    "fixed pf inject w": "fixed PF (inject)",
    "watt pf": "watt-PF",
    "tracking mppt": "tracking MPPT",
    "combined pv and storage": "PV and storage",
    "evse": "EVSE",
}


def _word(member: IntEnum | IntFlag) -> str:
    word = (member.name or str(int(member))).lower().removeprefix("op_mod_").replace("_", " ")
    return _PHRASES.get(word, word)


def field_words(name: str, value: Any) -> str | None:
    """What a coded DER resource value means in words, or None for an uncoded field.

    Bitmaps (hex, as `flatten_resource` shows them) list their set bits; enumerations name
    their value; a value the standard does not define says so.
    """
    code = _CODES.get(name)
    if code is None:
        return None
    try:
        number = int(value, 16) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        return None
    if issubclass(code, IntFlag):
        known = [_word(bit) for bit in code if number & bit.value]
        unknown = number & ~sum(bit.value for bit in code)
        if unknown:
            known.append(f"undefined bits {unknown:#x}")
        return ", ".join(known) or "none"
    try:
        return _word(code(number))
    except ValueError:
        return f"undefined value {number}"
