"""Example 2030.5 + CSIP-AUS resources, valid by construction, for every team's tests.

Import as ``from openderms.testing import sep2_examples as ex``. Every builder takes ``now``
(epoch seconds) where time matters and returns a fresh object, so a test may mutate it.
``ALL_EXAMPLES`` lists one builder per resource the server or the client exchanges; the
schema tests round-trip each one and validate it against the XSD.
"""

from __future__ import annotations

from collections.abc import Callable

from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.enums import (
    DERControlTypeBit,
    DERCurveType,
    DERType,
    DOEControlTypeBit,
    EventStatusCode,
    ResponseStatus,
    RoleFlagsBit,
)
from openderms.schemas.sep2.values import active_power, link, mrid_with_pen, time_type

NOW = 1_700_000_000.0
#: An illustrative IANA PEN for mRIDs made by the examples.
PEN = 40732
LFDI_HEX = "3E4F45AB31EDFE5B67E343E5E4562E31984E23E5"
LFDI = bytes.fromhex(LFDI_HEX)
SFDI = 167261211391


def mrid(n: int) -> sep.mRIDType:
    """The n-th example mRID (issuer :data:`PEN`)."""
    return mrid_with_pen(n, PEN)


def event_status(
    code: EventStatusCode = EventStatusCode.SCHEDULED, now: float = NOW
) -> sep.EventStatus:
    return sep.EventStatus(
        currentStatus=int(code), dateTime=time_type(now), potentiallySuperseded=False
    )


def device_capability() -> sep.DeviceCapability:
    return sep.DeviceCapability(
        href="/dcap",
        pollRate=900,
        TimeLink=link("/tm", sep.TimeLink),
        EndDeviceListLink=sep.EndDeviceListLink(href="/edev", all=1),
        MirrorUsagePointListLink=sep.MirrorUsagePointListLink(href="/mup", all=0),
        SelfDeviceLink=link("/sdev", sep.SelfDeviceLink),
    )


def time_resource(now: float = NOW) -> sep.Time:
    return sep.Time(
        href="/tm",
        currentTime=time_type(now),
        dstEndTime=time_type(1_712_419_200),
        dstOffset=sep.TimeOffsetType(value=3600),
        dstStartTime=time_type(1_696_089_600),
        localTime=time_type(now + 36_000),
        quality=7,
        tzOffset=sep.TimeOffsetType(value=36_000),
        pollRate=900,
    )


def end_device(index: int = 1, now: float = NOW) -> sep.EndDevice:
    base = f"/edev/{index}"
    return sep.EndDevice(
        href=base,
        subscribable=0,
        DERListLink=sep.DERListLink(href=f"{base}/der", all=1),
        DeviceInformationLink=link(f"{base}/di", sep.DeviceInformationLink),
        lFDI=LFDI,
        LogEventListLink=sep.LogEventListLink(href=f"{base}/lel", all=0),
        sFDI=sep.SFDIType(value=SFDI),
        changedTime=time_type(now),
        enabled=True,
        FunctionSetAssignmentsListLink=sep.FunctionSetAssignmentsListLink(
            href=f"{base}/fsa", all=1
        ),
        postRate=300,
        RegistrationLink=link(f"{base}/rg", sep.RegistrationLink),
        SubscriptionListLink=sep.SubscriptionListLink(href=f"{base}/sub", all=0),
        ConnectionPointLink=link(f"{base}/cp", sep.ConnectionPointLink),
    )


def end_device_list(count: int = 2, now: float = NOW) -> sep.EndDeviceList:
    items = [end_device(i + 1, now) for i in range(count)]
    return sep.EndDeviceList(
        href="/edev", all=count, results=count, EndDevice=items, pollRate=900, subscribable=1
    )


def registration(now: float = NOW) -> sep.Registration:
    return sep.Registration(
        href="/edev/1/rg", dateTimeRegistered=time_type(now), pIN=sep.PINType(value=111115)
    )


