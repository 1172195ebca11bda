"""Aggregators and EndDevices (2030.5 EndDevice, Registration, ConnectionPoint)."""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from openderms.server.store.models._base import epoch_field, id_field

__all__ = ["Aggregator", "EndDeviceRow"]


class Aggregator(SQLModel, table=True):
    """A certificate that registers and manages many EndDevices (one row per LFDI)."""

    __tablename__ = "aggregator"

    id: int | None = id_field()
    lfdi: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(default="", max_length=200)
    created_time: int = epoch_field()


class EndDeviceRow(SQLModel, table=True):
    """One registered EndDevice.

    ``aggregator_id`` is set when an aggregator registered (and manages) the device; such a
    device is visible to that aggregator only (and to its own certificate).
    """

    __tablename__ = "end_device"

    id: int | None = id_field()
    lfdi: str = Field(max_length=40, unique=True, index=True)
    sfdi: int = Field(sa_type=BigInteger, index=True)
    aggregator_id: int | None = Field(
        default=None, foreign_key="aggregator.id", ondelete="RESTRICT", index=True
    )
    #: DeviceCategoryType, hex (2030.5 bitmap, up to 32 bits).
    device_category: str | None = Field(default=None, max_length=8)
    enabled: bool = True
    #: Registration PIN the server reports back (out-of-band registration), 5 or 6 digits.
    registration_pin: int | None = None
    registered_time: int = epoch_field()
    changed_time: int = epoch_field()
    #: Per-device overrides of the server's pollRate / postRate [s]; None = server default.
    poll_rate_s: int | None = None
    post_rate_s: int | None = None
    #: When the device (or its aggregator) first POSTed it in band [s]; None = never.
    in_band_time: int | None = Field(default=None, sa_type=BigInteger)
    #: CSIP-AUS ConnectionPoint.connectionPointId (e.g. the NMI); None = not reported.
    connection_point_id: str | None = Field(default=None, max_length=32)
