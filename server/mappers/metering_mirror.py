"""MirrorUsagePoint rows <-> 2030.5 resources: what a client's mirror posts become, and
how a stored mirror reads back. Pure: no session, time passed in."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from openderms.schemas.sep2 import models as sep
from openderms.server import uris
from openderms.server.mappers.common import lfdi_bytes, mrid_type
from openderms.server.store.models import MirrorMeterReadingRow, MirrorUsagePointRow

__all__ = [
    "map_mirror_usage_point",
    "map_mirror_usage_point_list",
    "reading_type_columns",
    "readings_of",
]


def _wrapped(value: object) -> int | None:
    return None if value is None else int(getattr(value, "value"))  # noqa: B009


def reading_type_columns(reading_type: sep.ReadingType | None) -> dict[str, int | None]:
    if reading_type is None:
        return {}
    return {
        "uom": _wrapped(reading_type.uom),
        "power_of_ten_multiplier": _wrapped(reading_type.powerOfTenMultiplier),
        "kind": _wrapped(reading_type.kind),
        "phase": _wrapped(reading_type.phase),
        "flow_direction": _wrapped(reading_type.flowDirection),
        "data_qualifier": _wrapped(reading_type.dataQualifier),
        "accumulation_behaviour": _wrapped(reading_type.accumulationBehaviour),
        "commodity": _wrapped(reading_type.commodity),
        "interval_length_s": reading_type.intervalLength,
    }


def readings_of(
    mmr: sep.MirrorMeterReading, now: int
) -> Iterable[tuple[int, int | None, sep.Reading]]:
    """(start [s], duration [s], reading) of every reading in a MirrorMeterReading."""
    if mmr.Reading is not None:
        period = mmr.Reading.timePeriod
        yield (
            now if period is None else period.start.value,
            None if period is None else period.duration,
            mmr.Reading,
        )
    for reading_set in mmr.MirrorReadingSet:
        for reading in reading_set.Reading:
            period = reading.timePeriod or reading_set.timePeriod
            yield period.start.value, period.duration, reading


def map_mirror_usage_point(
    row: MirrorUsagePointRow, mmrs: Iterable[MirrorMeterReadingRow], *, post_rate_s: int
) -> sep.MirrorUsagePoint:
    """A stored mirror with links to its MirrorMeterReadings."""
    assert row.id is not None
    return sep.MirrorUsagePoint(
        href=uris.mirror_usage_point(row.id),
        mRID=mrid_type(row.mrid),
        description=row.description or None,
        roleFlags=sep.RoleFlagsType(value=row.role_flags.to_bytes(2, "big")),
        serviceCategoryKind=sep.ServiceKind(value=row.service_category_kind),
        status=row.status,
        deviceLFDI=lfdi_bytes(row.device_lfdi),
        postRate=post_rate_s,
        MirrorMeterReading=[
            sep.MirrorMeterReading(
                href=uris.mirror_meter_reading(row.id, mmr.id or 0),
                mRID=mrid_type(mmr.mrid),
                description=mmr.description or None,
                lastUpdateTime=(
                    None
                    if mmr.last_update_time is None
                    else sep.TimeType(value=mmr.last_update_time)
                ),
            )
            for mmr in mmrs
        ],
    )


def map_mirror_usage_point_list(
    mups: Sequence[sep.MirrorUsagePoint], *, total: int, poll_rate_s: int
) -> sep.MirrorUsagePointList:
    return sep.MirrorUsagePointList(
        href=uris.MUP_LIST,
        all=total,
        results=len(mups),
        pollRate=poll_rate_s,
        MirrorUsagePoint=list(mups),
    )
