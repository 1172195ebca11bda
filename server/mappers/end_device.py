"""EndDevice rows -> 2030.5 EndDevice(List), Registration and ConnectionPoint."""

from __future__ import annotations

from collections.abc import Sequence

from openderms.schemas.sep2 import models as sep
from openderms.server import uris
from openderms.server.mappers.common import lfdi_bytes, time_type
from openderms.server.store.models import EndDeviceRow

__all__ = [
    "map_connection_point",
    "map_end_device",
    "map_end_device_list",
    "map_registration",
]


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