def device_information(now: float = NOW) -> sep.DeviceInformation:
    return sep.DeviceInformation(
        href="/edev/1/di",
        lFDI=LFDI,
        mfDate=time_type(now - 86_400 * 365),
        mfHwVer="rev B",
        mfID=sep.PENType(value=PEN),
        mfModel="OD-GW-1",
        mfSerNum="SN0001",
        primaryPower=sep.PowerSourceType(value=1),
        secondaryPower=sep.PowerSourceType(value=0),
        swActTime=time_type(now - 86_400),
        swVer="0.1.0",
    )


def function_set_assignments(index: int = 1) -> sep.FunctionSetAssignments:
    return sep.FunctionSetAssignments(
        href=f"/edev/1/fsa/{index}",
        mRID=mrid(1000 + index),
        description="DER programs of the site",
        DERProgramListLink=sep.DERProgramListLink(href=f"/edev/1/fsa/{index}/derp", all=1),
        TimeLink=link("/tm", sep.TimeLink),
        subscribable=0,
    )


def function_set_assignments_list(count: int = 1) -> sep.FunctionSetAssignmentsList:
    items = [function_set_assignments(i + 1) for i in range(count)]
    return sep.FunctionSetAssignmentsList(
        href="/edev/1/fsa", all=count, results=count, FunctionSetAssignments=items, pollRate=900
    )


def der_program(index: int = 1, primacy: int = 1) -> sep.DERProgram:
    base = f"/derp/{index}"
    return sep.DERProgram(
        href=base,
        mRID=mrid(2000 + index),
        description=f"Dynamic operating envelope {index}",
        version=sep.VersionType(value=0),
        ActiveDERControlListLink=sep.ActiveDERControlListLink(href=f"{base}/actderc", all=0),
        DefaultDERControlLink=link(f"{base}/dderc", sep.DefaultDERControlLink),
        DERControlListLink=sep.DERControlListLink(href=f"{base}/derc", all=1),
        DERCurveListLink=sep.DERCurveListLink(href=f"{base}/dc", all=0),
        primacy=sep.PrimacyType(value=primacy),
    )


def der_program_list(count: int = 2) -> sep.DERProgramList:
    items = [der_program(i + 1, primacy=i + 1) for i in range(count)]
    return sep.DERProgramList(
        href="/edev/1/fsa/1/derp", all=count, results=count, DERProgram=items, pollRate=900
    )


def csip_aus_limits(
    export_limit_w: float = 5000.0,
    import_limit_w: float = 10_000.0,
    generation_limit_w: float = 8000.0,
    load_limit_w: float = 7000.0,
) -> sep.DERControlBase:
    """A DERControlBase carrying the four CSIP-AUS dynamic operating envelope limits."""
    return sep.DERControlBase(
        opModExpLimW=active_power(export_limit_w, sep.opModExpLimW),
        opModImpLimW=active_power(import_limit_w, sep.opModImpLimW),
        opModGenLimW=active_power(generation_limit_w, sep.opModGenLimW),
        opModLoadLimW=active_power(load_limit_w, sep.opModLoadLimW),
    )


def der_control(
    index: int = 1,
    now: float = NOW,
    *,
    start_s: float | None = None,
    duration_s: int = 1800,
    status: EventStatusCode = EventStatusCode.SCHEDULED,
    export_limit_w: float = 5000.0,
) -> sep.DERControl:
    start = now + 3600 * index if start_s is None else start_s
    return sep.DERControl(
        href=f"/derp/1/derc/{index}",
        replyTo="/rsps/1/rsp",
        responseRequired=b"\x03",
        mRID=mrid(3000 + index),
        description=f"DOE block {index}",
        version=sep.VersionType(value=0),
        creationTime=time_type(now),
        EventStatus=event_status(status, now),
        interval=sep.DateTimeInterval(duration=duration_s, start=time_type(start)),
        randomizeStart=sep.OneHourRangeType(value=0),
        DERControlBase=csip_aus_limits(export_limit_w=export_limit_w),
    )


def der_control_list(count: int = 3, now: float = NOW) -> sep.DERControlList:
    items = [der_control(i + 1, now) for i in range(count)]
    return sep.DERControlList(
        href="/derp/1/derc", all=count, results=count, DERControl=items, subscribable=1
    )


