"""The site boundary's SI readings mapped to 2030.5: mirrors per device, DER facts."""

from __future__ import annotations

from openderms.client.devices import DeviceKind
from openderms.client.readings import DeviceReading, Sample, SiteReading
from openderms.client.sep2.site_mapping import der_facts, device_of_mirror, meter_sample, mirror_of
from openderms.schemas.sep2.enums import DERType


def _reading(*devices: DeviceReading) -> SiteReading:
    return SiteReading(time_s=100.0, devices=devices, voltage_v=231.0, frequency_hz=50.01)


def test_connection_point_is_the_site_mirror_and_each_device_its_own() -> None:
    """Site mirror from the meter; every answering non-meter device gets ``der:<name>``."""
    reading = _reading(
        DeviceReading("meter", DeviceKind.METER, power_w=-1200.0, voltage_v=240.0),
        DeviceReading("pv", DeviceKind.PV, power_w=3000.0),
        DeviceReading("battery", DeviceKind.BATTERY, faulted=True),
    )

    mirrored = [meter_sample(s) for s in reading.samples()]

    assert [(m.mirror, m.power_w, m.voltage_v) for m in mirrored] == [
        ("site", -1200.0, 240.0),
        ("der:pv", 3000.0, None),
    ]
    assert [device_of_mirror(mirror_of(d)) for d in (None, "pv")] == [None, "pv"]


def test_without_a_meter_the_site_mirror_carries_voltage_and_frequency() -> None:
    [site] = _reading().samples()

    assert site == Sample(device=None, time_s=100.0, voltage_v=231.0, frequency_hz=50.01)


def test_pv_and_batteries_are_ders_with_their_2030_5_type() -> None:
    """DERType (sep.xsd): 4 photovoltaic, 80 other storage; meters and chargers are none."""
    facts = der_facts(
        _reading(
            DeviceReading("pv", DeviceKind.PV, power_w=2500.0, rated_power_w=6000.0),
            DeviceReading(
                "battery", DeviceKind.BATTERY, capacity_wh=13500.0, max_discharge_w=5000.0
            ),
            DeviceReading("ev", DeviceKind.EV_CHARGER, power_w=-7000.0),
            DeviceReading("meter", DeviceKind.METER),
        )
    )

    assert set(facts) == {"pv", "battery"}
    assert (facts["pv"].der_type, facts["pv"].rated_w, facts["pv"].available_w) == (
        DERType.PHOTOVOLTAIC,
        6000.0,
        2500.0,
    )
    assert (facts["battery"].der_type, facts["battery"].rated_w) == (DERType.OTHER_STORAGE, 5000.0)
    assert facts["battery"].available_w == 5000.0
