"""The kinds of device a site has. Pure.

A device map's ``kind`` is one of these values; the dispatcher's policy, the telemetry
totals, the optimizer's inputs and the simulator's physics are chosen by it.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DeviceKind"]


class DeviceKind(StrEnum):
    """What a device is, as a map's ``kind`` spells it (a ``str``: YAML and JSON carry it
    as is)."""

    PV = "pv"
    BATTERY = "battery"
    METER = "meter"
    """The site meter at the connection point."""
    EV_CHARGER = "evcharger"
    HEAT_PUMP = "heatpump"
