"""What the gateway posts: mirrors and readings, Responses, LogEvents, DER resources.

Each object is encoded and decoded through the hardened codec, which validates ranges
and lengths against sep.xsd: what the gateway sends is what the standard allows.
"""

from __future__ import annotations

from typing import Any

from openderms.client.sep2 import messages, readings
from openderms.client.sep2.readings import MeterSample
from openderms.schemas.sep2 import codec
from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.enums import ConnectStatus, DERType, ResponseStatus

LFDI = "3E4F45AB31EDFE5B67E343E5E4562E31984E23E5"


def roundtrip(obj: Any) -> Any:
    return codec.decode(codec.encode(obj), type(obj))


def test_site_mirror_is_a_premises_aggregation_point() -> None:
    """roleFlags bit 0 isMirror, bit 1 isPremisesAggregationPoint (sep.xsd RoleFlagsType)."""
    mup = roundtrip(
        readings.mirror_usage_point(LFDI, "site", quantities=["power_w"], post_rate_s=60)
    )
    flags = int.from_bytes(mup.roleFlags.value, "big")
    assert flags == 0b11
    assert bytes(mup.deviceLFDI).hex().upper() == LFDI
    assert mup.postRate == 60


def test_der_mirror_is_a_der_submeter() -> None:
    """isMirror, isDER (bit 3) and isSubmeter (bit 6)."""
    mup = roundtrip(readings.mirror_usage_point(LFDI, "der:battery", quantities=["soc_pct"]))
    assert int.from_bytes(mup.roleFlags.value, "big") == (1 | 1 << 3 | 1 << 6)


def test_creating_mirror_carries_its_meter_readings_and_reading_types() -> None:
    """Issue 11 item 18, IEEE 2030.5-2018 §10.11.3: the creating POST carries each
    MirrorMeterReading with its mRID and ReadingType, the same mRIDs the readings use."""
    sample = MeterSample(mirror="site", time_s=1_700_000_000, power_w=-350.0, voltage_v=240.0)
    quantities = readings.quantities_of([sample])
    mup = roundtrip(readings.mirror_usage_point(LFDI, "site", quantities=quantities))
    batch = readings.mirror_meter_reading_list(LFDI, [sample])
    assert quantities == ["power_w", "voltage_v"]
    assert [m.description for m in mup.MirrorMeterReading] == quantities
    assert [bytes(m.mRID.value) for m in mup.MirrorMeterReading] == [
        bytes(m.mRID.value) for m in batch.MirrorMeterReading
    ]
    assert all(m.ReadingType is not None for m in mup.MirrorMeterReading)
    assert all(m.MirrorReadingSet == [] and m.Reading is None for m in mup.MirrorMeterReading)


def test_mirror_mrid_is_stable_across_restarts_and_distinct_per_mirror() -> None:
    assert readings.mirror_mrid(LFDI, "site") == readings.mirror_mrid(LFDI, "site")
    assert readings.mirror_mrid(LFDI, "site") != readings.mirror_mrid(LFDI, "der:pv")
    assert len(readings.mirror_mrid(LFDI, "site")) == 16


def test_readings_scale_by_power_of_ten_and_skip_missing_quantities() -> None:
    sample = MeterSample(mirror="site", time_s=1_700_000_000.4, power_w=-3512.6, voltage_v=241.37)
    batch = roundtrip(readings.mirror_meter_reading_list(LFDI, [sample]))
    by_name = {m.description: m for m in batch.MirrorMeterReading}
    assert set(by_name) == {"power_w", "voltage_v"}
    power = by_name["power_w"]
    (reading,) = power.MirrorReadingSet[0].Reading
    assert reading.value == -3513
    assert power.ReadingType.uom.value == 38  # W
    assert power.ReadingType.flowDirection.value == 1  # site: positive imports
    assert reading.timePeriod.start.value == 1_700_000_000
    voltage = by_name["voltage_v"]
    assert voltage.MirrorReadingSet[0].Reading[0].value == 2414  # 241.4 V at 10^-1
    assert voltage.ReadingType.powerOfTenMultiplier.value == -1


