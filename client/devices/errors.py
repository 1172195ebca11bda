"""Typed errors of the device layer (codec, maps, Modbus transport, drivers)."""

from __future__ import annotations

__all__ = [
    "CodecError",
    "DeviceError",
    "DeviceIOError",
    "DiscoveryError",
    "MapError",
    "UnsupportedCapabilityError",
    "WriteVerifyError",
]


class DeviceError(Exception):
    """Base of every error raised by :mod:`openderms.client.devices`."""


class CodecError(DeviceError, ValueError):
    """A value cannot be encoded into, or decoded from, SunSpec registers."""


class MapError(DeviceError, ValueError):
    """A device register map is invalid; the message names the offending key."""


class DiscoveryError(DeviceError):
    """No SunSpec marker was found, or the model chain is malformed."""


class DeviceIOError(DeviceError):
    """A Modbus request failed: timeout, connection loss or an exception response."""

    def __init__(self, message: str, exception_code: int | None = None) -> None:
        super().__init__(message)
        self.exception_code = exception_code
        """Modbus exception code when the device answered with one; None for timeouts and
        connection failures."""


class UnsupportedCapabilityError(DeviceError):
    """The device's map (or its discovered models) does not provide a capability."""


class WriteVerifyError(DeviceError):
    """A written value did not read back as written."""
