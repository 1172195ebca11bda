"""What clients read of the DeviceCapability and Time function sets: the walk's start."""

from __future__ import annotations

from sqlmodel import Session

from openderms.schemas.sep2 import models as sep
from openderms.server.mappers.dcap import map_device_capability, map_time
from openderms.server.scope import ServiceContext
from openderms.server.services.rates import resource_poll_rate_s, server_poll_rate_s

__all__ = ["get_device_capability", "get_time"]


def get_device_capability(session: Session, ctx: ServiceContext) -> sep.DeviceCapability:
    return map_device_capability(poll_rate_s=resource_poll_rate_s(session, ctx.settings, "dcap"))


def get_time(session: Session, ctx: ServiceContext) -> sep.Time:
    return map_time(ctx.settings, ctx.now, poll_rate_s=server_poll_rate_s(session, ctx.settings))
