"""EndDevice-side rows -> 2030.5 resources (DeviceCapability, Time, EndDevice, FSA, DER)."""

from __future__ import annotations

from collections.abc import Sequence

from openderms.schemas.sep2 import models as sep
from openderms.server.config import ServerSettings
from openderms.server.mappers.common import lfdi_bytes, mrid_type, time_type
from openderms.server.sep2 import uris
from openderms.server.store.models import EndDeviceRow, FunctionSetAssignmentsRow

__all__ = [
    "map_connection_point",
    "map_device_capability",
    "map_end_device",
    "map_end_device_list",
    "map_fsa",
    "map_fsa_list",
    "map_registration",
    "map_time",
]


def map_device_capability(*, poll_rate_s: int) -> sep.DeviceCapability:
    """The entry point every client starts from (IEEE 2030.5 §6.5.1)."""
    return sep.DeviceCapability(
        href=uris.DCAP,
        pollRate=poll_rate_s,
        TimeLink=sep.TimeLink(href=uris.TIME),
        EndDeviceListLink=sep.EndDeviceListLink(href=uris.EDEV_LIST),
        MirrorUsagePointListLink=sep.MirrorUsagePointListLink(href=uris.MUP_LIST),
    )


def map_time(settings: ServerSettings, now: int, *, poll_rate_s: int) -> sep.Time:
    """The Time resource at `now` [s]; localTime = now + tzOffset (+ dstOffset in DST)."""
    in_dst = settings.dst_start_time <= now < settings.dst_end_time
    local = now + settings.tz_offset_s + (settings.dst_offset_s if in_dst else 0)
    return sep.Time(
        href=uris.TIME,
        currentTime=time_type(now),
        dstEndTime=time_type(settings.dst_end_time),
        dstOffset=sep.TimeOffsetType(value=settings.dst_offset_s),
        dstStartTime=time_type(settings.dst_start_time),
        localTime=time_type(local),
        quality=settings.time_quality,
        tzOffset=sep.TimeOffsetType(value=settings.tz_offset_s),
        pollRate=poll_rate_s,
    )


def map_end_device(
    row: EndDeviceRow, *, post_rate_s: int, fsa_count: int, csip_aus: bool = True
) -> sep.EndDevice:
    """An EndDevice; ``csip_aus=False`` (a CSIP (US) server) leaves out the CSIP-AUS
    ConnectionPointLink, so a client parsing plain 2030.5-2018 strictly reads it."""
    assert row.id is not None
    return sep.EndDevice(
        href=uris.end_device(row.id),
        subscribable=0,
        lFDI=lfdi_bytes(row.lfdi),
        sFDI=sep.SFDIType(value=row.sfdi),
        deviceCategory=(
            None
            if row.device_category is None
            else sep.DeviceCategoryType(value=bytes.fromhex(row.device_category))
        ),
        changedTime=time_type(row.changed_time),
        enabled=row.enabled,
        postRate=post_rate_s,
        DERListLink=sep.DERListLink(href=uris.der_list(row.id), all=1),
        DeviceInformationLink=sep.DeviceInformationLink(href=uris.device_information(row.id)),
        FunctionSetAssignmentsListLink=sep.FunctionSetAssignmentsListLink(
            href=uris.fsa_list(row.id), all=fsa_count
        ),
        LogEventListLink=sep.LogEventListLink(href=uris.log_event_list(row.id)),
        RegistrationLink=(
            None
            if row.registration_pin is None
            else sep.RegistrationLink(href=uris.registration(row.id))
        ),
        ConnectionPointLink=(
            sep.ConnectionPointLink(href=uris.connection_point(row.id)) if csip_aus else None
        ),
        SubscriptionListLink=sep.SubscriptionListLink(href=uris.subscription_list(row.id)),
    )


def map_end_device_list(
    devices: Sequence[sep.EndDevice], *, total: int, poll_rate_s: int
) -> sep.EndDeviceList:
    return sep.EndDeviceList(
        href=uris.EDEV_LIST,
        all=total,
        results=len(devices),
        # Aggregators subscribe to learn of new EndDevices (issue 11 item 5).
        subscribable=1,
        pollRate=poll_rate_s,
        EndDevice=list(devices),
    )


def map_registration(row: EndDeviceRow, *, poll_rate_s: int) -> sep.Registration:
    assert row.id is not None and row.registration_pin is not None
    return sep.Registration(
        href=uris.registration(row.id),
        dateTimeRegistered=time_type(row.registered_time),
        pIN=sep.PINType(value=row.registration_pin),
        pollRate=poll_rate_s,
    )


def map_connection_point(row: EndDeviceRow) -> sep.ConnectionPoint:
    assert row.id is not None and row.connection_point_id is not None
    return sep.ConnectionPoint(
        href=uris.connection_point(row.id), connectionPointId=row.connection_point_id
    )


def map_fsa(
    row: FunctionSetAssignmentsRow, end_device_id: int, *, program_count: int
) -> sep.FunctionSetAssignments:
    assert row.id is not None
    return sep.FunctionSetAssignments(
        href=uris.fsa(end_device_id, row.id),
        subscribable=0,
        mRID=mrid_type(row.mrid),
        description=row.description or None,
        DERProgramListLink=sep.DERProgramListLink(
            href=uris.fsa_program_list(end_device_id, row.id), all=program_count
        ),
        TimeLink=sep.TimeLink(href=uris.TIME),
    )


def map_fsa_list(
    items: Sequence[sep.FunctionSetAssignments], *, total: int, href: str, poll_rate_s: int
) -> sep.FunctionSetAssignmentsList:
    return sep.FunctionSetAssignmentsList(
        href=href,
        all=total,
        results=len(items),
        subscribable=1,
        pollRate=poll_rate_s,
        FunctionSetAssignments=list(items),
    )
