"""The runtime's :class:`~openderms.client.runtime.site.SiteIO` over real devices.

Reads go through :class:`openderms.client.devices.Site`, limits through
:class:`openderms.client.dispatch.Dispatcher`; this module only translates their results
into the site boundary's SI readings and faults (the protocol sessions map them further).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from openderms.client.devices import DeviceKind, DeviceTelemetry, Site, SiteTelemetry
from openderms.client.dispatch.dispatcher import Dispatcher
from openderms.client.dispatch.report import CommandStatus
from openderms.client.envelope import EnvelopeLimits
from openderms.client.readings import DeviceReading
from openderms.client.runtime.site import DeviceFault, SiteReading

__all__ = ["DevicesSite", "site_reading"]

log = logging.getLogger(__name__)

_FAILED = frozenset({CommandStatus.FAILED, CommandStatus.NOT_VERIFIED})


def device_reading(kind: DeviceKind, device: DeviceTelemetry) -> DeviceReading:
    """One device's telemetry in SI units (pure)."""
    connected = device.values.get("connected")
    return DeviceReading(
        name=device.name,
        kind=kind,
        power_w=device.get("active_power_w"),
        reactive_power_var=device.get("reactive_power_var"),
        voltage_v=device.get("voltage_v"),
        frequency_hz=device.get("frequency_hz"),
        energy_import_wh=device.get("energy_imported_wh"),
        energy_export_wh=device.get("energy_exported_wh"),
        soc_pct=device.get("soc_pct"),
        rated_power_w=device.get("rated_power_w"),
        capacity_wh=device.get("capacity_wh"),
        max_charge_w=device.get("max_charge_w"),
        max_discharge_w=device.get("max_discharge_w"),
        connected=connected if isinstance(connected, bool) else None,
        faulted=device.error is not None,
    )


def site_reading(telemetry: SiteTelemetry, kinds: Mapping[str, DeviceKind]) -> SiteReading:
    """The site's reading in SI units from one telemetry snapshot (pure)."""
    return SiteReading(
        time_s=telemetry.now,
        devices=tuple(
            device_reading(DeviceKind(kinds[name]), device)
            for name, device in telemetry.devices.items()
        ),
        voltage_v=telemetry.voltage_v,
        frequency_hz=telemetry.frequency_hz,
        faults=[DeviceFault(name, message) for name, message in telemetry.errors.items()],
    )


class DevicesSite:
    """Devices and dispatcher behind the :class:`SiteIO` protocol.

    Parameters
    ----------
    site : Site
    dispatcher : Dispatcher
    """

    def __init__(self, site: Site, dispatcher: Dispatcher) -> None:
        self.site = site
        self.dispatcher = dispatcher

    @classmethod
    def from_config(
        cls, devices: Sequence[Mapping[str, Any]], *, revert_s: float | None = None
    ) -> DevicesSite:
        """From the ``[[devices]]`` entries of the gateway config."""
        site = Site.from_config({"devices": list(devices)})
        dispatcher = Dispatcher(site) if revert_s is None else Dispatcher(site, revert_s=revert_s)
        return cls(site, dispatcher)

    def _kinds(self) -> dict[str, DeviceKind]:
        return {name: self.site.kind(name) for name in self.site.drivers}

    async def read(self, now: float) -> SiteReading:
        """Read every device [now: s since epoch]."""
        return site_reading(await self.site.read_telemetry(now), self._kinds())

    async def apply(self, limits: EnvelopeLimits, now: float) -> list[DeviceFault]:
        """Dispatch ``limits``; devices whose writes failed or could not be read are faults."""
        report = await self.dispatcher.apply(limits, now)
        faults = {name: message for name, message in report.device_errors.items()}
        for result in report.results:
            if result.status in _FAILED:
                device = result.command.device
                faults.setdefault(
                    device,
                    f"{result.command.capability}: {result.error or result.status.value}",
                )
        for unmet in report.unmet:
            log.warning("limit %s not honoured: %s", unmet.field, unmet.reason)
        return [DeviceFault(name, message) for name, message in sorted(faults.items())]

    async def close(self) -> None:
        """Close every device link."""
        await self.site.close()
