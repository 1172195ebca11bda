"""Queries on client-posted resources kept as history (append, read latest)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from openderms.server.store.models import ClientResourceRow

__all__ = [
    "DEVICE_LEVEL",
    "insert_client_resource",
    "select_latest_client_resource",
    "select_resource_history",
]

#: ``der_index`` of resources that belong to the EndDevice itself, not to one of its DERs.
DEVICE_LEVEL = 0


def insert_client_resource(
    session: Session,
    end_device_id: int,
    kind: str,
    xml: str,
    *,
    now: int,
    der_index: int = DEVICE_LEVEL,
) -> ClientResourceRow:
    """Append one PUT (earlier rows stay as history)."""
    row = ClientResourceRow(
        end_device_id=end_device_id, der_index=der_index, kind=kind, received_time=now, xml=xml
    )
    session.add(row)
    return row


def select_latest_client_resource(
    session: Session, end_device_id: int, kind: str, *, der_index: int = DEVICE_LEVEL
) -> ClientResourceRow | None:
    """The last PUT of `kind` for this device (and DER), if any."""
    latest = select_resource_history(session, end_device_id, kind, der_index=der_index, limit=1)
    return latest[0] if latest else None


def select_resource_history(
    session: Session,
    end_device_id: int,
    kind: str,
    *,
    der_index: int = DEVICE_LEVEL,
    limit: int = 100,
) -> Sequence[ClientResourceRow]:
    """The last `limit` PUTs of `kind`, newest first."""
    return session.exec(
        select(ClientResourceRow)
        .where(
            ClientResourceRow.end_device_id == end_device_id,
            ClientResourceRow.der_index == der_index,
            ClientResourceRow.kind == kind,
        )
        .order_by(col(ClientResourceRow.id).desc())
        .limit(limit)
    ).all()
