"""Wire objects the gateway sends: Responses, LogEvents and the DER information resources.

Pure builders: facts and ``now`` in, generated 2030.5 classes out. The HTTP adapter
encodes them through the codec.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.enums import (
    ConnectStatus,
    DERControlTypeBit,
    DERType,
    DOEControlTypeBit,
    InverterStatus,
    OperationalModeStatus,
    ResponseStatus,
)
from openderms.schemas.sep2.values import active_power as power

__all__ = [
    "DerFacts",
    "LogEventCode",
    "aggregate_facts",
    "der_availability",
    "der_capability",
    "der_control_response",
    "der_settings",
    "der_status",
    "log_event",
]

# IEEE 2030.5 defines profileID 2 and function set 11 (DER) for LogEvent (sep.xsd LogEvent).
_PROFILE_IEEE_2030_5 = 2
_FUNCTION_SET_DER = 11
# logEventPEN: the IANA Private Enterprise Number of whoever defined the code. Codes below
# are the gateway's own ("vendor defined"), so profile 1 and PEN 0 (unassigned) are used
# until the project holds a PEN.
_PROFILE_VENDOR = 1
_PEN_UNASSIGNED = 0


class LogEventCode:
    """The gateway's own logEventCodes (vendor profile, DER function set)."""

    DEVICE_FAULT = 1
    """A device did not accept a setpoint or stopped answering."""
    DEVICE_RECOVERED = 2
    """A device that had faulted answers again."""
    REQUEST_REFUSED = 3
    """The server refused a request for good (a 4xx that retrying cannot fix)."""


def der_control_response(
    *, reply_to_subject_mrid_hex: str, lfdi_hex: str, status: ResponseStatus, now: float
) -> Any:
    """A DERControlResponse (IEEE 2030.5-2018 §12.1.3, Table 27).

    Parameters
    ----------
    reply_to_subject_mrid_hex : str
        The DERControl's mRID (hex).
    lfdi_hex : str
        The gateway's LFDI.
    status : ResponseStatus
    now : float
        Time the status came about [s since epoch].
    """
    return sep.DERControlResponse(
        createdDateTime=sep.TimeType(value=int(now)),
        endDeviceLFDI=bytes.fromhex(lfdi_hex),
        status=int(status),
        subject=sep.mRIDType(value=bytes.fromhex(reply_to_subject_mrid_hex)),
    )


def log_event(*, code: int, event_id: int, details: str, now: float) -> Any:
    """A LogEvent for the DER function set.

    Parameters
    ----------
    code : int
        One of :class:`LogEventCode`.
    event_id : int
        A UInt16 that, with createdDateTime, makes the event unique.
    details : str
        Human-readable text, cut to the 32 characters sep.xsd allows.
    now : float
        [s since epoch]
    """
    return sep.LogEvent(
        createdDateTime=sep.TimeType(value=int(now)),
        details=details[:32],
        functionSet=_FUNCTION_SET_DER,
        logEventCode=code,
        logEventID=event_id % 65536,
        logEventPEN=sep.PENType(value=_PEN_UNASSIGNED),
        profileID=_PROFILE_VENDOR,
    )


@dataclass(frozen=True, slots=True)
class DerFacts:
    """What the gateway knows about one DER for its DER information resources."""

    der_type: DERType
    rated_w: float
    """Maximum active power [W]."""
    rated_wh: float | None = None
    """Usable energy capacity of storage [Wh]."""
    max_charge_w: float | None = None
    """Maximum charge rate of storage [W]."""
    connected: bool | None = None
    """Whether the DER is connected to the grid."""
    faulted: bool = False
    available_w: float | None = None
    """Active power the DER could deliver now [W]."""
    soc_pct: float | None = None
    """State of charge [%]."""


# What the gateway can honour for any DER it dispatches: connect/energize, max limit,
# fixed and target W (2030.5 modes), the four CSIP-AUS DOE limits.
_MODES = (
    DERControlTypeBit.OP_MOD_CONNECT
    | DERControlTypeBit.OP_MOD_ENERGIZE
    | DERControlTypeBit.OP_MOD_MAX_LIM_W
    | DERControlTypeBit.OP_MOD_FIXED_W
    | DERControlTypeBit.OP_MOD_TARGET_W
)
_STORAGE_MODES = _MODES | DERControlTypeBit.CHARGE | DERControlTypeBit.DISCHARGE
_DOE_MODES = (
    DOEControlTypeBit.OP_MOD_EXP_LIM_W
    | DOEControlTypeBit.OP_MOD_IMP_LIM_W
    | DOEControlTypeBit.OP_MOD_GEN_LIM_W
    | DOEControlTypeBit.OP_MOD_LOAD_LIM_W
)


def _is_storage(facts: DerFacts) -> bool:
    return facts.rated_wh is not None


