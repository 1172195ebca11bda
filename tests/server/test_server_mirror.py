"""MirrorUsagePoint: clients create mirrors (201 + Location) and post readings, single and
batched; readings are stored as a time series."""

from __future__ import annotations

from openderms.schemas.sep2 import models as sep
from openderms.server.store.crud.mirror import select_mmr_by_mrid, select_readings
from openderms.testing.clock import NOW
from openderms.testing.head_end import XML_HEADERS, Sep2Server, body, enroll, parse

MUP_MRID = b"\x10" * 16
MMR_MRID = b"\x20" * 16


def _reading_type() -> sep.ReadingType:
    # Real power (uom 38 = W), instantaneous, per phase sum.
    return sep.ReadingType(
        uom=sep.UomType(value=38),
        powerOfTenMultiplier=sep.PowerOfTenMultiplierType(value=0),
        kind=sep.KindType(value=37),
        dataQualifier=sep.DataQualifierType(value=2),
        flowDirection=sep.FlowDirectionType(value=1),
    )


def _mup(lfdi: str, *, with_reading: bool) -> bytes:
    readings = []
    if with_reading:
        readings.append(
            sep.MirrorMeterReading(
                mRID=sep.mRIDType(value=MMR_MRID),
                ReadingType=_reading_type(),
                Reading=sep.Reading(
                    value=1200,
                    timePeriod=sep.DateTimeInterval(start=sep.TimeType(value=NOW), duration=300),
                ),
            )
        )
    return body(
        sep.MirrorUsagePoint(
            mRID=sep.mRIDType(value=MUP_MRID),
            deviceLFDI=bytes.fromhex(lfdi),
            roleFlags=sep.RoleFlagsType(value=b"\x00\x03"),
            serviceCategoryKind=sep.ServiceKind(value=0),
            status=1,
            MirrorMeterReading=readings,
        )
    )


def _series(srv: Sep2Server, mup_id: int) -> list[tuple[int, int]]:
    with srv.store.session() as session:
        mmr = select_mmr_by_mrid(session, mup_id, MMR_MRID.hex().upper())
        assert mmr is not None and mmr.id is not None
        return [(r.time_period_start, r.value) for r in select_readings(session, mmr.id)]


async def test_posting_a_mirror_returns_its_location(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    enroll(srv, "meter")
    client = srv.client("meter")
    response = await client.post(
        "/mup", content=_mup(srv.identity("meter").lfdi, with_reading=True), headers=XML_HEADERS
    )
    assert response.status_code == 201
    location = response.headers["location"]
    mup = parse(await client.get(location), sep.MirrorUsagePoint)
    assert mup.mRID.value == MUP_MRID and len(mup.MirrorMeterReading) == 1
    listed = parse(await client.get("/mup"), sep.MirrorUsagePointList)
    assert listed.all == 1


async def test_posting_the_same_mirror_again_finds_it(sep2_server: Sep2Server) -> None:
    """A MirrorUsagePoint is matched by mRID: the same Location, no second mirror."""
    srv = sep2_server
    enroll(srv, "meter2")
    client = srv.client("meter2")
    lfdi = srv.identity("meter2").lfdi
    first = await client.post("/mup", content=_mup(lfdi, with_reading=False), headers=XML_HEADERS)
    second = await client.post("/mup", content=_mup(lfdi, with_reading=False), headers=XML_HEADERS)
    assert first.headers["location"] == second.headers["location"]
    assert parse(await client.get("/mup"), sep.MirrorUsagePointList).all == 1


async def test_single_and_batched_readings_form_one_series(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    enroll(srv, "meter3")
    client = srv.client("meter3")
    created = await client.post(
        "/mup", content=_mup(srv.identity("meter3").lfdi, with_reading=True), headers=XML_HEADERS
    )
    location = created.headers["location"]
    mup_id = int(location.rsplit("/", 1)[1])
    batch = sep.MirrorMeterReadingList(
        all=1,
        results=1,
        MirrorMeterReading=[
            sep.MirrorMeterReading(
                mRID=sep.mRIDType(value=MMR_MRID),
                MirrorReadingSet=[
                    sep.MirrorReadingSet(
                        mRID=sep.mRIDType(value=b"\x30" * 16),
                        timePeriod=sep.DateTimeInterval(
                            start=sep.TimeType(value=NOW + 300), duration=600
                        ),
                        Reading=[
                            sep.Reading(
                                value=1300 + i,
                                timePeriod=sep.DateTimeInterval(
                                    start=sep.TimeType(value=NOW + 300 * (i + 1)), duration=300
                                ),
                            )
                            for i in range(2)
                        ],
                    )
                ],
            )
        ],
    )
    response = await client.post(location, content=body(batch), headers=XML_HEADERS)
    assert response.status_code == 201
    assert _series(srv, mup_id) == [(NOW, 1200), (NOW + 300, 1300), (NOW + 600, 1301)]


async def test_new_meter_reading_without_reading_type_is_refused(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    enroll(srv, "meter4")
    client = srv.client("meter4")
    created = await client.post(
        "/mup", content=_mup(srv.identity("meter4").lfdi, with_reading=False), headers=XML_HEADERS
    )
    reading = sep.MirrorMeterReading(
        mRID=sep.mRIDType(value=b"\x40" * 16), Reading=sep.Reading(value=5)
    )
    response = await client.post(
        created.headers["location"], content=body(reading), headers=XML_HEADERS
    )
    assert response.status_code == 400


async def test_device_cannot_post_readings_to_another_devices_mirror(
    sep2_server: Sep2Server,
) -> None:
    srv = sep2_server
    enroll(srv, "meter5")
    enroll(srv, "meter-thief")
    created = await srv.client("meter5").post(
        "/mup", content=_mup(srv.identity("meter5").lfdi, with_reading=True), headers=XML_HEADERS
    )
    mup_id = int(created.headers["location"].rsplit("/", 1)[1])
    reading = sep.MirrorMeterReading(
        mRID=sep.mRIDType(value=MMR_MRID), Reading=sep.Reading(value=9)
    )
    response = await srv.client("meter-thief").post(
        created.headers["location"], content=body(reading), headers=XML_HEADERS
    )
    assert response.status_code == 404
    assert (await srv.client("meter-thief").get(created.headers["location"])).status_code == 404
    assert _series(srv, mup_id) == [(NOW, 1200)]
