"""pollRate and postRate: per server (config, overridable at run time) and per EndDevice."""

from __future__ import annotations

from sqlmodel import Session

from openderms.server.config import ServerSettings
from openderms.server.store.crud.settings import get_int_setting
from openderms.server.store.models import EndDeviceRow

__all__ = [
    "POLLED_RESOURCES",
    "POLL_RATE_SETTING",
    "POST_RATE_SETTING",
    "device_poll_rate_s",
    "device_post_rate_s",
    "resource_poll_rate_s",
    "resource_poll_setting",
    "server_poll_rate_s",
    "server_post_rate_s",
]

POLL_RATE_SETTING = "poll_rate_s"
POST_RATE_SETTING = "post_rate_s"


def server_poll_rate_s(session: Session, settings: ServerSettings) -> int:
    """The server-wide pollRate [s]: the admin's override, else the config's."""
    value = get_int_setting(session, POLL_RATE_SETTING)
    return settings.poll_rate_s if value is None else value


#: The list resources whose pollRate an admin may set on its own (issue 11 item 9):
#: short name -> the 2030.5 resource.
POLLED_RESOURCES: dict[str, str] = {
    "dcap": "DeviceCapability",
    "edev": "EndDeviceList",
    "mup": "MirrorUsagePointList",
    "fsa": "FunctionSetAssignmentsList",
    "derp": "DERProgramList",
    "der": "DERList",
}


def resource_poll_setting(resource: str) -> str:
    """The settings key of one resource's pollRate."""
    if resource not in POLLED_RESOURCES:
        raise ValueError(f"no per-resource pollRate for {resource!r}")
    return f"{POLL_RATE_SETTING}:{resource}"


def resource_poll_rate_s(
    session: Session, settings: ServerSettings, resource: str, device: EndDeviceRow | None = None
) -> int:
    """pollRate of one resource [s]: the device's own override (lists under an EndDevice),
    else the resource's, else the server's."""
    if device is not None and device.poll_rate_s is not None:
        return device.poll_rate_s
    value = get_int_setting(session, resource_poll_setting(resource))
    return server_poll_rate_s(session, settings) if value is None else value


def server_post_rate_s(session: Session, settings: ServerSettings) -> int:
    value = get_int_setting(session, POST_RATE_SETTING)
    return settings.post_rate_s if value is None else value


def device_poll_rate_s(session: Session, settings: ServerSettings, device: EndDeviceRow) -> int:
    """pollRate of lists under one EndDevice [s]: its own override, else the server's."""
    if device.poll_rate_s is not None:
        return device.poll_rate_s
    return server_poll_rate_s(session, settings)


def device_post_rate_s(session: Session, settings: ServerSettings, device: EndDeviceRow) -> int:
    if device.post_rate_s is not None:
        return device.post_rate_s
    return server_post_rate_s(session, settings)
