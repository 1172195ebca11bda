"""Latest telemetry of one EndDevice for the admin API: each mirror series' newest reading.

Clients post metering through MirrorUsagePoints (IEEE 2030.5-2018 §10.6 Metering Mirror);
an operator wants the newest value of every series, scaled: ``value × 10^powerOfTen`` in
the ReadingType's unit of measure (``uom``, e.g. 38 = W, 29 = V, 33 = A, 72 = Wh).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from openderms.server.scope import Scope
from openderms.server.store.crud.metering_mirror import select_mmrs, select_mups_for_scope
from openderms.server.store.models import ControlResponseRow, EndDeviceRow, MirrorReadingRow
from openderms.server.store.paging import Page

__all__ = ["latest_responses", "latest_telemetry"]

#: Most mirrors shown per device.
MAX_MIRRORS = 20


def _latest_reading(session: Session, mmr_id: int) -> MirrorReadingRow | None:
    return session.exec(
        select(MirrorReadingRow)
        .where(MirrorReadingRow.mmr_id == mmr_id)
        .order_by(col(MirrorReadingRow.time_period_start).desc(), col(MirrorReadingRow.id).desc())
        .limit(1)
    ).first()


def _scaled(raw: int, power_of_ten: int) -> float | int:
    """``raw × 10^power_of_ten``, exact for integers and without binary noise for decimals."""
    if power_of_ten >= 0:
        return int(raw * 10**power_of_ten)
    return round(raw * float(10.0**power_of_ten), -power_of_ten)


def latest_telemetry(session: Session, device: EndDeviceRow) -> list[dict[str, Any]]:
    """Per mirror of ``device``: its series with the newest reading (None when empty)."""
    scope = Scope(lfdi=device.lfdi, sfdi=device.sfdi)
    _, mups = select_mups_for_scope(session, scope, Page(start=0, after=None, limit=MAX_MIRRORS))
    mirrors = []
    for mup in mups:
        if mup.end_device_id != device.id:
            continue
        series = []
        for mmr in select_mmrs(session, mup.id or 0):
            reading = _latest_reading(session, mmr.id or 0)
            power_of_ten = mmr.power_of_ten_multiplier or 0
            series.append(
                {
                    "mrid": mmr.mrid,
                    "description": mmr.description,
                    "uom": mmr.uom,
                    "kind": mmr.kind,
                    "phase": mmr.phase,
                    "flow_direction": mmr.flow_direction,
                    "latest": None
                    if reading is None
                    else {
                        "time": reading.time_period_start,
                        "raw": reading.value,
                        "power_of_ten": power_of_ten,
                        "value": _scaled(reading.value, power_of_ten),
                        "received_time": reading.received_time,
                    },
                }
            )
        mirrors.append({"mrid": mup.mrid, "description": mup.description, "readings": series})
    return mirrors


def latest_responses(
    session: Session, end_device_id: int, *, limit: int
) -> list[ControlResponseRow]:
    """The device's newest ``limit`` control Responses, oldest of them first."""
    rows = session.exec(
        select(ControlResponseRow)
        .where(ControlResponseRow.end_device_id == end_device_id)
        .order_by(col(ControlResponseRow.id).desc())
        .limit(limit)
    ).all()
    return list(reversed(rows))
