"""Checks xsdata does not make: XSD ranges and lengths, and the standard's enumerations.

xsdata binds ``UInt8``..``Int64`` as plain ``int`` and never checks ``maxLength``; the
enumerations of 2030.5 live in documentation text. :func:`validate` walks a bound
document and raises :class:`InvalidValueError` on the first value the standard forbids.

Rules per field come from, in order:

1. the facet table generated from the XSD by ``scripts/generate_bindings.py``
   (``bindings/<profile>_facets.py``: declaring type, field -> simple type and facets);
2. the field metadata xsdata generated (``max_length``, ``min_inclusive``...);
3. :data:`ENUMERATIONS` and :data:`BITMAPS` below, from the standard's documentation.

A rule is declared on the XSD type that declares the field and applies to every
subclass (looked up along the Python MRO, as the bindings mirror XSD extension).
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum, IntFlag
from types import ModuleType
from typing import TypeVar

from openderms.schemas.sep2 import enums
from openderms.schemas.sep2._context import CONTEXT
from openderms.schemas.sep2.errors import InvalidValueError

__all__ = [
    "BITMAPS",
    "ENUMERATIONS",
    "ENUMERATIONS_BY_TYPE",
    "check_list_counts",
    "integer_range",
    "validate",
]

#: (declaring class, field) -> the enumeration that lists every allowed value.
ENUMERATIONS: Mapping[tuple[str, str], type[IntEnum]] = {
    ("EventStatus", "currentStatus"): enums.EventStatusCode,
    ("Response", "status"): enums.ResponseStatus,
    ("Notification", "status"): enums.NotificationStatus,
    ("Error", "reasonCode"): enums.ErrorReasonCode,
    ("DERType", "value"): enums.DERType,
    ("DERUnitRefType", "value"): enums.DERUnitRefType,
    ("DERCurveType", "value"): enums.DERCurveType,
    ("InverterStatusType", "value"): enums.InverterStatus,
    ("OperationalModeStatusType", "value"): enums.OperationalModeStatus,
    ("StorageModeStatusType", "value"): enums.StorageModeStatus,
    ("LocalControlModeStatusType", "value"): enums.LocalControlModeStatus,
    ("Time", "quality"): enums.TimeQuality,
    ("Subscription", "encoding"): enums.SubscriptionEncoding,
    ("ServiceKind", "value"): enums.ServiceKind,
    ("UsagePointBase", "status"): enums.UsagePointStatus,
    ("PowerSourceType", "value"): enums.PowerSourceType,
}

#: XSD simple type -> enumeration, for types used by fields of many classes.
ENUMERATIONS_BY_TYPE: Mapping[str, type[IntEnum]] = {
    "SubscribableType": enums.SubscribableType,
}

#: (declaring class, field) of a hexBinary bitmap -> the flags whose bits may be set.
BITMAPS: Mapping[tuple[str, str], type[IntFlag]] = {
    ("DERControlType", "value"): enums.DERControlTypeBit,
    ("DOEControlType", "value"): enums.DOEControlTypeBit,
    ("ConnectStatusType", "value"): enums.ConnectStatus,
    ("RoleFlagsType", "value"): enums.RoleFlagsBit,
    ("RespondableResource", "responseRequired"): enums.ResponseRequiredBit,
    ("DeviceCategoryType", "value"): enums.DeviceCategoryBit,
    ("VPPControlType", "value"): enums.VPPControlTypeBit,
}

_V = TypeVar("_V")
#: (XSD simple type, min, max, maxLength) of one field, as the generated facet table holds it.
Facet = tuple[str, int | None, int | None, int | None]


@dataclass(frozen=True, slots=True)
class _FieldRule:
    name: str
    required: bool
    is_list: bool
    scalar: type | None  # the Python type of a simple value, None for a child element
    element: tuple[type, ...] | None  # the classes a child element may be, None for a value
    min_value: int | None = None
    max_value: int | None = None
    max_length: int | None = None
    allowed: frozenset[int] | None = None
    allowed_names: str = ""
    bit_mask: int | None = None


_RULES: dict[type, tuple[_FieldRule, ...]] = {}
_FACETS: dict[str, Mapping[tuple[str, str], Facet]] = {}


def _facets_for(module: ModuleType) -> Mapping[tuple[str, str], Facet]:
    name = module.__name__
    if name not in _FACETS:
        try:
            table = importlib.import_module(f"{name}_facets").FACETS
        except ModuleNotFoundError:  # bindings generated before the facet table existed
            table = {}
        _FACETS[name] = table
    return _FACETS[name]


def _lookup(table: Mapping[tuple[str, str], _V], cls: type, name: str) -> _V | None:
    for base in cls.__mro__:
        found = table.get((base.__name__, name))
        if found is not None:
            return found
    return None


def _build_rules(cls: type) -> tuple[_FieldRule, ...]:
    module = importlib.import_module(cls.__module__)
    facets = _facets_for(module)
    xml_vars = {var.name: var for var in CONTEXT.build(cls).get_all_vars()}
    rules = []
    for f in dataclasses.fields(cls):
        if f.metadata.get("type") in ("Attributes", "Wildcard"):
            continue  # xs:anyAttribute / xs:any (2030.5-2023 types): nothing to check
        var = xml_vars[f.name]
        scalar = None if var.clazz is not None else var.types[0]
        element = tuple(var.types) if var.clazz is not None else None
        is_list = var.list_element
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        min_value = f.metadata.get("min_inclusive")
        max_value = f.metadata.get("max_inclusive")
        max_length = f.metadata.get("max_length")
        # Tables are keyed by the XML name: xsdata renames a few fields (File.type).
        facet = _lookup(facets, cls, var.local_name)
        enum: type[IntEnum] | None = _lookup(ENUMERATIONS, cls, var.local_name)
        if facet is not None:
            xsd_type, fmin, fmax, flen = facet
            min_value = fmin if fmin is not None else min_value
            max_value = fmax if fmax is not None else max_value
            max_length = flen if flen is not None else max_length
            enum = enum or ENUMERATIONS_BY_TYPE.get(xsd_type)
        bitmap = _lookup(BITMAPS, cls, var.local_name)
        rules.append(
            _FieldRule(
                name=f.name,
                required=required,
                is_list=is_list,
                scalar=scalar,
                element=element,
                min_value=min_value,
                max_value=max_value,
                max_length=max_length,
                allowed=frozenset(int(m) for m in enum) if enum else None,
                allowed_names=enum.__name__ if enum else "",
                bit_mask=sum(int(m) for m in bitmap) if bitmap else None,
            )
        )
    return tuple(rules)


def integer_range(cls: type, field: str) -> tuple[int | None, int | None]:
    """``(min, max)`` the standard allows for an integer field of a binding class.

    ``None`` for a side without a bound (or a field that is not an integer).
    """
    for rule in _rules_for(cls):
        if rule.name == field:
            return rule.min_value, rule.max_value
    raise KeyError(f"{cls.__name__} has no field {field}")


def _rules_for(cls: type) -> tuple[_FieldRule, ...]:
    rules = _RULES.get(cls)
    if rules is None:
        rules = _RULES[cls] = _build_rules(cls)
    return rules


class _RuleError(Exception):
    """A rule broke; carries the path (innermost field first) while it unwinds."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.path = [field]