def default_der_control() -> sep.DefaultDERControl:
    return sep.DefaultDERControl(
        href="/derp/1/dderc",
        mRID=mrid(4000),
        description="Fallback limits",
        DERControlBase=csip_aus_limits(export_limit_w=1500.0),
        setGradW=27,  # CSIP-AUS ramp: hundredths of a percent of setMaxW per second
        setSoftGradW=27,
    )


def der_curve(index: int = 1, now: float = NOW) -> sep.DERCurve:
    return sep.DERCurve(
        href=f"/derp/1/dc/{index}",
        mRID=mrid(5000 + index),
        description="Volt-Watt",
        creationTime=time_type(now),
        CurveData=[
            sep.CurveData(xvalue=253, yvalue=100),
            sep.CurveData(xvalue=260, yvalue=20),
        ],
        curveType=sep.DERCurveType(value=int(DERCurveType.OP_MOD_VOLT_WATT)),
        xMultiplier=sep.PowerOfTenMultiplierType(value=0),
        yMultiplier=sep.PowerOfTenMultiplierType(value=0),
        yRefType=sep.DERUnitRefType(value=1),
    )


def der_curve_list(count: int = 1, now: float = NOW) -> sep.DERCurveList:
    items = [der_curve(i + 1, now) for i in range(count)]
    return sep.DERCurveList(href="/derp/1/dc", all=count, results=count, DERCurve=items)


def der(index: int = 1) -> sep.DER:
    base = f"/edev/1/der/{index}"
    return sep.DER(
        href=base,
        DERAvailabilityLink=link(f"{base}/dera", sep.DERAvailabilityLink),
        DERCapabilityLink=link(f"{base}/dercap", sep.DERCapabilityLink),
        DERSettingsLink=link(f"{base}/derg", sep.DERSettingsLink),
        DERStatusLink=link(f"{base}/ders", sep.DERStatusLink),
        CurrentDERProgramLink=link("/derp/1", sep.CurrentDERProgramLink),
    )


def der_list(count: int = 1) -> sep.DERList:
    items = [der(i + 1) for i in range(count)]
    return sep.DERList(href="/edev/1/der", all=count, results=count, DER=items, pollRate=900)


_DOE_ALL = (
    DOEControlTypeBit.OP_MOD_EXP_LIM_W
    | DOEControlTypeBit.OP_MOD_IMP_LIM_W
    | DOEControlTypeBit.OP_MOD_GEN_LIM_W
    | DOEControlTypeBit.OP_MOD_LOAD_LIM_W
)
_MODES = DERControlTypeBit.OP_MOD_CONNECT | DERControlTypeBit.OP_MOD_MAX_LIM_W


def der_capability() -> sep.DERCapability:
    return sep.DERCapability(
        href="/edev/1/der/1/dercap",
        modesSupported=sep.DERControlType(value=int(_MODES).to_bytes(4, "big")),
        rtgMaxW=active_power(10_000.0),
        rtgMaxVA=sep.ApparentPower(multiplier=sep.PowerOfTenMultiplierType(value=0), value=10_000),
        type_value=sep.DERType(value=int(DERType.COMBINED_PV_AND_STORAGE)),
        doeModesSupported=sep.doeModesSupported(value=int(_DOE_ALL).to_bytes(1, "big")),
    )


def der_settings(now: float = NOW) -> sep.DERSettings:
    return sep.DERSettings(
        href="/edev/1/der/1/derg",
        modesEnabled=sep.DERControlType(value=int(_MODES).to_bytes(4, "big")),
        setGradW=27,
        setMaxW=active_power(10_000.0),
        updatedTime=time_type(now),
        doeModesEnabled=sep.doeModesEnabled(value=int(_DOE_ALL).to_bytes(1, "big")),
    )


