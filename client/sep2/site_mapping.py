"""The site boundary's SI readings as 2030.5 sees them: mirrors and DER facts. Pure.

The connection point is mirrored as ``"site"`` and each device as ``"der:<name>"``
(:mod:`openderms.client.sep2.readings` builds the MirrorUsagePoints); PV inverters and
batteries are DERs in the 2030.5 sense (they can deliver power to the grid) and get
DERCapability/Settings/Status/Availability from their :class:`DerFacts`.
"""

from __future__ import annotations

from openderms.client.devices.kinds import DeviceKind
from openderms.client.readings import DeviceReading, Sample, SiteReading
from openderms.client.sep2.messages import DerFacts
from openderms.client.sep2.readings import MeterSample
from openderms.schemas.sep2.enums import DERType

__all__ = [
    "DER_TYPES",
    "SITE_MIRROR",
    "der_facts",
    "device_of_mirror",
    "meter_sample",
    "mirror_of",
]

SITE_MIRROR = "site"
"""The mirror of the connection point."""
_DER_PREFIX = "der:"
DER_TYPES: dict[DeviceKind, DERType] = {
    DeviceKind.PV: DERType.PHOTOVOLTAIC,
    DeviceKind.BATTERY: DERType.OTHER_STORAGE,
}
"""Device kinds that are DERs in the 2030.5 sense, and their DERType (sep.xsd)."""


def mirror_of(device: str | None) -> str:
    """The mirror name of a device (None: the connection point)."""
    return SITE_MIRROR if device is None else f"{_DER_PREFIX}{device}"


def device_of_mirror(mirror: str) -> str | None:
    """Inverse of :func:`mirror_of`."""
    return None if mirror == SITE_MIRROR else mirror.removeprefix(_DER_PREFIX)


def meter_sample(sample: Sample) -> MeterSample:
    """One SI sample as the measurements of its mirror."""
    return MeterSample(
        mirror=mirror_of(sample.device),
        time_s=sample.time_s,
        power_w=sample.power_w,
        reactive_power_var=sample.reactive_power_var,
        voltage_v=sample.voltage_v,
        frequency_hz=sample.frequency_hz,
        energy_import_wh=sample.energy_import_wh,
        energy_export_wh=sample.energy_export_wh,
        soc_pct=sample.soc_pct,
    )


def _facts(device: DeviceReading) -> DerFacts:
    return DerFacts(
        der_type=DER_TYPES[device.kind],
        rated_w=device.rated_power_w or device.max_discharge_w or 0.0,
        rated_wh=device.capacity_wh,
        max_charge_w=device.max_charge_w,
        connected=device.connected,
        faulted=device.faulted,
        available_w=(
            device.max_discharge_w if device.kind == DeviceKind.BATTERY else device.power_w
        ),
        soc_pct=device.soc_pct,
    )


def der_facts(reading: SiteReading) -> dict[str, DerFacts]:
    """The DER facts of every device that is a DER, by device name."""
    return {d.name: _facts(d) for d in reading.devices if d.kind in DER_TYPES}