def _type_ok(scalar: type, value: object) -> bool:
    # bool is an int subclass: an int field must not silently take True (it would
    # serialize as "true").
    if scalar is int or scalar is float:
        return isinstance(value, scalar | int) and not isinstance(value, bool)
    return isinstance(value, scalar)


def _scalar_problem(rule: _FieldRule, value: object) -> str | None:
    if rule.scalar is not None and not _type_ok(rule.scalar, value):
        return f"expected {rule.scalar.__name__}, got {type(value).__name__}"
    if isinstance(value, int):
        if rule.min_value is not None and value < rule.min_value:
            return f"{value} is below the minimum {rule.min_value}"
        if rule.max_value is not None and value > rule.max_value:
            return f"{value} is above the maximum {rule.max_value}"
        if rule.allowed is not None and value not in rule.allowed:
            return f"{value} is not a {rule.allowed_names} value"
    elif isinstance(value, str | bytes):
        # XSD maxLength counts characters of a string and octets of hexBinary.
        if rule.max_length is not None and len(value) > rule.max_length:
            return f"length {len(value)} exceeds the maximum {rule.max_length}"
        if rule.bit_mask is not None and isinstance(value, bytes):
            reserved = int.from_bytes(value, "big") & ~rule.bit_mask
            if reserved:
                return f"reserved bits set: 0x{reserved:x}"
    return None


