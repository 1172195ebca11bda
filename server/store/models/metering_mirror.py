"""MirrorUsagePoint, MirrorMeterReading and the reading time series."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from openderms.server.store.models._base import epoch_field, id_field

__all__ = ["MirrorMeterReadingRow", "MirrorReadingRow", "MirrorUsagePointRow"]


class MirrorUsagePointRow(SQLModel, table=True):
    """A MirrorUsagePoint a client created by POST (unique per device by mRID)."""

    __tablename__ = "mirror_usage_point"
    __table_args__ = (UniqueConstraint("end_device_id", "mrid"),)

    id: int | None = id_field()
    end_device_id: int = Field(foreign_key="end_device.id", ondelete="CASCADE", index=True)
    mrid: str = Field(max_length=32)
    description: str = Field(default="", max_length=32)
    device_lfdi: str = Field(max_length=40)
    role_flags: int = 0
    service_category_kind: int = 0
    status: int = 0
    post_rate_s: int | None = Field(default=None, sa_type=BigInteger)  # UInt32
    created_time: int = epoch_field()
    changed_time: int = epoch_field()


class MirrorMeterReadingRow(SQLModel, table=True):
    """A MirrorMeterReading and its ReadingType (unique per mirror by mRID)."""

    __tablename__ = "mirror_meter_reading"
    __table_args__ = (UniqueConstraint("mup_id", "mrid"),)

    id: int | None = id_field()
    mup_id: int = Field(foreign_key="mirror_usage_point.id", ondelete="CASCADE", index=True)
    mrid: str = Field(max_length=32)
    description: str = Field(default="", max_length=32)
    uom: int | None = None
    power_of_ten_multiplier: int | None = None
    kind: int | None = None
    phase: int | None = None
    flow_direction: int | None = None
    data_qualifier: int | None = None
    accumulation_behaviour: int | None = None
    commodity: int | None = None
    interval_length_s: int | None = Field(default=None, sa_type=BigInteger)  # UInt32
    created_time: int = epoch_field()
    last_update_time: int | None = epoch_field(nullable=True)


class MirrorReadingRow(SQLModel, table=True):
    """One reading of a MirrorMeterReading (the time series)."""

    __tablename__ = "mirror_reading"
    __table_args__ = (Index("ix_mirror_reading_series", "mmr_id", "time_period_start"),)

    id: int | None = id_field()
    mmr_id: int = Field(foreign_key="mirror_meter_reading.id", ondelete="CASCADE")
    #: TimePeriod.start; None when the client sent no timePeriod (then received_time).
    time_period_start: int = epoch_field()
    duration_s: int | None = Field(default=None, sa_type=BigInteger)  # UInt32
    value: int = Field(sa_type=BigInteger)
    quality_flags: int | None = None
    local_id: str | None = Field(default=None, max_length=4)
    received_time: int = epoch_field()
