"""The runtime's :class:`~openderms.client.runtime.site.SiteIO` over real devices.

Reads go through :class:`openderms.client.devices.Site`, limits through
:class:`openderms.client.dispatch.Dispatcher`; this module only translates their results
into what the 2030.5 side posts (mirror samples, DER facts, faults).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from openderms.client.devices import DeviceTelemetry, Site, SiteTelemetry
from openderms.client.dispatch.dispatcher import Dispatcher
from openderms.client.dispatch.report import CommandStatus
from openderms.client.envelope import EnvelopeLimits
from openderms.client.runtime.site import DeviceFault, SiteReading
from openderms.client.sep2.messages import DerFacts
from openderms.client.sep2.readings import MeterSample
from openderms.schemas.sep2.enums import DERType

__all__ = ["DevicesSite"]

log = logging.getLogger(__name__)

_DER_TYPES = {"pv": DERType.PHOTOVOLTAIC, "battery": DERType.OTHER_STORAGE}
"""Device kinds that are DERs in the 2030.5 sense (they can deliver power to the grid)."""
_FAILED = frozenset({CommandStatus.FAILED, CommandStatus.NOT_VERIFIED})


def _sample(mirror: str, device: DeviceTelemetry, now: float) -> MeterSample:
    return MeterSample(
        mirror=mirror,
        time_s=now,
        power_w=device.get("active_power_w"),
        reactive_power_var=device.get("reactive_power_var"),
        voltage_v=device.get("voltage_v"),
        frequency_hz=device.get("frequency_hz"),
        energy_import_wh=device.get("energy_imported_wh"),
        energy_export_wh=device.get("energy_exported_wh"),
        soc_pct=device.get("soc_pct"),
    )


def _facts(kind: str, device: DeviceTelemetry) -> DerFacts:
    connected = device.values.get("connected")
    power_w = device.get("active_power_w")
    rated_w = device.get("rated_power_w") or device.get("max_discharge_w") or 0.0
    return DerFacts(
        der_type=_DER_TYPES[kind],
        rated_w=rated_w,
        rated_wh=device.get("capacity_wh"),
        max_charge_w=device.get("max_charge_w"),
        connected=connected if isinstance(connected, bool) else None,
        faulted=device.error is not None,
        available_w=(device.get("max_discharge_w") if kind == "battery" else power_w),
        soc_pct=device.get("soc_pct"),
    )


def site_reading(telemetry: SiteTelemetry, kinds: Mapping[str, str]) -> SiteReading:
    """Mirror samples, DER facts and faults from one telemetry snapshot (pure).

    The site mirror takes the meter's readings; without a meter it carries voltage and
    frequency only. Every device gets its own ``der:<name>`` mirror.
    """
    now = telemetry.now
    samples: list[MeterSample] = []
    meters = [d for d in telemetry.devices.values() if kinds[d.name] == "meter" and not d.error]
    if meters:
        site = _sample("site", meters[0], now)
    else:
        site = MeterSample(
            mirror="site",
            time_s=now,
            voltage_v=telemetry.voltage_v,
            frequency_hz=telemetry.frequency_hz,
        )
    samples.append(site)
    facts: dict[str, DerFacts] = {}
    for name, device in telemetry.devices.items():
        kind = kinds[name]
        if kind in _DER_TYPES:
            facts[name] = _facts(kind, device)
        if device.error is None and kind != "meter":
            samples.append(_sample(f"der:{name}", device, now))
    faults = [DeviceFault(name, message) for name, message in telemetry.errors.items()]
    return SiteReading(samples=samples, facts=facts, faults=faults)


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

    def _kinds(self) -> dict[str, str]:
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