def der_capability(facts: DerFacts) -> Any:
    """DERCapability: ratings and supported modes (IEEE 2030.5-2018 §10.10.4.2)."""
    modes = _STORAGE_MODES if _is_storage(facts) else _MODES
    return sep.DERCapability(
        modesSupported=sep.DERControlType(value=int(modes).to_bytes(4, "big")),
        rtgMaxW=power(facts.rated_w),
        rtgMaxWh=(
            sep.WattHour(
                multiplier=sep.PowerOfTenMultiplierType(value=0), value=round(facts.rated_wh)
            )
            if facts.rated_wh is not None
            else None
        ),
        rtgMaxChargeRateW=power(facts.max_charge_w) if facts.max_charge_w is not None else None,
        type_value=sep.DERType(value=int(facts.der_type)),
        doeModesSupported=sep.doeModesSupported(value=int(_DOE_MODES).to_bytes(1, "big")),
    )


def der_settings(facts: DerFacts, *, set_grad_w: int, now: float) -> Any:
    """DERSettings: the settings in force (IEEE 2030.5-2018 §10.10.4.3).

    Parameters
    ----------
    set_grad_w : int
        Default ramp rate [hundredths of a percent of setMaxW per second].
    """
    modes = _STORAGE_MODES if _is_storage(facts) else _MODES
    return sep.DERSettings(
        modesEnabled=sep.DERControlType(value=int(modes).to_bytes(4, "big")),
        setGradW=set_grad_w,
        setMaxW=power(facts.rated_w),
        setMaxChargeRateW=power(facts.max_charge_w) if facts.max_charge_w is not None else None,
        updatedTime=sep.TimeType(value=int(now)),
        doeModesEnabled=sep.doeModesEnabled(value=int(_DOE_MODES).to_bytes(1, "big")),
    )


def der_status(facts: DerFacts, *, now: float) -> Any:
    """DERStatus: connection, operating state, state of charge (§10.10.4.4)."""
    stamp = sep.TimeType(value=int(now))
    connect: ConnectStatus | None = None
    if facts.connected is not None:
        connect = ConnectStatus.AVAILABLE
        if facts.connected:
            connect |= ConnectStatus.CONNECTED | ConnectStatus.OPERATING
        if facts.faulted:
            connect |= ConnectStatus.FAULT
    inverter = InverterStatus.FAULT if facts.faulted else InverterStatus.NOT_APPLICABLE
    connect_obj = (
        sep.ConnectStatusType(dateTime=stamp, value=int(connect).to_bytes(1, "big"))
        if connect is not None
        else None
    )
    storage = _is_storage(facts)
    return sep.DERStatus(
        readingTime=stamp,
        genConnectStatus=None if storage else connect_obj,
        storConnectStatus=connect_obj if storage else None,
        inverterStatus=sep.InverterStatusType(dateTime=stamp, value=int(inverter)),
        operationalModeStatus=sep.OperationalModeStatusType(
            dateTime=stamp,
            value=int(
                OperationalModeStatus.OFF if facts.faulted else OperationalModeStatus.OPERATIONAL
            ),
        ),
        stateOfChargeStatus=(
            sep.StateOfChargeStatusType(
                dateTime=stamp, value=sep.PerCent(value=round(facts.soc_pct * 100))
            )
            if facts.soc_pct is not None
            else None
        ),
    )


def der_availability(facts: DerFacts, *, now: float) -> Any:
    """DERAvailability: what the DER could deliver now (§10.10.4.5)."""
    return sep.DERAvailability(
        readingTime=sep.TimeType(value=int(now)),
        statWAvail=power(facts.available_w) if facts.available_w is not None else None,
    )


def aggregate_facts(facts: list[DerFacts]) -> DerFacts:
    """One DER's worth of facts for a site whose server lists a single DER.

    Ratings and availability add up; the site is connected if any DER is, faulted if any
    is; state of charge is weighted by storage capacity.
    """
    if not facts:
        raise ValueError("no DER facts to aggregate")
    if len(facts) == 1:
        return facts[0]
    types = {f.der_type for f in facts}
    storage = [f for f in facts if f.rated_wh]
    capacity_wh = sum(f.rated_wh or 0.0 for f in storage)
    soc_known = [f for f in storage if f.soc_pct is not None]
    soc_pct = (
        sum((f.soc_pct or 0.0) * (f.rated_wh or 0.0) for f in soc_known)
        / sum(f.rated_wh or 0.0 for f in soc_known)
        if soc_known
        else None
    )
    connected = [f.connected for f in facts if f.connected is not None]
    available = [f.available_w for f in facts if f.available_w is not None]
    charge = [f.max_charge_w for f in facts if f.max_charge_w is not None]
    return DerFacts(
        der_type=types.pop() if len(types) == 1 else DERType.COMBINED_PV_AND_STORAGE,
        rated_w=sum(f.rated_w for f in facts),
        rated_wh=capacity_wh if storage else None,
        max_charge_w=sum(charge) if charge else None,
        connected=any(connected) if connected else None,
        faulted=any(f.faulted for f in facts),
        available_w=sum(available) if available else None,
        soc_pct=soc_pct,
    )
