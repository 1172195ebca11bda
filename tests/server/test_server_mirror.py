"""MirrorUsagePoint: clients create mirrors (201 + Location) and post readings, single and
batched; readings are stored as a time series."""

from __future__ import annotations

from openderms.schemas.sep2 import models as sep
from openderms.server.store.crud.metering_mirror import select_mmr_by_mrid, select_readings
from openderms.testing.clock import NOW
from openderms.testing.head_end import (
    XML_HEADERS,
    Sep2Server,
    body,
    enroll,
    error_reason,
    parse,
)

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


def _mup(
    lfdi: str,
    *,
    with_reading: bool,
    definitions: bool = True,
    mup_mrid: bytes = MUP_MRID,
    mmr_mrid: bytes = MMR_MRID,
) -> bytes:
    """A MirrorUsagePoint with its MirrorMeterReading definition (and a reading if asked);
    ``definitions=False`` makes the bare POST §10.11.3 forbids for a new mirror."""
    readings = []
    if definitions:
        readings.append(
            sep.MirrorMeterReading(
                mRID=sep.mRIDType(value=mmr_mrid),
                ReadingType=_reading_type(),
                Reading=(
                    sep.Reading(
                        value=1200,
                        timePeriod=sep.DateTimeInterval(
                            start=sep.TimeType(value=NOW), duration=300
                        ),
                    )
                    if with_reading
                    else None
                ),
            )
        )
    return body(
        sep.MirrorUsagePoint(
            mRID=sep.mRIDType(value=mup_mrid),
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


async def test_new_mirror_without_its_meter_readings_is_refused(sep2_server: Sep2Server) -> None:
    """Issue 11 item 18: IEEE 2030.5-2018 §10.11.3, the creating POST carries the
    MirrorMeterReading and ReadingType definitions; a bare one is a 400, no mirror made."""
    srv = sep2_server
    enroll(srv, "bare")
    client = srv.client("bare")
    lfdi = srv.identity("bare").lfdi
    response = await client.post(
        "/mup", content=_mup(lfdi, with_reading=False, definitions=False), headers=XML_HEADERS
    )
    assert response.status_code == 400
    assert error_reason(response) == 1  # invalid request values
    assert parse(await client.get("/mup"), sep.MirrorUsagePointList).all == 0
    created = await client.post(
        "/mup", content=_mup(lfdi, with_reading=False), headers=XML_HEADERS
    )
    assert created.status_code == 201
    # Known now: a re-POST of the same mirror may be bare (it only updates the mirror).
    again = await client.post(
        "/mup", content=_mup(lfdi, with_reading=False, definitions=False), headers=XML_HEADERS
    )
    assert again.status_code == 201
    assert again.headers["location"] == created.headers["location"]


async def test_meter_reading_mrid_of_another_device_is_refused(sep2_server: Sep2Server) -> None:
    """Issue 11 item 10: an mRID is global; one device's mirror cannot take another's."""
    srv = sep2_server
    enroll(srv, "first-meter")
    enroll(srv, "second-meter")
    first = await srv.client("first-meter").post(
        "/mup",
        content=_mup(srv.identity("first-meter").lfdi, with_reading=True),
        headers=XML_HEADERS,
    )
    assert first.status_code == 201
    own_mup = _mup(srv.identity("second-meter").lfdi, with_reading=True, mup_mrid=b"\x11" * 16)
    stolen = await srv.client("second-meter").post("/mup", content=own_mup, headers=XML_HEADERS)
    assert stolen.status_code == 409
    same_mup = _mup(srv.identity("second-meter").lfdi, with_reading=True, mmr_mrid=b"\x21" * 16)
    taken = await srv.client("second-meter").post("/mup", content=same_mup, headers=XML_HEADERS)
    assert taken.status_code == 409
    fine = _mup(
        srv.identity("second-meter").lfdi,
        with_reading=True,
        mup_mrid=b"\x11" * 16,
        mmr_mrid=b"\x21" * 16,
    )
    assert (
        await srv.client("second-meter").post("/mup", content=fine, headers=XML_HEADERS)
    ).status_code == 201
    first_id = int(first.headers["location"].rsplit("/", 1)[1])
    assert _series(srv, first_id) == [(NOW, 1200)]


async def test_readings_list_without_all_and_results_is_accepted(sep2_server: Sep2Server) -> None:
    """Issue 11 item 12: ``all``/``results`` describe a server's paged list; a client's
    posted MirrorMeterReadingList without them is stored (we still send both)."""
    srv = sep2_server
    enroll(srv, "terse")
    client = srv.client("terse")
    created = await client.post(
        "/mup", content=_mup(srv.identity("terse").lfdi, with_reading=True), headers=XML_HEADERS
    )
    mup_id = int(created.headers["location"].rsplit("/", 1)[1])
    terse = (
        b'<MirrorMeterReadingList xmlns="urn:ieee:std:2030.5:ns">'
        b"<MirrorMeterReading><mRID>" + MMR_MRID.hex().upper().encode() + b"</mRID>"
        b"<Reading><timePeriod><duration>300</duration><start>"
        + str(NOW + 300).encode()
        + b"</start></timePeriod><value>1250</value></Reading>"
        b"</MirrorMeterReading></MirrorMeterReadingList>"
    )
    response = await client.post(created.headers["location"], content=terse, headers=XML_HEADERS)
    assert response.status_code == 201, response.text
    assert _series(srv, mup_id) == [(NOW, 1200), (NOW + 300, 1250)]
