"""MirrorUsagePoint function set: clients mirror their meters and post readings.

A client POSTs a MirrorUsagePoint to ``/mup`` (created, or matched by mRID: 201 +
Location either way), then POSTs MirrorMeterReading or MirrorMeterReadingList to
``/mup/{id}``, single readings or MirrorReadingSets in batches. Readings are stored as a
time series per MirrorMeterReading (IEEE 2030.5 §10.9).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from openderms.schemas.sep2 import models as sep
from openderms.server import uris
from openderms.server.errors import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    PayloadTooLargeError,
)
from openderms.server.mappers.common import lfdi_hex, mrid_hex
from openderms.server.mappers.metering_mirror import (
    map_mirror_usage_point,
    map_mirror_usage_point_list,
    reading_type_columns,
    readings_of,
)
from openderms.server.scope import Scope, ServiceContext
from openderms.server.services.rates import device_post_rate_s, resource_poll_rate_s
from openderms.server.store.crud.end_device import (
    select_end_device_by_lfdi,
    select_end_device_for_scope,
)
from openderms.server.store.crud.metering_mirror import (
    select_mmr_by_mrid,
    select_mmr_owner,
    select_mmrs,
    select_mup_by_mrid,
    select_mup_for_scope,
    select_mup_owner,
    select_mups_for_scope,
    select_reading_keys,
)
from openderms.server.store.models import (
    EndDeviceRow,
    MirrorMeterReadingRow,
    MirrorReadingRow,
    MirrorUsagePointRow,
)
from openderms.server.store.paging import Page

__all__ = [
    "get_mirror_usage_point",
    "list_mirror_usage_points",
    "post_mirror_readings",
    "post_mirror_usage_point",
]


def _store_mmr(
    session: Session, ctx: ServiceContext, mup: MirrorUsagePointRow, mmr: sep.MirrorMeterReading
) -> MirrorMeterReadingRow:
    assert mup.id is not None
    mrid = mrid_hex(mmr.mRID)
    row = select_mmr_by_mrid(session, mup.id, mrid)
    if row is None:
        # An mRID is globally unique (IEEE 2030.5 §6.5.4.1: the issuer's PEN ends it), so
        # one already used under another device's mirror is someone else's identity
        # (issue 11 item 10). The same mRID under another mirror of the *same* device is a
        # client's own business (a re-created mirror) and stays accepted.
        owner = select_mmr_owner(session, mrid)
        if owner is not None and owner != mup.end_device_id:
            raise ConflictError(f"MirrorMeterReading mRID {mrid} belongs to another device")
        if mmr.ReadingType is None:
            raise BadRequestError(f"MirrorMeterReading {mrid} is new: it needs its ReadingType")
        row = MirrorMeterReadingRow(
            mup_id=mup.id,
            mrid=mrid,
            description=(mmr.description or "")[:32],
            created_time=ctx.now,
            **reading_type_columns(mmr.ReadingType),
        )
        session.add(row)
        session.flush()
    elif mmr.ReadingType is not None:
        for name, value in reading_type_columns(mmr.ReadingType).items():
            setattr(row, name, value)
    assert row.id is not None
    count = 0
    readings = [r for r in readings_of(mmr, ctx.now) if r[2].value is not None]
    # A client that did not hear the 201 (a crash, a lost connection) posts the same
    # readings again: one already stored (same series, start and value) is not repeated.
    stored = (
        select_reading_keys(
            session,
            row.id,
            since=min(start for start, _, _ in readings),
            until=max(start for start, _, _ in readings),
        )
        if readings
        else set()
    )
    for start, duration, reading in readings:
        assert reading.value is not None
        if (start, reading.value) in stored:
            continue
        stored.add((start, reading.value))
        session.add(
            MirrorReadingRow(
                mmr_id=row.id,
                time_period_start=start,
                duration_s=duration,
                value=reading.value,
                quality_flags=(
                    None
                    if reading.qualityFlags is None
                    else int.from_bytes(reading.qualityFlags, "big")
                ),
                local_id=None if reading.localID is None else reading.localID.hex().upper(),
                received_time=ctx.now,
            )
        )
        count += 1
    if count:
        row.last_update_time = ctx.now
    session.add(row)
    return row


def _count_readings(mmrs: Iterable[sep.MirrorMeterReading]) -> int:
    return sum(
        (1 if m.Reading is not None else 0) + sum(len(s.Reading) for s in m.MirrorReadingSet)
        for m in mmrs
    )


def _check_batch(ctx: ServiceContext, mmrs: Iterable[sep.MirrorMeterReading]) -> None:
    """Bound a POST's readings before any row is written (settings.max_readings_per_post)."""
    limit = ctx.settings.max_readings_per_post
    if _count_readings(mmrs) > limit:
        raise PayloadTooLargeError(f"more than {limit} readings in one POST")


