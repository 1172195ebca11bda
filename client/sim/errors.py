"""Typed errors of the device simulator."""

from __future__ import annotations

__all__ = ["RegisterAccessError", "SimConfigError", "SimError"]


class SimError(Exception):
    """Base of the simulator's errors."""


class RegisterAccessError(SimError):
    """A request touched an address the simulated device does not have, or wrote a read-only
    register; the server answers with Modbus exception 2 (illegal data address)."""


class SimConfigError(SimError, ValueError):
    """The simulator configuration is invalid; the message names the key."""
