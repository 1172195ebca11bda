"""The DeviceCapability and Time function sets' resources (pure; ``now`` passed in)."""

from __future__ import annotations

from openderms.schemas.sep2 import models as sep
from openderms.server import uris
from openderms.server.config import ServerSettings
from openderms.server.mappers.common import time_type

__all__ = ["map_device_capability", "map_time"]


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
