"""Hand-written value types the generated OpenADR 3.1 models use (curation of the YAML).

`scripts/generate_openadr3_models.py` points the YAML's ``objectID``, ``dateTime``,
``duration`` and the Definitions' open enumerations at these types, so the rules live in
one place:

- `ObjectId`: 1-128 URL-safe characters (``^[a-zA-Z0-9_-]*$``), a bad id fails at parse.
- `DateTime`: RFC 3339 with an offset, except the "now" sentinel of intervalPeriod.start
  ("0001-01-01" or "0001-01-01T00:00:00", OpenADR 3.1 intervalPeriod), which parses to
  `NOW` and is written back as ``0001-01-01T00:00:00Z``.
- `Duration`: ISO 8601 durations as the YAML's pattern defines them, kept as the exact
  text (a round trip is byte-identical) with the parsed parts beside; ``P9999Y`` is
  `FOREVER` ("infinity", OpenADR 3.1 intervalPeriod).
- Open enumerations (`EventPayloadTypeName`, `ReportPayloadTypeName`, `ValueTypeName`,
  `ReadingTypeName`, `UnitName`): a known name parses to its enum member, any other
  string of 1-128 characters is a private value and survives a round trip unchanged
  (OpenADR 3.1 Definitions, "Private Strings").

Interpretation of the specification: years count as 365 days and months as 30 days
when a duration is turned into seconds (the YAML gives no calendar); `Duration.seconds`
says so in its name.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    Field,
    GetCoreSchemaHandler,
    PlainSerializer,
    StringConstraints,
    WrapValidator,
)
from pydantic_core import PydanticCustomError, core_schema

__all__ = [
    "FOREVER",
    "NOW",
    "DataQuality",
    "DateTime",
    "Duration",
    "EventPayloadType",
    "EventPayloadTypeName",
    "ObjectId",
    "ReadingType",
    "ReadingTypeName",
    "ReportPayloadType",
    "ReportPayloadTypeName",
    "Target",
    "Unit",
    "UnitName",
    "Uri",
    "ValueTypeName",
    "format_datetime",
    "is_now",
]

OBJECT_ID_PATTERN = r"^[a-zA-Z0-9_-]*$"

#: An object id: 1-128 URL-safe characters (YAML ``objectID``).
ObjectId = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=OBJECT_ID_PATTERN)
]

#: A target string (YAML ``target``): 1-128 characters.
Target = Annotated[str, StringConstraints(min_length=1, max_length=128)]


def _check_uri(value: str) -> str:
    if ":" not in value or not value.split(":", 1)[0].isascii():
        raise PydanticCustomError("uri", "not an absolute URI")
    scheme = value.split(":", 1)[0]
    if not scheme[:1].isalpha() or not all(c.isalnum() or c in "+-." for c in scheme):
        raise PydanticCustomError("uri", "not an absolute URI")
    return value


#: An absolute URI (``format: uri``), kept exactly as written (pydantic's AnyUrl would
#: normalise it, and a round trip would change the text).
Uri = Annotated[str, StringConstraints(min_length=2, max_length=8000), AfterValidator(_check_uri)]

#: intervalPeriod.start "now" (OpenADR 3.1: a start of 0001-01-01 may indicate now).
NOW = datetime(1, 1, 1, tzinfo=UTC)
_NOW_TEXTS = frozenset({"0001-01-01", "0001-01-01T00:00:00", "0001-01-01T00:00:00Z"})


def is_now(value: datetime | None) -> bool:
    """True for the "now" sentinel start."""
    return value is not None and value == NOW


def format_datetime(value: datetime) -> str:
    """RFC 3339 in UTC with ``Z`` and no more precision than the value has."""
    text = value.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def _parse_datetime(value: Any, handler: core_schema.ValidatorFunctionWrapHandler) -> datetime:
    if isinstance(value, str) and value in _NOW_TEXTS:
        return NOW
    parsed = handler(value)
    assert isinstance(parsed, datetime)
    if parsed.tzinfo is None:
        raise PydanticCustomError("naive_datetime", "a dateTime needs an offset (RFC 3339)")
    return parsed


#: RFC 3339 date-time with an offset, or the "now" sentinel (`NOW`).
DateTime = Annotated[
    datetime,
    WrapValidator(_parse_datetime),
    PlainSerializer(format_datetime, return_type=str, when_used="json"),
]

# The YAML's own pattern for ``duration`` (groups: sign, Y, M, count, D|W, H, M, S).
_DURATION = re.compile(
    r"^(-?)P(?=\d|T\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)([DW]))?"
    r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)
_DAY_S = 86_400.0


class Duration(str):
    """An ISO 8601 duration kept as its text, with its parts parsed.

    Attributes
    ----------
    negative : bool
    years, months, weeks, days, hours, minutes : int
    seconds_part : float
        The ``S`` component [s].
    """

    negative: bool
    years: int
    months: int
    weeks: int
    days: int
    hours: int
    minutes: int
    seconds_part: float

    def __new__(cls, text: str) -> Duration:
        match = _DURATION.match(text)
        if match is None or text.endswith("T"):
            raise ValueError(f"not an ISO 8601 duration: {text!r}")
        self = super().__new__(cls, text)
        sign, years, months, count, unit, hours, minutes, seconds = match.groups()
        self.negative = sign == "-"
        self.years = int(years or 0)
        self.months = int(months or 0)
        self.weeks = int(count) if unit == "W" else 0
        self.days = int(count) if unit == "D" else 0
        self.hours = int(hours or 0)
        self.minutes = int(minutes or 0)
        self.seconds_part = float(seconds or 0.0)
        return self

    @property
    def is_forever(self) -> bool:
        """P9999Y: "infinity" (OpenADR 3.1 intervalPeriod)."""
        return not self.negative and self.years >= 9999

    @property
    def seconds(self) -> float:
        """Length [s] with 365-day years and 30-day months (see the module docstring)."""
        total = (
            self.years * 365 * _DAY_S
            + self.months * 30 * _DAY_S
            + (self.weeks * 7 + self.days) * _DAY_S
            + self.hours * 3600.0
            + self.minutes * 60.0
            + self.seconds_part
        )
        return -total if self.negative else total

    @classmethod
    def from_seconds(cls, seconds: float) -> Duration:
        """``PT<n>S`` (or ``-PT<n>S``) for a length [s]."""
        sign = "-" if seconds < 0 else ""
        value = abs(seconds)
        text = f"{int(value)}" if value == int(value) else f"{value:g}"
        return cls(f"{sign}PT{text}S")

    @classmethod
    def __get_pydantic_core_schema__(
        cls, _source: type[Any], _handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def validate(value: str) -> Duration:
            try:
                return value if isinstance(value, Duration) else cls(value)
            except ValueError as exc:
                raise PydanticCustomError("duration", str(exc)) from exc

        return core_schema.no_info_after_validator_function(
            validate,
            core_schema.str_schema(),
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )


#: P9999Y.
FOREVER = Duration("P9999Y")


class EventPayloadType(StrEnum):
    """Event payload types (OpenADR 3.1.0 Definitions, Table 1)."""

    SIMPLE = "SIMPLE"
    PRICE = "PRICE"
    PRICE_ALTERNATE = "PRICE_ALTERNATE"
    CHARGE_STATE_SETPOINT = "CHARGE_STATE_SETPOINT"
    DISPATCH_SETPOINT = "DISPATCH_SETPOINT"
    DISPATCH_SETPOINT_RELATIVE = "DISPATCH_SETPOINT_RELATIVE"
    DISPATCH_INSTRUCTION = "DISPATCH_INSTRUCTION"
    CONTROL_SETPOINT = "CONTROL_SETPOINT"
    CONTROL_LEVEL_OFFSET = "CONTROL_LEVEL_OFFSET"
    CONTROL_LEVEL_OFFSET_PERCENT = "CONTROL_LEVEL_OFFSET_PERCENT"
    EXPORT_PRICE = "EXPORT_PRICE"
    GHG = "GHG"
    CURVE = "CURVE"
    OLS = "OLS"
    IMPORT_CAPACITY_SUBSCRIPTION = "IMPORT_CAPACITY_SUBSCRIPTION"
    IMPORT_CAPACITY_RESERVATION = "IMPORT_CAPACITY_RESERVATION"
    IMPORT_CAPACITY_RESERVATION_FEE = "IMPORT_CAPACITY_RESERVATION_FEE"
    IMPORT_CAPACITY_AVAILABLE = "IMPORT_CAPACITY_AVAILABLE"
    IMPORT_CAPACITY_AVAILABLE_PRICE = "IMPORT_CAPACITY_AVAILABLE_PRICE"
    EXPORT_CAPACITY_SUBSCRIPTION = "EXPORT_CAPACITY_SUBSCRIPTION"
    EXPORT_CAPACITY_RESERVATION = "EXPORT_CAPACITY_RESERVATION"
    EXPORT_CAPACITY_RESERVATION_FEE = "EXPORT_CAPACITY_RESERVATION_FEE"
    EXPORT_CAPACITY_AVAILABLE = "EXPORT_CAPACITY_AVAILABLE"
    EXPORT_CAPACITY_AVAILABLE_PRICE = "EXPORT_CAPACITY_AVAILABLE_PRICE"
    IMPORT_CAPACITY_LIMIT = "IMPORT_CAPACITY_LIMIT"
    EXPORT_CAPACITY_LIMIT = "EXPORT_CAPACITY_LIMIT"
    ALERT_GRID_EMERGENCY = "ALERT_GRID_EMERGENCY"
    ALERT_BLACK_START = "ALERT_BLACK_START"
    ALERT_POSSIBLE_OUTAGE = "ALERT_POSSIBLE_OUTAGE"
    ALERT_FLEX_ALERT = "ALERT_FLEX_ALERT"
    ALERT_FIRE = "ALERT_FIRE"
    ALERT_FREEZING = "ALERT_FREEZING"
    ALERT_WIND = "ALERT_WIND"
    ALERT_TSUNAMI = "ALERT_TSUNAMI"
    ALERT_AIR_QUALITY = "ALERT_AIR_QUALITY"
    ALERT_OTHER = "ALERT_OTHER"
    CTA2045_REBOOT = "CTA2045_REBOOT"
    CTA2045_SET_OVERRIDE_STATUS = "CTA2045_SET_OVERRIDE_STATUS"


class ReportPayloadType(StrEnum):
    """Report payload types (OpenADR 3.1.0 Definitions, Table 2)."""

    READING = "READING"
    USAGE = "USAGE"
    DEMAND = "DEMAND"
    SETPOINT = "SETPOINT"
    DELTA_USAGE = "DELTA_USAGE"
    BASELINE = "BASELINE"
    OPERATING_STATE = "OPERATING_STATE"
    UP_REGULATION_AVAILABLE = "UP_REGULATION_AVAILABLE"
    DOWN_REGULATION_AVAILABLE = "DOWN_REGULATION_AVAILABLE"
    REGULATION_SETPOINT = "REGULATION_SETPOINT"
    STORAGE_USABLE_CAPACITY = "STORAGE_USABLE_CAPACITY"
    STORAGE_CHARGE_LEVEL = "STORAGE_CHARGE_LEVEL"
    STORAGE_MAX_DISCHARGE_POWER = "STORAGE_MAX_DISCHARGE_POWER"
    STORAGE_MAX_CHARGE_POWER = "STORAGE_MAX_CHARGE_POWER"
    SIMPLE_LEVEL = "SIMPLE_LEVEL"
    USAGE_FORECAST = "USAGE_FORECAST"
    STORAGE_DISPATCH_FORECAST = "STORAGE_DISPATCH_FORECAST"
    LOAD_SHED_DELTA_AVAILABLE = "LOAD_SHED_DELTA_AVAILABLE"
    GENERATION_DELTA_AVAILABLE = "GENERATION_DELTA_AVAILABLE"
    DATA_QUALITY = "DATA_QUALITY"
    IMPORT_RESERVATION_CAPACITY = "IMPORT_RESERVATION_CAPACITY"
    IMPORT_RESERVATION_FEE = "IMPORT_RESERVATION_FEE"
    EXPORT_RESERVATION_CAPACITY = "EXPORT_RESERVATION_CAPACITY"
    EXPORT_RESERVATION_FEE = "EXPORT_RESERVATION_FEE"


class ReadingType(StrEnum):
    """Reading types (OpenADR 3.1.0 Definitions, Table 3); DIRECT_READ when absent."""

    DIRECT_READ = "DIRECT_READ"
    ESTIMATED = "ESTIMATED"
    SUMMED = "SUMMED"
    MEAN = "MEAN"
    PEAK = "PEAK"
    FORECAST = "FORECAST"
    AVERAGE = "AVERAGE"


class DataQuality(StrEnum):
    """Values of a DATA_QUALITY payload (OpenADR 3.1.0 Definitions, Table 6)."""

    OK = "OK"
    MISSING = "MISSING"
    ESTIMATED = "ESTIMATED"
    BAD = "BAD"


class AttributeType(StrEnum):
    """VEN, resource and program attribute names (OpenADR 3.1.0 Definitions, Table 8)."""

    LOCATION = "LOCATION"
    AREA = "AREA"
    MAX_POWER_CONSUMPTION = "MAX_POWER_CONSUMPTION"
    MAX_POWER_EXPORT = "MAX_POWER_EXPORT"
    DESCRIPTION = "DESCRIPTION"
    PROGRAM_LONG_NAME = "PROGRAM_LONG_NAME"
    RETAILER_NAME = "RETAILER_NAME"
    RETAILER_LONG_NAME = "RETAILER_LONG_NAME"
    PROGRAM_TYPE = "PROGRAM_TYPE"
    COUNTRY = "COUNTRY"
    PRINCIPAL_SUBDIVISION = "PRINCIPAL_SUBDIVISION"
    BINDING_EVENTS = "BINDING_EVENTS"
    LOCAL = "LOCAL"


class Unit(StrEnum):
    """Units (OpenADR 3.1.0 Definitions, Table 9)."""

    KWH = "KWH"
    THERMS = "THERMS"
    GHG = "GHG"
    VOLTS = "VOLTS"
    AMPS = "AMPS"
    CELSIUS = "CELSIUS"
    FAHRENHEIT = "FAHRENHEIT"
    PERCENT = "PERCENT"
    KW = "KW"
    KVAH = "KVAH"
    KVARH = "KVARH"
    KVA = "KVA"
    KVAR = "KVAR"


_Private = Annotated[str, StringConstraints(min_length=1, max_length=128)]

#: An event payload type: a Table 1 name, or a private string kept as written.
EventPayloadTypeName = Annotated[EventPayloadType | _Private, Field(union_mode="left_to_right")]
#: A report payload type: a Table 2 name, or a private string.
ReportPayloadTypeName = Annotated[ReportPayloadType | _Private, Field(union_mode="left_to_right")]
#: valuesMap.type: an event or report payload type, an attribute name, or private.
ValueTypeName = Annotated[
    EventPayloadType | ReportPayloadType | AttributeType | _Private,
    Field(union_mode="left_to_right"),
]
#: readingType: a Table 3 name, or private.
ReadingTypeName = Annotated[ReadingType | _Private, Field(union_mode="left_to_right")]
#: units: a Table 9 name, or private.
UnitName = Annotated[Unit | _Private, Field(union_mode="left_to_right")]
