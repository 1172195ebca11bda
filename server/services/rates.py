"""pollRate and postRate: per server (config, overridable at run time) and per EndDevice."""

from __future__ import annotations

from sqlmodel import Session

from openderms.server.config import ServerSettings
from openderms.server.store.crud.settings import get_int_setting
from openderms.server.store.models import EndDeviceRow

__all__ = [
    "POLL_RATE_SETTING",
    "POST_RATE_SETTING",
    "device_poll_rate_s",
    "device_post_rate_s",
    "server_poll_rate_s",
    "server_post_rate_s",
]

POLL_RATE_SETTING = "poll_rate_s"
POST_RATE_SETTING = "post_rate_s"


def server_poll_rate_s(session: Session, settings: ServerSettings) -> int:
    """The server-wide pollRate [s]: the admin's override, else the config's."""
    value = get_int_setting(session, POLL_RATE_SETTING)
    return settings.poll_rate_s if value is None else value


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
