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
    "DeviceCategoryBit",
    "ErrorReasonCode",
    "EventStatusCode",
    "InverterStatus",
    "LocalControlModeStatus",
    "NotificationStatus",
    "OperationalModeStatus",
    "PowerSourceType",
    "ResponseRequiredBit",
    "ResponseStatus",
    "RoleFlagsBit",
    "ServiceKind",
    "StorageModeStatus",
    "SubscribableType",
    "SubscriptionEncoding",
    "TimeQuality",
    "UsagePointStatus",
    "VPPControlTypeBit",
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


class TimeQuality(IntEnum):
    """``Time.quality``: lower is more accurate (sep.xsd ``Time``)."""

    EXTERNAL_AUTHORITATIVE = 3
    LEVEL_3_SOURCE = 4
    MANUAL_OR_LEVEL_4_SOURCE = 5
    LEVEL_5_SOURCE = 6
    UNCOORDINATED = 7


class SubscriptionEncoding(IntEnum):
    """``Subscription.encoding`` (sep.xsd ``Subscription``)."""

    SEP_XML = 0
    SEP_EXI = 1


class ServiceKind(IntEnum):
    """``UsagePointBase.serviceCategoryKind`` (sep.xsd ``ServiceKind``)."""

    ELECTRICITY = 0
    GAS = 1
    WATER = 2
    TIME = 3
    PRESSURE = 4
    HEAT = 5
    COOLING = 6


class UsagePointStatus(IntEnum):
    """``UsagePointBase.status`` (sep.xsd ``UsagePointBase``)."""

    OFF = 0
    ON = 1


class PowerSourceType(IntEnum):
    """``DeviceInformation.primaryPower``/``secondaryPower`` (sep.xsd ``PowerSourceType``)."""

    NONE = 0
    MAINS = 1
    BATTERY = 2
    LOCAL_GENERATION = 3
    EMERGENCY = 4
    UNKNOWN = 5


class RoleFlagsBit(IntFlag):
    """``UsagePointBase.roleFlags`` bits (sep.xsd ``RoleFlagsType``)."""

    IS_MIRROR = 1 << 0
    IS_PREMISES_AGGREGATION_POINT = 1 << 1
    IS_PEV = 1 << 2
    IS_DER = 1 << 3
    IS_REVENUE_QUALITY = 1 << 4
    IS_DC = 1 << 5
    IS_SUBMETER = 1 << 6


class ResponseRequiredBit(IntFlag):
    """``RespondableResource.responseRequired`` bits (sep.xsd ``RespondableResource``)."""

    MESSAGE_RECEIVED = 1 << 0
    SPECIFIC_RESPONSE = 1 << 1
    END_USER_RESPONSE = 1 << 2


class DeviceCategoryBit(IntFlag):
    """``deviceCategory`` bits (sep.xsd ``DeviceCategoryType``)."""

    PROGRAMMABLE_COMMUNICATING_THERMOSTAT = 1 << 0
    STRIP_HEATERS = 1 << 1
    BASEBOARD_HEATERS = 1 << 2
    WATER_HEATER = 1 << 3
    POOL_PUMP = 1 << 4
    SAUNA = 1 << 5
    HOT_TUB = 1 << 6
    SMART_APPLIANCE = 1 << 7
    IRRIGATION_PUMP = 1 << 8
    MANAGED_COMMERCIAL_AND_INDUSTRIAL_LOADS = 1 << 9
    SIMPLE_MISC_LOADS = 1 << 10
    EXTERIOR_LIGHTING = 1 << 11
    INTERIOR_LIGHTING = 1 << 12
    LOAD_CONTROL_SWITCH = 1 << 13
    ENERGY_MANAGEMENT_SYSTEM = 1 << 14
    SMART_ENERGY_MODULE = 1 << 15
    ELECTRIC_VEHICLE = 1 << 16
    EVSE = 1 << 17
    VIRTUAL_OR_MIXED_DER = 1 << 18
    RECIPROCATING_ENGINE = 1 << 19
    FUEL_CELL = 1 << 20
    PHOTOVOLTAIC_SYSTEM = 1 << 21
    COMBINED_HEAT_AND_POWER = 1 << 22
    COMBINED_PV_AND_STORAGE = 1 << 23
    OTHER_GENERATION_SYSTEM = 1 << 24
    OTHER_STORAGE_SYSTEM = 1 << 25


class VPPControlTypeBit(IntFlag):
    """CSIP-AUS v1.3 ``vppModesSupported``/``vppModesEnabled`` bits (``VPPControlType``)."""

    OP_MOD_STORAGE_TARGET_W = 1 << 0