def der_status(now: float = NOW) -> sep.DERStatus:
    stamp = time_type(now)
    return sep.DERStatus(
        href="/edev/1/der/1/ders",
        genConnectStatus=sep.ConnectStatusType(dateTime=stamp, value=b"\x07"),
        inverterStatus=sep.InverterStatusType(dateTime=stamp, value=4),
        operationalModeStatus=sep.OperationalModeStatusType(dateTime=stamp, value=2),
        readingTime=stamp,
        stateOfChargeStatus=sep.StateOfChargeStatusType(
            dateTime=stamp, value=sep.PerCent(value=5500)
        ),
        storageModeStatus=sep.StorageModeStatusType(dateTime=stamp, value=2),
    )


def der_availability(now: float = NOW) -> sep.DERAvailability:
    return sep.DERAvailability(
        href="/edev/1/der/1/dera",
        availabilityDuration=3600,
        readingTime=time_type(now),
        reservePercent=sep.PerCent(value=2000),
        statWAvail=active_power(6500.0),
    )


def reading_type() -> sep.ReadingType:
    return sep.ReadingType(
        accumulationBehaviour=sep.AccumulationBehaviourType(value=12),  # instantaneous
        commodity=sep.CommodityType(value=1),  # electricity secondary metered
        dataQualifier=sep.DataQualifierType(value=2),  # average
        flowDirection=sep.FlowDirectionType(value=1),  # forward (import)
        intervalLength=300,
        kind=sep.KindType(value=37),  # power
        phase=sep.PhaseCode(value=0),
        powerOfTenMultiplier=sep.PowerOfTenMultiplierType(value=0),
        uom=sep.UomType(value=38),  # W
    )


def mirror_reading_set(index: int = 1, now: float = NOW) -> sep.MirrorReadingSet:
    start = time_type(now - 300 * index)
    return sep.MirrorReadingSet(
        mRID=mrid(6000 + index),
        description="5-minute site power",
        timePeriod=sep.DateTimeInterval(duration=300, start=start),
        Reading=[
            sep.Reading(value=-3200, timePeriod=sep.DateTimeInterval(duration=300, start=start))
        ],
    )


def mirror_meter_reading(index: int = 1, now: float = NOW) -> sep.MirrorMeterReading:
    return sep.MirrorMeterReading(
        mRID=mrid(7000 + index),
        description="Site active power",
        lastUpdateTime=time_type(now),
        nextUpdateTime=time_type(now + 300),
        MirrorReadingSet=[mirror_reading_set(1, now)],
        ReadingType=reading_type(),
    )


def mirror_meter_reading_list(count: int = 2, now: float = NOW) -> sep.MirrorMeterReadingList:
    items = [mirror_meter_reading(i + 1, now) for i in range(count)]
    return sep.MirrorMeterReadingList(
        href="/mup/1", all=count, results=count, MirrorMeterReading=items
    )


_SITE_ROLE = int(RoleFlagsBit.IS_MIRROR | RoleFlagsBit.IS_PREMISES_AGGREGATION_POINT)


def mirror_usage_point(index: int = 1, now: float = NOW) -> sep.MirrorUsagePoint:
    return sep.MirrorUsagePoint(
        href=f"/mup/{index}",
        mRID=mrid(8000 + index),
        description="Site connection point",
        roleFlags=sep.RoleFlagsType(value=_SITE_ROLE.to_bytes(2, "big")),
        serviceCategoryKind=sep.ServiceKind(value=0),
        status=1,
        deviceLFDI=LFDI,
        MirrorMeterReading=[mirror_meter_reading(1, now)],
        postRate=300,
    )


def mirror_usage_point_list(count: int = 1, now: float = NOW) -> sep.MirrorUsagePointList:
    items = [mirror_usage_point(i + 1, now) for i in range(count)]
    return sep.MirrorUsagePointList(
        href="/mup", all=count, results=count, MirrorUsagePoint=items, pollRate=900
    )


def der_control_response(
    status: ResponseStatus = ResponseStatus.EVENT_RECEIVED, now: float = NOW
) -> sep.DERControlResponse:
    return sep.DERControlResponse(
        createdDateTime=time_type(now),
        endDeviceLFDI=LFDI,
        status=int(status),
        subject=mrid(3001),
    )


