"""Telemetry snapshots of a site: per-device readings and site totals. Pure data.

Powers follow the envelope's conventions (:mod:`openderms.client.devices.capabilities`):
site power positive importing; DER power positive generating or discharging.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from openderms.client.devices.kinds import DeviceKind

__all__ = ["CapabilityValue", "DeviceTelemetry", "SiteTelemetry"]

CapabilityValue = float | bool | int | None


@dataclass(frozen=True, slots=True)
class DeviceTelemetry:
    """One device's readings, or why there are none."""

    name: str
    kind: DeviceKind
    values: Mapping[str, CapabilityValue] = field(default_factory=dict)
    error: str | None = None

    def get(self, capability: str) -> float | None:
        value = self.values.get(capability)
        return (
            float(value)
            if isinstance(value, int | float) and not isinstance(value, bool)
            else None
        )


@dataclass(frozen=True, slots=True)
class SiteTelemetry:
    """A snapshot of the site. Powers in the envelope's conventions (see capabilities)."""

    now: float
    devices: Mapping[str, DeviceTelemetry]

    def _sum(self, kind: DeviceKind, capability: str) -> float | None:
        values = [d.get(capability) for d in self.devices.values() if d.kind == kind]
        known = [v for v in values if v is not None]
        return sum(known) if known else None

    @property
    def site_power_w(self) -> float | None:
        """At the connection point from the site meter, + import [W]; None without a meter."""
        return self._sum(DeviceKind.METER, "active_power_w")

    @property
    def pv_power_w(self) -> float | None:
        """PV generation [W]."""
        return self._sum(DeviceKind.PV, "active_power_w")

    @property
    def battery_power_w(self) -> float | None:
        """Battery power, + discharging [W]."""
        return self._sum(DeviceKind.BATTERY, "active_power_w")

    @property
    def voltage_v(self) -> float | None:
        for kind in (DeviceKind.METER, DeviceKind.PV, DeviceKind.BATTERY):
            for d in self.devices.values():
                if d.kind == kind and d.get("voltage_v") is not None:
                    return d.get("voltage_v")
        return None

    @property
    def frequency_hz(self) -> float | None:
        for kind in (DeviceKind.METER, DeviceKind.PV):
            for d in self.devices.values():
                if d.kind == kind and d.get("frequency_hz") is not None:
                    return d.get("frequency_hz")
        return None

    @property
    def errors(self) -> dict[str, str]:
        return {name: d.error for name, d in self.devices.items() if d.error}

    @property
    def battery_soc_pct(self) -> float | None:
        """State of charge of all batteries, weighted by capacity when known [%]."""
        rows = [
            (d.get("soc_pct"), d.get("capacity_wh") or 1.0)
            for d in self.devices.values()
            if d.kind == DeviceKind.BATTERY and d.get("soc_pct") is not None
        ]
        if not rows:
            return None
        total = sum(w for _, w in rows)
        return sum((soc or 0.0) * w for soc, w in rows) / total

    @property
    def energy_imported_wh(self) -> float | None:
        """Site meter's lifetime import [Wh]."""
        return self._sum(DeviceKind.METER, "energy_imported_wh")

    @property
    def energy_exported_wh(self) -> float | None:
        """Site meter's lifetime export [Wh]."""
        return self._sum(DeviceKind.METER, "energy_exported_wh")

    def der_power_w(self) -> dict[str, float | None]:
        """Active power of every device that is not the meter, by name [W]."""
        return {
            n: d.get("active_power_w")
            for n, d in self.devices.items()
            if d.kind != DeviceKind.METER
        }
