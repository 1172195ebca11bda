"""Wire-value conversions every user of the 2030.5 bindings needs. Pure functions.

Power with a power-of-ten multiplier, mRIDs, TimeType, links, and the list paging
query (``s``, ``a``, ``l``) with the ``all``/``results`` counts of a page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar, overload

from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.errors import InvalidValueError
from openderms.schemas.sep2.validation import integer_range

__all__ = [
    "ListQuery",
    "active_power",
    "from_time_type",
    "link",
    "list_link",
    "mrid_from_hex",
    "mrid_to_hex",
    "mrid_with_pen",
    "page_bounds",
    "parse_list_query",
    "scaled",
    "time_type",
    "to_quantity",
    "to_watts",
]

_MAX_MULTIPLIER = 9  # PowerOfTenMultiplierType: "any integer between -9 and 9"


class _ScaledValue(Protocol):
    # ActivePower, ReactivePower, ApparentPower, VoltageRMS, WattHour... and the CSIP-AUS
    # opMod*LimW: a value with a power-of-ten multiplier.
    multiplier: sep.PowerOfTenMultiplierType
    value: int

    def __init__(self, *, multiplier: sep.PowerOfTenMultiplierType, value: int) -> None: ...


_S = TypeVar("_S", bound=_ScaledValue)
_AP = TypeVar("_AP", bound=sep.ActivePower)
_L = TypeVar("_L", bound=sep.Link)


def to_quantity(scaled_value: _ScaledValue) -> float:
    """The quantity of a 2030.5 scaled value, ``value × 10^multiplier``.

    Parameters
    ----------
    scaled_value : ActivePower, ReactivePower, VoltageRMS, ... (``multiplier``, ``value``)

    Returns
    -------
    float
        The quantity in the type's unit ([W], [var], [VA], [V], [A], [Wh]...).
    """
    return scaled_value.value * 10.0**scaled_value.multiplier.value


def to_watts(power: _ScaledValue) -> float:
    """The power [W] of an ``ActivePower`` (or a CSIP-AUS ``opMod*LimW``)."""
    return to_quantity(power)


def scaled(quantity: float, cls: type[_S], *, min_multiplier: int = 0) -> _S:
    """Encode a quantity as ``cls(value, multiplier)`` with ``value`` in the XSD range of
    ``cls.value`` (Int16 for ActivePower, UInt16 for VoltageRMS, UInt48 for RealEnergy...).

    Picks the smallest multiplier not below ``min_multiplier`` whose rounded value fits.

    Parameters
    ----------
    quantity : float
        In the type's unit ([W] for ActivePower, [V] for VoltageRMS, ...).
    cls : type
        A 2030.5 scaled-value class.
    min_multiplier : int
        Smallest power of ten to use; ``-1`` keeps tenths when they fit.

    Returns
    -------
    object
        An instance of ``cls``, rounded to the nearest ``10^multiplier`` (half to even).

    Raises
    ------
    InvalidValueError
        ``quantity`` is not finite, is negative for an unsigned type, or needs a
        multiplier above 9.
    """
    if not math.isfinite(quantity):
        raise InvalidValueError(f"{cls.__name__} must be finite, got {quantity}")
    low, high = integer_range(cls, "value")
    for multiplier in range(max(min_multiplier, -_MAX_MULTIPLIER), _MAX_MULTIPLIER + 1):
        value = round(quantity / 10.0**multiplier)
        if low is not None and value < low:
            if value < 0 and low == 0:
                raise InvalidValueError(f"{cls.__name__} cannot be negative, got {quantity}")
            continue
        if high is None or value <= high:
            return cls(multiplier=sep.PowerOfTenMultiplierType(value=multiplier), value=value)
    raise InvalidValueError(f"{quantity} does not fit {cls.__name__} × 10^9")


@overload
def active_power(watts: float, *, min_multiplier: int = ...) -> sep.ActivePower: ...
@overload
def active_power(watts: float, cls: type[_AP], *, min_multiplier: int = ...) -> _AP: ...
def active_power(
    watts: float, cls: type[sep.ActivePower] = sep.ActivePower, *, min_multiplier: int = 0
) -> sep.ActivePower:
    """Encode a power [W] as ``cls(value, multiplier)`` with ``value`` fitting Int16.

    ``cls`` is ``ActivePower`` or a subclass such as ``opModExpLimW`` (the CSIP-AUS
    elements are subclasses, so the result drops into ``DERControlBase`` directly). 5000 W
    is ``5000 × 10^0``, 100 kW is ``10000 × 10^1``. See :func:`scaled`.
    """
    return scaled(watts, cls, min_multiplier=min_multiplier)


def mrid_from_hex(text: str) -> sep.mRIDType:
    """An mRID from its hex form (32 hex digits, either case).

    Raises
    ------
    InvalidValueError
        Not hex, or longer than 128 bits.
    """
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise InvalidValueError(f"mRID is not hex: {text!r}") from None
    if len(raw) > 16:
        raise InvalidValueError(f"mRID longer than 128 bits: {text!r}")
    return sep.mRIDType(value=raw)


def mrid_to_hex(mrid: sep.mRIDType) -> str:
    """The upper-case hex form of an mRID, as it appears on the wire."""
    return mrid.value.hex().upper()


def mrid_with_pen(identifier: int, pen: int) -> sep.mRIDType:
    """An mRID from an issuer's 96-bit identifier and its IANA Private Enterprise Number.

    sep.xsd ``mRIDType``: the PEN is bits 0-31 (least significant), the identifier the
    remaining 96 bits.

    Parameters
    ----------
    identifier : int
        Unique among the issuer's objects, ``0 <= identifier < 2**96``.
    pen : int
        The issuer's IANA PEN, ``0 <= pen < 2**32``.
    """
    if not 0 <= identifier < 2**96 or not 0 <= pen < 2**32:
        raise InvalidValueError("mRID identifier must fit 96 bits and the PEN 32 bits")
    return sep.mRIDType(value=((identifier << 32) | pen).to_bytes(16, "big"))


def time_type(epoch_s: float) -> sep.TimeType:
    """A TimeType (whole seconds since 1970-01-01 UTC, rounded down) from epoch seconds [s]."""
    return sep.TimeType(value=math.floor(epoch_s))


def from_time_type(value: sep.TimeType) -> int:
    """Epoch seconds [s] of a TimeType."""
    return value.value


@overload
def link(href: str) -> sep.Link: ...
@overload
def link(href: str, cls: type[_L]) -> _L: ...
def link(href: str, cls: type[sep.Link] = sep.Link) -> sep.Link:
    """A link element (``Link`` or a subclass such as ``DERProgramListLink``) to ``href``."""
    return cls(href=href)


def list_link(href: str, all_items: int, cls: type[sep.ListLink] = sep.ListLink) -> sep.ListLink:
    """A list link carrying ``all`` (SHALL be present for a local href, sep.xsd ``ListLink``)."""
    return cls(href=href, all=all_items)


@dataclass(frozen=True, slots=True)
class ListQuery:
    """The paging query of a 2030.5 list GET (IEEE 2030.5-2018, list design pattern).

    Attributes
    ----------
    start : int
        ``s``: index of the first item to return, 0-based.
    after : int or None
        ``a``: return items after this ordering key (for time-ordered lists, a time [s]);
        the server applies it since only it knows the list's order.
    limit : int
        ``l``: most items to return; 2030.5 defaults it to 1 when absent.
    """

    start: int = 0
    after: int | None = None
    limit: int = 1


def parse_list_query(params: Mapping[str, str], *, max_limit: int = 255) -> ListQuery:
    """Read ``s``, ``a`` and ``l`` from URL query parameters.

    Parameters
    ----------
    params : Mapping[str, str]
        The query parameters (other keys are ignored).
    max_limit : int
        A server's page cap; a larger ``l`` is clamped to it.

    Raises
    ------
    InvalidValueError
        A value is not a non-negative decimal integer.
    """

    def number(key: str) -> int | None:
        text = params.get(key)
        if text is None:
            return None
        if not text.isdigit() or len(text) > 20:  # isdigit: no sign, no spaces
            raise InvalidValueError(f"query parameter {key}={text!r} is not a count")
        return int(text)

    start = number("s")
    limit = number("l")
    return ListQuery(
        start=start if start is not None else 0,
        after=number("a"),
        limit=min(limit if limit is not None else 1, max_limit),
    )


def page_bounds(total: int, query: ListQuery) -> tuple[int, int]:
    """``(start, stop)`` indexes of the page, so ``items[start:stop]`` is the page.

    The list's ``all`` is ``total`` and its ``results`` is ``stop - start``.
    """
    start = min(query.start, total)
    return start, min(total, start + query.limit)
