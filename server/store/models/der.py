"""Client-posted resources kept as history (DER*, DeviceInformation, PowerStatus)."""

from __future__ import annotations

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from openderms.server.store.models._base import epoch_field, id_field

__all__ = ["ClientResourceRow"]


class ClientResourceRow(SQLModel, table=True):
    """One PUT of a client resource; rows are appended, the latest per kind is current.

    ``kind`` is the resource name: ``DeviceInformation``, ``PowerStatus``, ``DERCapability``,
    ``DERSettings``, ``DERStatus``, ``DERAvailability``. ``xml`` is the body as re-encoded
    by the codec after validation (never the raw bytes a client sent).
    """

    __tablename__ = "client_resource"
    __table_args__ = (
        Index("ix_client_resource_latest", "end_device_id", "der_index", "kind", "id"),
    )

    id: int | None = id_field()
    end_device_id: int = Field(foreign_key="end_device.id", ondelete="CASCADE")
    #: DER index under the EndDevice (0 for EndDevice-level resources).
    der_index: int = 0
    kind: str = Field(max_length=32)
    received_time: int = epoch_field()
    xml: str = Field(sa_type=Text)