def _owner(session: Session, scope: Scope, device_lfdi: bytes) -> EndDeviceRow:
    device = select_end_device_by_lfdi(session, lfdi_hex(device_lfdi))
    if device is None or device.id is None:
        raise ForbiddenError("deviceLFDI is not a registered EndDevice")
    if select_end_device_for_scope(session, scope, device.id) is None:
        raise ForbiddenError("deviceLFDI is not a device this certificate speaks for")
    return device


def post_mirror_usage_point(
    session: Session, ctx: ServiceContext, scope: Scope, body: sep.MirrorUsagePoint
) -> tuple[str, bool]:
    """Create (or match by mRID) a mirror for the caller's device; returns (href, new).

    Readings inside the body are stored too. Commits.
    """
    _check_batch(ctx, body.MirrorMeterReading)
    device = _owner(session, scope, body.deviceLFDI)
    assert device.id is not None
    mrid = mrid_hex(body.mRID)
    mup = select_mup_by_mrid(session, device.id, mrid)
    created = mup is None
    if mup is None:
        owner = select_mup_owner(session, mrid)
        if owner is not None and owner != device.id:
            raise ConflictError(f"MirrorUsagePoint mRID {mrid} belongs to another device")
        # IEEE 2030.5-2018 §10.11.3: the POST that creates a mirror carries at least the
        # MirrorMeterReading and ReadingType definitions (with their mRIDs); readings may
        # follow later (issue 11 item 18). A re-POST of a known mirror may be bare.
        if not body.MirrorMeterReading:
            raise BadRequestError(
                "a new MirrorUsagePoint carries its MirrorMeterReadings (IEEE 2030.5 §10.11.3)"
            )
        missing = [mrid_hex(m.mRID) for m in body.MirrorMeterReading if m.ReadingType is None]
        if missing:
            raise BadRequestError(
                f"MirrorMeterReading {missing[0]} of a new mirror needs its ReadingType"
            )
        mup = MirrorUsagePointRow(
            end_device_id=device.id,
            mrid=mrid,
            device_lfdi=device.lfdi,
            created_time=ctx.now,
            changed_time=ctx.now,
        )
    mup.description = (body.description or "")[:32]
    mup.role_flags = int.from_bytes(body.roleFlags.value, "big")
    mup.service_category_kind = body.serviceCategoryKind.value
    mup.status = body.status
    mup.changed_time = ctx.now
    session.add(mup)
    session.flush()
    for mmr in body.MirrorMeterReading:
        _store_mmr(session, ctx, mup, mmr)
    assert mup.id is not None
    if created:
        ctx.changes.resource_changed(session, uris.MUP_LIST)
    session.commit()
    return uris.mirror_usage_point(mup.id), created


def post_mirror_readings(
    session: Session,
    ctx: ServiceContext,
    scope: Scope,
    mup_id: int,
    body: sep.MirrorMeterReading | sep.MirrorMeterReadingList,
) -> str:
    """Store readings posted to ``/mup/{id}``; returns the href of the (last) MMR. Commits."""
    mup = select_mup_for_scope(session, scope, mup_id)
    if mup is None:
        raise NotFoundError(f"no MirrorUsagePoint {mup_id}")
    mmrs = (
        list(body.MirrorMeterReading) if isinstance(body, sep.MirrorMeterReadingList) else [body]
    )
    if not mmrs:
        raise BadRequestError("no MirrorMeterReading in the body")
    _check_batch(ctx, mmrs)
    last = None
    for mmr in mmrs:
        last = _store_mmr(session, ctx, mup, mmr)
    assert last is not None and last.id is not None
    session.commit()
    return uris.mirror_meter_reading(mup_id, last.id)


def _map_mup(
    session: Session, ctx: ServiceContext, row: MirrorUsagePointRow
) -> sep.MirrorUsagePoint:
    assert row.id is not None
    device = session.get(EndDeviceRow, row.end_device_id)
    assert device is not None
    post_rate_s = row.post_rate_s or device_post_rate_s(session, ctx.settings, device)
    return map_mirror_usage_point(row, select_mmrs(session, row.id), post_rate_s=post_rate_s)


def get_mirror_usage_point(
    session: Session, ctx: ServiceContext, scope: Scope, mup_id: int
) -> sep.MirrorUsagePoint:
    row = select_mup_for_scope(session, scope, mup_id)
    if row is None:
        raise NotFoundError(f"no MirrorUsagePoint {mup_id}")
    return _map_mup(session, ctx, row)


def list_mirror_usage_points(
    session: Session, ctx: ServiceContext, scope: Scope, page: Page
) -> sep.MirrorUsagePointList:
    total, rows = select_mups_for_scope(session, scope, page)
    return map_mirror_usage_point_list(
        [_map_mup(session, ctx, row) for row in rows],
        total=total,
        poll_rate_s=resource_poll_rate_s(session, ctx.settings, "mup"),
    )
