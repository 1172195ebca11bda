"""A whole simulated site, stepped by a clock. Pure: ``step(now)`` is the only way time moves.

Each step: the PV inverter, EV charger and heat pump move first; the battery then sees the
site power without itself (self-consumption); the meter sums the site at the connection
point: house load + charger + heat pump - PV - battery, positive importing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openderms.client.devices.device_map import load_map_ref
from openderms.client.devices.kinds import DeviceKind
from openderms.client.devices.sunspec import ModelBlock
from openderms.client.sim.config import SimConfig, SimDeviceConfig
from openderms.client.sim.devices import (
    BATTERY_MODELS,
    INVERTER_MODELS,
    METER_MODELS,
    SimBattery,
    SimCharger,
    SimHeatPump,
    SimInverter,
    SimMeter,
)
from openderms.client.sim.errors import SimConfigError
from openderms.client.sim.physics import house_load_w
from openderms.client.sim.registers import RegisterImage, SunSpecRegisters

__all__ = ["PHYSICS", "SimDevice", "SimSite", "SiteState"]

SimDevice = SimInverter | SimBattery | SimMeter | SimCharger | SimHeatPump


@dataclass(frozen=True, slots=True)
class SiteState:
    """Powers after one step [W]; DER powers are positive when generating."""

    now: float
    site_w: float
    """At the connection point, positive importing."""
    house_w: float
    pv_w: float
    battery_w: float
    """Positive discharging."""
    charger_w: float
    heatpump_w: float


def _inverter(device: SimDeviceConfig, start: float, utc_offset_h: float) -> SimDevice:
    p: dict[str, Any] = dict(device.params)
    return SimInverter(
        rated_w=p.get("rated_w", 10000.0),
        start=start,
        peak_w=p.get("peak_w"),
        utc_offset_h=utc_offset_h,
        models=tuple(p.get("models", INVERTER_MODELS)),
        serial=p.get("serial", f"SIM-{device.name}"),
    )


def _battery(device: SimDeviceConfig, start: float, utc_offset_h: float) -> SimDevice:
    p: dict[str, Any] = dict(device.params)
    return SimBattery(
        capacity_wh=p.get("capacity_wh", 13500.0),
        max_charge_w=p.get("max_charge_w", 5000.0),
        max_discharge_w=p.get("max_discharge_w", 5000.0),
        soc_pct=p.get("soc_pct", 50.0),
        start=start,
        soc_min_pct=p.get("soc_min_pct", 5.0),
        soc_max_pct=p.get("soc_max_pct", 100.0),
        models=tuple(p.get("models", BATTERY_MODELS)),
        serial=p.get("serial", f"SIM-{device.name}"),
    )


def _meter(device: SimDeviceConfig, start: float, utc_offset_h: float) -> SimDevice:
    p: dict[str, Any] = dict(device.params)
    return SimMeter(
        start,
        models=tuple(p.get("models", METER_MODELS)),
        serial=p.get("serial", f"SIM-{device.name}"),
    )


def _charger(device: SimDeviceConfig, start: float, utc_offset_h: float) -> SimDevice:
    p: dict[str, Any] = dict(device.params)
    return SimCharger(
        start,
        max_current_a=p.get("max_current_a", 16.0),
        phases=p.get("phases", 3),
        fallback_current_a=p.get("fallback_current_a", 6.0),
        car_connected=p.get("car_connected", True),
        device_map=load_map_ref(device.map_name),
    )


def _heat_pump(device: SimDeviceConfig, start: float, utc_offset_h: float) -> SimDevice:
    p: dict[str, Any] = dict(device.params)
    return SimHeatPump(
        start,
        nominal_w=p.get("nominal_w", 2000.0),
        max_w=p.get("max_w", 4000.0),
        device_map=load_map_ref(device.map_name),
    )


PHYSICS: dict[DeviceKind, Callable[[SimDeviceConfig, float, float], SimDevice]] = {
    DeviceKind.PV: _inverter,
    DeviceKind.BATTERY: _battery,
    DeviceKind.METER: _meter,
    DeviceKind.EV_CHARGER: _charger,
    DeviceKind.HEAT_PUMP: _heat_pump,
}
"""The physics of each kind of device: a new kind adds one entry (and a class in
:mod:`.devices`); a new device of a known kind is only a map."""


class SimSite:
    """The devices of a :class:`SimConfig` and the house load between them."""

    def __init__(self, config: SimConfig, start: float) -> None:
        self.config = config
        self.devices: dict[str, SimDevice] = {
            d.name: PHYSICS[d.kind](d, start, config.utc_offset_h) for d in config.devices
        }
        meters = [d for d in self.devices.values() if isinstance(d, SimMeter)]
        if len(meters) > 1:
            raise SimConfigError("device: at most one meter (the site meter) is supported")
        self.state = SiteState(start, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        self.house_offset_w = 0.0
        """Extra house load on top of the profile [W]; tests set it to shape a scenario."""
        self.step(start)

    def registers(self, name: str) -> RegisterImage:
        """The register image of device ``name`` (what its Modbus server serves)."""
        return self.devices[name].regs

    def block(self, name: str, model_id: int) -> ModelBlock:
        """SunSpec model ``model_id`` of device ``name`` (for inspection in tests and demos)."""
        regs = self.devices[name].regs
        if not isinstance(regs, SunSpecRegisters) or model_id not in regs.blocks:
            raise KeyError(f"{name} has no SunSpec model {model_id}")
        return regs.blocks[model_id]

    def _of(self, kind: type[Any]) -> list[Any]:
        return [d for d in self.devices.values() if isinstance(d, kind)]

    def step(self, now: float) -> SiteState:
        """Advance every device to ``now`` [s since epoch]; writes take effect here."""
        house = self.house_offset_w + house_load_w(
            now,
            self.config.house_base_w,
            self.config.house_evening_peak_w,
            self.config.utc_offset_h,
        )
        pv = sum(d.step(now) for d in self._of(SimInverter))
        charger = sum(d.step(now) for d in self._of(SimCharger))
        heatpump = sum(d.step(now) for d in self._of(SimHeatPump))
        without_battery = house + charger + heatpump - pv
        battery = 0.0
        for bat in self._of(SimBattery):
            battery += bat.step(now, without_battery - battery)
        site = without_battery - battery
        for meter in self._of(SimMeter):
            meter.step(now, site)
        self.state = SiteState(now, site, house, pv, battery, charger, heatpump)
        return self.state