def test_buffered_samples_keep_their_own_times_in_one_post() -> None:
    """Readings taken during a comms loss are posted later with the times they were taken."""
    samples = [
        MeterSample(mirror="site", time_s=1000.0 + 60 * i, power_w=100.0 * i) for i in range(4)
    ]
    batch = roundtrip(readings.mirror_meter_reading_list(LFDI, samples))
    (power,) = batch.MirrorMeterReading
    reading_set = power.MirrorReadingSet[0]
    assert [r.timePeriod.start.value for r in reading_set.Reading] == [1000, 1060, 1120, 1180]
    assert [r.value for r in reading_set.Reading] == [0, 100, 200, 300]
    assert (reading_set.timePeriod.start.value, reading_set.timePeriod.duration) == (1000, 180)


def test_der_power_is_signed_as_generation() -> None:
    sample = MeterSample(mirror="der:pv", time_s=0.0, power_w=4000.0)
    (mmr,) = readings.mirror_meter_reading_list(LFDI, [sample]).MirrorMeterReading
    assert mmr.ReadingType.flowDirection.value == 19  # reverse: received from customer


def test_sample_survives_json() -> None:
    sample = MeterSample(mirror="der:bat", time_s=5.0, soc_pct=55.5, energy_import_wh=12.0)
    assert MeterSample.from_json(sample.to_json()) == sample


def test_der_control_response_quotes_subject_and_lfdi() -> None:
    response = roundtrip(
        messages.der_control_response(
            reply_to_subject_mrid_hex="0A" * 16,
            lfdi_hex=LFDI,
            status=ResponseStatus.EVENT_STARTED,
            now=1_700_000_123.9,
        )
    )
    assert isinstance(response, sep.DERControlResponse)
    assert bytes(response.subject.value) == bytes.fromhex("0A" * 16)
    assert response.status == 2
    assert response.createdDateTime.value == 1_700_000_123


def test_log_event_fits_the_schema() -> None:
    event = roundtrip(
        messages.log_event(
            code=messages.LogEventCode.DEVICE_FAULT,
            event_id=70_000,
            details="inverter-1: connection reset by peer while writing",
            now=10.0,
        )
    )
    assert event.functionSet == 11  # DER function set
    assert event.logEventID == 70_000 % 65536
    assert len(event.details) <= 32


def test_der_resources_encode_storage_facts() -> None:
    facts = messages.DerFacts(
        der_type=DERType.OTHER_STORAGE,
        rated_w=5000.0,
        rated_wh=13_500.0,
        max_charge_w=5000.0,
        connected=True,
        available_w=4000.0,
        soc_pct=62.5,
    )
    capability = roundtrip(messages.der_capability(facts))
    assert capability.type_value.value == DERType.OTHER_STORAGE
    assert capability.rtgMaxW.value * 10**capability.rtgMaxW.multiplier.value == 5000
    status = roundtrip(messages.der_status(facts, now=99.0))
    assert status.stateOfChargeStatus.value.value == 6250  # hundredths of a percent
    connect = int.from_bytes(status.storConnectStatus.value, "big")
    assert connect & ConnectStatus.CONNECTED and connect & ConnectStatus.OPERATING
    assert status.genConnectStatus is None
    roundtrip(messages.der_settings(facts, set_grad_w=0, now=99.0))
    availability = roundtrip(messages.der_availability(facts, now=99.0))
    assert availability.statWAvail.value == 4000


def test_faulted_der_reports_fault() -> None:
    facts = messages.DerFacts(
        der_type=DERType.PHOTOVOLTAIC, rated_w=6000, connected=False, faulted=True
    )
    status = roundtrip(messages.der_status(facts, now=1.0))
    assert int.from_bytes(status.genConnectStatus.value, "big") & ConnectStatus.FAULT
    assert status.inverterStatus.value == 7  # fault


def test_aggregate_facts_sum_ratings_and_weigh_soc_by_capacity() -> None:
    pv = messages.DerFacts(der_type=DERType.PHOTOVOLTAIC, rated_w=6000, connected=True)
    small = messages.DerFacts(
        der_type=DERType.OTHER_STORAGE, rated_w=3000, rated_wh=5000, soc_pct=100.0
    )
    big = messages.DerFacts(
        der_type=DERType.OTHER_STORAGE, rated_w=5000, rated_wh=15000, soc_pct=20.0
    )
    total = messages.aggregate_facts([pv, small, big])
    assert total.rated_w == 14000
    assert total.rated_wh == 20000
    assert total.soc_pct == 40.0
    assert total.der_type == DERType.COMBINED_PV_AND_STORAGE
    assert total.connected is True
