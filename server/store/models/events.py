"""Responses to controls and LogEvents posted by clients."""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from openderms.server.store.models._base import epoch_field, id_field

__all__ = ["ControlResponseRow", "LogEventRow"]


class ControlResponseRow(SQLModel, table=True):
    """A Response a client POSTed to a control's replyTo (``/rsps/{program id}/rsp``)."""

    __tablename__ = "control_response"

    id: int | None = id_field()
    end_device_id: int = Field(foreign_key="end_device.id", ondelete="CASCADE", index=True)
    #: The ResponseSet (the DERProgram id in this server's URI scheme).
    response_set_id: int = Field(index=True)
    der_control_id: int | None = Field(
        default=None, foreign_key="der_control.id", ondelete="CASCADE", index=True
    )
    subject_mrid: str = Field(max_length=32)
    status: int | None = None
    created_time: int | None = epoch_field(nullable=True)
    received_time: int = epoch_field()


class LogEventRow(SQLModel, table=True):
    """A LogEvent a client POSTed to its own LogEventList."""

    __tablename__ = "log_event"

    id: int | None = id_field()
    end_device_id: int = Field(foreign_key="end_device.id", ondelete="CASCADE", index=True)
    created_time: int = epoch_field()
    details: str | None = Field(default=None, max_length=32)
    extended_data: int | None = Field(default=None, sa_type=BigInteger)  # UInt32
    function_set: int
    log_event_code: int
    log_event_id: int
    log_event_pen: int = Field(sa_type=BigInteger)  # PENType, UInt32
    profile_id: int
    received_time: int = epoch_field()