def response(
    status: ResponseStatus = ResponseStatus.EVENT_STARTED, now: float = NOW
) -> sep.Response:
    return sep.Response(
        href="/rsps/1/rsp/1",
        createdDateTime=time_type(now),
        endDeviceLFDI=LFDI,
        status=int(status),
        subject=mrid(3001),
    )


def response_list(now: float = NOW) -> sep.ResponseList:
    items = [
        response(ResponseStatus.EVENT_RECEIVED, now),
        response(ResponseStatus.EVENT_STARTED, now),
    ]
    return sep.ResponseList(href="/rsps/1/rsp", all=2, results=2, Response=items)


def log_event(index: int = 1, now: float = NOW) -> sep.LogEvent:
    return sep.LogEvent(
        href=f"/edev/1/lel/{index}",
        createdDateTime=time_type(now),
        details="inverter tripped on over-voltage",
        functionSet=22,
        logEventCode=1,
        logEventID=index,
        logEventPEN=sep.PENType(value=PEN),
        profileID=0,
    )


def log_event_list(count: int = 2, now: float = NOW) -> sep.LogEventList:
    items = [log_event(i + 1, now) for i in range(count)]
    return sep.LogEventList(
        href="/edev/1/lel", all=count, results=count, LogEvent=items, pollRate=900
    )


def subscription(index: int = 1) -> sep.Subscription:
    return sep.Subscription(
        href=f"/edev/1/sub/{index}",
        subscribedResource="/derp/1/derc",
        encoding=0,
        level="-S1",
        limit=10,
        notificationURI="https://gateway.example:8443/ntfy",
    )


def subscription_list(count: int = 1) -> sep.SubscriptionList:
    items = [subscription(i + 1) for i in range(count)]
    return sep.SubscriptionList(
        href="/edev/1/sub", all=count, results=count, Subscription=items, pollRate=900
    )


def notification(now: float = NOW) -> sep.Notification:
    """A notification carrying the changed DERControlList (``xsi:type`` on the wire)."""
    return sep.Notification(
        subscribedResource="/derp/1/derc",
        Resource=der_control_list(1, now),
        status=0,
        subscriptionURI="/edev/1/sub/1",
    )


def error() -> sep.Error:
    return sep.Error(reasonCode=1, maxRetryDuration=60)


def connection_point() -> sep.ConnectionPoint:
    return sep.ConnectionPoint(href="/edev/1/cp", connectionPointId="4103000000")


#: One builder per resource type the server or the client exchanges.
ALL_EXAMPLES: dict[str, Callable[[], object]] = {
    "DeviceCapability": device_capability,
    "Time": time_resource,
    "EndDevice": end_device,
    "EndDeviceList": end_device_list,
    "Registration": registration,
    "DeviceInformation": device_information,
    "FunctionSetAssignments": function_set_assignments,
    "FunctionSetAssignmentsList": function_set_assignments_list,
    "DERProgram": der_program,
    "DERProgramList": der_program_list,
    "DERControl": der_control,
    "DERControlList": der_control_list,
    "DefaultDERControl": default_der_control,
    "DERCurve": der_curve,
    "DERCurveList": der_curve_list,
    "DER": der,
    "DERList": der_list,
    "DERCapability": der_capability,
    "DERSettings": der_settings,
    "DERStatus": der_status,
    "DERAvailability": der_availability,
    "MirrorUsagePoint": mirror_usage_point,
    "MirrorUsagePointList": mirror_usage_point_list,
    "MirrorMeterReading": mirror_meter_reading,
    "MirrorMeterReadingList": mirror_meter_reading_list,
    "MirrorReadingSet": mirror_reading_set,
    "Response": response,
    "ResponseList": response_list,
    "DERControlResponse": der_control_response,
    "LogEvent": log_event,
    "LogEventList": log_event_list,
    "Subscription": subscription,
    "SubscriptionList": subscription_list,
    "Notification": notification,
    "Error": error,
    "ConnectionPoint": connection_point,
}

__all__ = ["ALL_EXAMPLES", "LFDI", "LFDI_HEX", "NOW", "PEN", "SFDI", "csip_aus_limits", "mrid"]
__all__ += [f.__name__ for f in ALL_EXAMPLES.values()]
