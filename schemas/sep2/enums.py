"""Enumerations that IEEE 2030.5 defines in documentation text, not in XSD facets.

xsdata binds these fields as plain ``int`` (or ``bytes`` for bitmaps); the codec checks
them against the tables here (see :mod:`openderms.schemas.sep2.validation`). Names follow
the standard's wording. Sources are the ``xs:documentation`` of sep.xsd (IEEE
2030.5-2018) unless a class docstring says otherwise.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag

from openderms.schemas.sep2.errors import ErrorReasonCode

__all__ = [
    "ConnectStatus",
    "DERControlTypeBit",
    "DERCurveType",
    "DERType",
    "DERUnitRefType",
    "DOEControlTypeBit",
    "ErrorReasonCode",
    "EventStatusCode",
    "InverterStatus",
    "LocalControlModeStatus",
    "NotificationStatus",
    "OperationalModeStatus",
    "ResponseStatus",
    "StorageModeStatus",
    "SubscribableType",
]


class EventStatusCode(IntEnum):
    """``EventStatus.currentStatus`` (sep.xsd ``EventStatus``)."""

    SCHEDULED = 0
    ACTIVE = 1
    CANCELLED = 2
    CANCELLED_WITH_RANDOMIZATION = 3
    SUPERSEDED = 4


class ResponseStatus(IntEnum):
    """``Response.status``: IEEE 2030.5-2018 Table 27, Response Types by Function Set.

    sep.xsd only points at Table 27; the values below are the table's. A DER event
    (DERControl) uses 1-3, 6, 7, 13, 14 and 252-254; the others belong to DRLC, pricing and
    messaging.
    """

    EVENT_RECEIVED = 1
    EVENT_STARTED = 2
    EVENT_COMPLETED = 3
    OPTED_OUT = 4
    OPTED_IN = 5
    EVENT_CANCELLED = 6
    EVENT_SUPERSEDED = 7
    EVENT_PARTIALLY_COMPLETED_OPT_OUT = 8
    EVENT_PARTIALLY_COMPLETED_OPT_IN = 9
    EVENT_COMPLETED_NO_USER_PARTICIPATION = 10
    ACKNOWLEDGED = 11
    NOT_DISPLAYED = 12
    ABORTED_SERVER = 13
    ABORTED_PROGRAM = 14
    REJECTED_NOT_APPLICABLE = 252
    REJECTED_INVALID = 253
    REJECTED_EXPIRED = 254


class SubscribableType(IntEnum):
    """``SubscribableResource.subscribable`` (sep.xsd ``SubscribableType``)."""

    NOT_SUBSCRIBABLE = 0
    NON_CONDITIONAL = 1
    CONDITIONAL = 2
    BOTH = 3


class NotificationStatus(IntEnum):
    """``Notification.status`` (sep.xsd ``Notification``)."""

    DEFAULT = 0
    CANCELLED_NO_INFO = 1
    CANCELLED_RESOURCE_MOVED = 2
    CANCELLED_RESOURCE_DEFINITION_CHANGED = 3
    CANCELLED_RESOURCE_DELETED = 4


class DERType(IntEnum):
    """``DERCapability.type`` (sep.xsd ``DERType``)."""

    NOT_APPLICABLE = 0
    VIRTUAL_OR_MIXED = 1
    RECIPROCATING_ENGINE = 2
    FUEL_CELL = 3
    PHOTOVOLTAIC = 4
    COMBINED_HEAT_AND_POWER = 5
    OTHER_GENERATION = 6
    OTHER_STORAGE = 80
    ELECTRIC_VEHICLE = 81
    EVSE = 82
    COMBINED_PV_AND_STORAGE = 83


class DERUnitRefType(IntEnum):
    """Context of percent values (sep.xsd ``DERUnitRefType``)."""

    NOT_APPLICABLE = 0
    SET_MAX_W = 1
    SET_MAX_VAR = 2
    STAT_VAR_AVAIL = 3
    SET_EFFECTIVE_V = 4
    SET_MAX_CHARGE_RATE_W = 5
    SET_MAX_DISCHARGE_RATE_W = 6
    STAT_W_AVAIL = 7


class DERCurveType(IntEnum):
    """``DERCurve.curveType`` (sep.xsd ``DERCurveType``)."""

    OP_MOD_FREQ_WATT = 0
    OP_MOD_HFRT_MAY_TRIP = 1
    OP_MOD_HFRT_MUST_TRIP = 2
    OP_MOD_HVRT_MAY_TRIP = 3
    OP_MOD_HVRT_MOMENTARY_CESSATION = 4
    OP_MOD_HVRT_MUST_TRIP = 5
    OP_MOD_LFRT_MAY_TRIP = 6
    OP_MOD_LFRT_MUST_TRIP = 7
    OP_MOD_LVRT_MAY_TRIP = 8
    OP_MOD_LVRT_MOMENTARY_CESSATION = 9
    OP_MOD_LVRT_MUST_TRIP = 10
    OP_MOD_VOLT_VAR = 11
    OP_MOD_VOLT_WATT = 12
    OP_MOD_WATT_PF = 13
    OP_MOD_WATT_VAR = 14


class InverterStatus(IntEnum):
    """``DERStatus.inverterStatus.value`` (sep.xsd ``InverterStatusType``)."""

    NOT_APPLICABLE = 0
    OFF = 1
    SLEEPING = 2
    STARTING = 3
    TRACKING_MPPT = 4
    FORCED_POWER_REDUCTION = 5
    SHUTTING_DOWN = 6
    FAULT = 7
    STANDBY = 8
    TEST = 9
    MANUFACTURER_STATUS = 10


class OperationalModeStatus(IntEnum):
    """``DERStatus.operationalModeStatus.value`` (sep.xsd ``OperationalModeStatusType``)."""

    NOT_APPLICABLE = 0
    OFF = 1
    OPERATIONAL = 2
    TEST = 3


class StorageModeStatus(IntEnum):
    """``DERStatus.storageModeStatus.value`` (sep.xsd ``StorageModeStatusType``)."""

    CHARGING = 0
    DISCHARGING = 1
    HOLDING = 2


class LocalControlModeStatus(IntEnum):
    """``DERStatus.localControlModeStatus.value`` (sep.xsd ``LocalControlModeStatusType``)."""

    LOCAL = 0
    REMOTE = 1


class ConnectStatus(IntFlag):
    """``DERStatus.genConnectStatus``/``storConnectStatus`` bitmap (``ConnectStatusType``)."""

    CONNECTED = 1 << 0
    AVAILABLE = 1 << 1
    OPERATING = 1 << 2
    TEST = 1 << 3
    FAULT = 1 << 4


class DERControlTypeBit(IntFlag):
    """``DERCapability.modesSupported``/``DERSettings.modesEnabled`` bits (DERControlType)."""

    CHARGE = 1 << 0
    DISCHARGE = 1 << 1
    OP_MOD_CONNECT = 1 << 2
    OP_MOD_ENERGIZE = 1 << 3
    OP_MOD_FIXED_PF_ABSORB_W = 1 << 4
    OP_MOD_FIXED_PF_INJECT_W = 1 << 5
    OP_MOD_FIXED_VAR = 1 << 6
    OP_MOD_FIXED_W = 1 << 7
    OP_MOD_FREQ_DROOP = 1 << 8
    OP_MOD_FREQ_WATT = 1 << 9
    OP_MOD_HFRT_MAY_TRIP = 1 << 10
    OP_MOD_HFRT_MUST_TRIP = 1 << 11
    OP_MOD_HVRT_MAY_TRIP = 1 << 12
    OP_MOD_HVRT_MOMENTARY_CESSATION = 1 << 13
    OP_MOD_HVRT_MUST_TRIP = 1 << 14
    OP_MOD_LFRT_MAY_TRIP = 1 << 15
    OP_MOD_LFRT_MUST_TRIP = 1 << 16
    OP_MOD_LVRT_MAY_TRIP = 1 << 17
    OP_MOD_LVRT_MOMENTARY_CESSATION = 1 << 18
    OP_MOD_LVRT_MUST_TRIP = 1 << 19
    OP_MOD_MAX_LIM_W = 1 << 20
    OP_MOD_TARGET_VAR = 1 << 21
    OP_MOD_TARGET_W = 1 << 22
    OP_MOD_VOLT_VAR = 1 << 23
    OP_MOD_VOLT_WATT = 1 << 24
    OP_MOD_WATT_PF = 1 << 25
    OP_MOD_WATT_VAR = 1 << 26


class DOEControlTypeBit(IntFlag):
    """CSIP-AUS ``doeModesSupported``/``doeModesEnabled`` bits (csipaus-ext ``DOEControlType``)."""

    OP_MOD_EXP_LIM_W = 1 << 0
    OP_MOD_IMP_LIM_W = 1 << 1
    OP_MOD_GEN_LIM_W = 1 << 2
    OP_MOD_LOAD_LIM_W = 1 << 3