def _check_item(rule: _FieldRule, item: object, field: str) -> None:
    if rule.element is None:
        problem = _scalar_problem(rule, item)
        if problem is not None:
            raise _RuleError(field, problem)
        return
    if not isinstance(item, rule.element):
        # e.g. a plain ActivePower where CSIP-AUS declares opModExpLimW: xsdata would
        # emit an xsi:type that peers do not expect.
        names = "/".join(t.__name__ for t in rule.element)
        raise _RuleError(field, f"expected {names}, got {type(item).__name__}")
    try:
        _check(item)
    except _RuleError as failure:
        failure.path.append(field)
        raise


def _check(obj: object) -> None:
    for rule in _rules_for(type(obj)):
        value = getattr(obj, rule.name)
        if value is None:
            if rule.required:
                raise _RuleError(rule.name, "required but missing")
            continue
        if not rule.is_list:
            _check_item(rule, value, rule.name)
            continue
        if not isinstance(value, list):
            raise _RuleError(rule.name, f"expected a list, got {type(value).__name__}")
        for index, item in enumerate(value):
            _check_item(rule, item, f"{rule.name}[{index}]")


def validate(obj: object) -> None:
    """Check a bound 2030.5 document against the standard's ranges and enumerations.

    Parameters
    ----------
    obj : object
        An instance of a generated binding class (any profile), usually a document root.

    Raises
    ------
    InvalidValueError
        A required field is missing, a value is of the wrong type, or a value is outside
        its XSD range/length or its documented enumeration.
    """
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        raise InvalidValueError(f"not a 2030.5 resource: {type(obj).__name__}")
    try:
        _check(obj)
    except _RuleError as failure:
        path = ".".join([type(obj).__name__, *reversed(failure.path)])
        raise InvalidValueError(f"{path}: {failure.message}") from None


def _list_items_field(cls: type) -> str | None:
    """The repeated element of a 2030.5 List (``DERControl`` of ``DERControlList``)."""
    rules = _rules_for(cls)
    names = {rule.name for rule in rules}
    if not {"all", "results"} <= names:
        return None
    repeated = [rule.name for rule in rules if rule.is_list and rule.element is not None]
    return repeated[0] if len(repeated) == 1 else None


def check_list_counts(obj: object) -> None:
    """Check ``results`` and ``all`` of every list in a document a server sends.

    ``results`` is the number of items in the page and ``all`` the number in the whole
    list (sep.xsd ``List``), so ``results == len(items) <= all``. Applied on encode: a
    paging bug must not reach the wire. Peers' documents are not held to it.

    Raises
    ------
    InvalidValueError
        A list's counts disagree with its items.
    """
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        return
    items_field = _list_items_field(type(obj))
    if items_field is not None:
        items = getattr(obj, items_field)
        # getattr: obj is any generated List class, typed as object here.
        results: int = getattr(obj, "results")  # noqa: B009 (see above)
        total: int = getattr(obj, "all")  # noqa: B009 (see above)
        if results != len(items) or total < results:
            raise InvalidValueError(
                f"{type(obj).__name__}: results={results} and all={total} "
                f"disagree with {len(items)} {items_field} item(s)"
            )
    for rule in _rules_for(type(obj)):
        if rule.element is None:
            continue
        value = getattr(obj, rule.name)
        for item in value if rule.is_list else (value,):
            check_list_counts(item)
