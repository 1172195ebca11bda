"""Read-only queries of the operator dashboard (``openderms.server.dashboard``).

Every function reads; none writes or commits. Each takes the caller's device scope
explicitly: ``aggregator_id`` None means a utility (every device), an integer means only
the devices registered under that aggregator. Functions that take device ids trust the
ids to be in scope already (they come from `scoped_device_ids` or `device_in_scope`).

Queries are batched over device ids (one query per table, not one per device), so the
fleet page costs a fixed number of round trips whatever the fleet size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from openderms.server.store.admin import AdminToken
from openderms.server.store.models import (
    ClientResourceRow,
    ControlResponseRow,
    DefaultDERControlRow,
    DERControlRow,
    DERProgramRow,
    EndDeviceRow,
    FsaMember,
    FsaProgram,
    FunctionSetAssignmentsRow,
    LogEventRow,
    MirrorMeterReadingRow,
    MirrorReadingRow,
    MirrorUsagePointRow,
)
from openderms.server.store.outbox import NotificationOutbox, OutboxStatus

__all__ = [
    "DeviceControl",
    "Series",
    "active_token_by_id",
    "bucket_means",
    "control_descriptions",
    "control_responses",
    "controls_of_programs",
    "controls_running_for_devices",
    "controls_seen_by_devices",
    "device_in_scope",
    "device_post_rates",
    "groups_in_scope",
    "groups_of_devices",
    "last_contact_times",
    "latest_default_controls",
    "latest_default_controls_of_programs",
    "latest_readings",
    "latest_resources",
    "log_events",
    "notification_counts",
    "program_reach",
    "programs_in_scope",
    "reading_values_in_range",
    "readings_in_range",
    "resource_history",
    "response_counts",
    "scoped_device_ids",
    "scoped_devices",
    "series_of_devices",
]


def _in_scope(aggregator_id: int | None):  # type: ignore[no-untyped-def]  # SQL expression
    return (
        col(EndDeviceRow.id).is_not(None)
        if aggregator_id is None
        else col(EndDeviceRow.aggregator_id) == aggregator_id
    )


def scoped_devices(
    session: Session,
    *,
    aggregator_id: int | None,
    start: int,
    limit: int,
    lfdi_prefix: str | None = None,
    group_id: int | None = None,
) -> tuple[int, Sequence[EndDeviceRow]]:
    """(total, page) of the devices in scope, in registration order.

    ``lfdi_prefix`` (upper-case hex) and ``group_id`` narrow the list further.
    """
    where = [_in_scope(aggregator_id)]
    if lfdi_prefix:
        where.append(col(EndDeviceRow.lfdi).startswith(lfdi_prefix, autoescape=True))
    if group_id is not None:
        where.append(
            col(EndDeviceRow.id).in_(
                select(FsaMember.end_device_id).where(FsaMember.fsa_id == group_id)
            )
        )
    total = session.exec(select(func.count()).select_from(EndDeviceRow).where(*where)).one()
    rows = session.exec(
        select(EndDeviceRow)
        .where(*where)
        .order_by(col(EndDeviceRow.id))
        .offset(start)
        .limit(limit)
    ).all()
    return int(total), rows


def groups_in_scope(
    session: Session, *, aggregator_id: int | None
) -> Sequence[FunctionSetAssignmentsRow]:
    """Shared groups with a device in scope (every shared group for a utility)."""
    query = select(FunctionSetAssignmentsRow).where(
        col(FunctionSetAssignmentsRow.end_device_id).is_(None)
    )
    if aggregator_id is not None:
        query = query.where(
            col(FunctionSetAssignmentsRow.id).in_(
                select(FsaMember.fsa_id)
                .join(EndDeviceRow, col(EndDeviceRow.id) == col(FsaMember.end_device_id))
                .where(EndDeviceRow.aggregator_id == aggregator_id)
            )
        )
    return session.exec(query.order_by(col(FunctionSetAssignmentsRow.id))).all()


def program_reach(
    session: Session, program_ids: Sequence[int], *, aggregator_id: int | None
) -> dict[int, dict[str, int | None]]:
    """Per program: groups listing it (utility only) and devices in scope that see it."""
    devices = session.exec(
        select(FsaProgram.program_id, func.count(func.distinct(FsaMember.end_device_id)))
        .join(FsaMember, col(FsaMember.fsa_id) == col(FsaProgram.fsa_id))
        .join(EndDeviceRow, col(EndDeviceRow.id) == col(FsaMember.end_device_id))
        .where(col(FsaProgram.program_id).in_(program_ids), _in_scope(aggregator_id))
        .group_by(col(FsaProgram.program_id))
    ).all()
    out: dict[int, dict[str, int | None]] = {
        pid: {"groups": None, "devices": 0} for pid in program_ids
    }
    for pid, count in devices:
        out[pid]["devices"] = int(count)
    if aggregator_id is None:  # other aggregators' groups are not an aggregator's business
        for pid, count in session.exec(
            select(FsaProgram.program_id, func.count())
            .where(col(FsaProgram.program_id).in_(program_ids))
            .group_by(col(FsaProgram.program_id))
        ).all():
            out[pid]["groups"] = int(count)
    return out


def scoped_device_ids(session: Session, *, aggregator_id: int | None) -> list[int]:
    """Ids of every device in scope."""
    return [
        int(i)
        for i in session.exec(
            select(EndDeviceRow.id).where(_in_scope(aggregator_id)).order_by(col(EndDeviceRow.id))
        ).all()
        if i is not None
    ]


def device_post_rates(session: Session, device_ids: Sequence[int]) -> dict[int, int | None]:
    """Each device's own postRate [s] (None: the fleet's)."""
    rows = session.exec(
        select(EndDeviceRow.id, EndDeviceRow.post_rate_s).where(
            col(EndDeviceRow.id).in_(device_ids)
        )
    ).all()
    return {int(i): rate for i, rate in rows if i is not None}


def device_in_scope(
    session: Session, *, lfdi: str, aggregator_id: int | None
) -> EndDeviceRow | None:
    """The device with this LFDI if it is in scope (others look absent)."""
    return session.exec(
        select(EndDeviceRow).where(EndDeviceRow.lfdi == lfdi.upper(), _in_scope(aggregator_id))
    ).first()


def groups_of_devices(
    session: Session, device_ids: Sequence[int]
) -> dict[int, list[FunctionSetAssignmentsRow]]:
    """Shared groups (not private per-device groups) of each device, by group id."""
    rows = session.exec(
        select(FsaMember.end_device_id, FunctionSetAssignmentsRow)
        .join(
            FunctionSetAssignmentsRow, col(FunctionSetAssignmentsRow.id) == col(FsaMember.fsa_id)
        )
        .where(
            col(FsaMember.end_device_id).in_(device_ids),
            col(FunctionSetAssignmentsRow.end_device_id).is_(None),
        )
        .order_by(col(FunctionSetAssignmentsRow.id))
    ).all()
    out: dict[int, list[FunctionSetAssignmentsRow]] = {}
    for device_id, group in rows:
        out.setdefault(device_id, []).append(group)
    return out


def latest_resources(
    session: Session, device_ids: Sequence[int], kind: str
) -> dict[int, ClientResourceRow]:
    """The newest client-posted resource of ``kind`` (e.g. ``DERStatus``) per device."""
    newest = (
        select(func.max(ClientResourceRow.id))
        .where(
            col(ClientResourceRow.end_device_id).in_(device_ids), ClientResourceRow.kind == kind
        )
        .group_by(col(ClientResourceRow.end_device_id))
    )
    rows = session.exec(
        select(ClientResourceRow).where(col(ClientResourceRow.id).in_(newest))
    ).all()
    return {row.end_device_id: row for row in rows}


def resource_history(
    session: Session, device_id: int, kind: str, *, limit: int
) -> Sequence[ClientResourceRow]:
    """The newest ``limit`` PUTs of ``kind`` by the device, newest first."""
    return session.exec(
        select(ClientResourceRow)
        .where(ClientResourceRow.end_device_id == device_id, ClientResourceRow.kind == kind)
        .order_by(col(ClientResourceRow.id).desc())
        .limit(limit)
    ).all()


def last_contact_times(session: Session, device_ids: Sequence[int]) -> dict[int, int]:
    """When each device last posted anything (resource, reading, Response, LogEvent) [s]."""
    out: dict[int, int] = {}

    def merge(rows: Sequence[tuple[int, int | None]]) -> None:
        for device_id, when in rows:
            if when is not None and when > out.get(device_id, -1):
                out[device_id] = int(when)

    # The newest row of each table a device writes to, per device.
    for device_column, time_column in (
        (ClientResourceRow.end_device_id, ClientResourceRow.received_time),
        (ControlResponseRow.end_device_id, ControlResponseRow.received_time),
        (LogEventRow.end_device_id, LogEventRow.received_time),
        (MirrorUsagePointRow.end_device_id, MirrorUsagePointRow.changed_time),
    ):
        merge(
            session.exec(
                select(device_column, func.max(time_column))
                .where(col(device_column).in_(device_ids))
                .group_by(col(device_column))
            ).all()
        )
    merge(
        session.exec(
            select(
                MirrorUsagePointRow.end_device_id,
                func.max(MirrorMeterReadingRow.last_update_time),
            )
            .join(
                MirrorUsagePointRow,
                col(MirrorUsagePointRow.id) == col(MirrorMeterReadingRow.mup_id),
            )
            .where(col(MirrorUsagePointRow.end_device_id).in_(device_ids))
            .group_by(col(MirrorUsagePointRow.end_device_id))
        ).all()
    )
    return out


@dataclass(frozen=True, slots=True)
class DeviceControl:
    """A control a device sees, with its program's primacy."""

    device_id: int
    control: DERControlRow
    primacy: int


def controls_seen_by_devices(
    session: Session,
    device_ids: Sequence[int],
    *,
    since: int | None = None,
    limit: int = 1000,
) -> list[DeviceControl]:
    """Controls of every program each device sees through its groups, newest start first.

    ``since`` keeps only controls that end after it [s].
    """
    query = (
        select(FsaMember.end_device_id, DERControlRow, DERProgramRow.primacy)
        .join(FsaProgram, col(FsaProgram.fsa_id) == col(FsaMember.fsa_id))
        .join(DERControlRow, col(DERControlRow.program_id) == col(FsaProgram.program_id))
        .join(DERProgramRow, col(DERProgramRow.id) == col(DERControlRow.program_id))
        .where(col(FsaMember.end_device_id).in_(device_ids))
    )
    if since is not None:
        query = query.where(
            (col(DERControlRow.start_time) + col(DERControlRow.duration_s)) > since
        )
    rows = session.exec(
        query.order_by(col(DERControlRow.start_time).desc(), col(DERControlRow.id).desc()).limit(
            limit
        )
    ).all()
    seen: set[tuple[int, int]] = set()
    out = []
    for device_id, control, primacy in rows:
        key = (device_id, control.id or 0)
        if key not in seen:  # a device in two groups linking one program sees it once
            seen.add(key)
            out.append(DeviceControl(device_id, control, primacy))
    return out


def controls_running_for_devices(
    session: Session, device_ids: Sequence[int], *, now: int
) -> list[DeviceControl]:
    """Controls each device sees that run at ``now``: started, not ended, and neither
    cancelled nor superseded by ``now`` (every one, however many are scheduled later)."""
    rows = session.exec(
        select(FsaMember.end_device_id, DERControlRow, DERProgramRow.primacy)
        .join(FsaProgram, col(FsaProgram.fsa_id) == col(FsaMember.fsa_id))
        .join(DERControlRow, col(DERControlRow.program_id) == col(FsaProgram.program_id))
        .join(DERProgramRow, col(DERProgramRow.id) == col(DERControlRow.program_id))
        .where(
            col(FsaMember.end_device_id).in_(device_ids),
            col(DERControlRow.start_time) <= now,
            (col(DERControlRow.start_time) + col(DERControlRow.duration_s)) > now,
            or_(
                col(DERControlRow.cancelled_time).is_(None),
                col(DERControlRow.cancelled_time) > now,
            ),
            or_(
                col(DERControlRow.superseded_time).is_(None),
                col(DERControlRow.superseded_time) > now,
            ),
        )
        .order_by(col(FsaMember.end_device_id), col(DERControlRow.id))
    ).all()
    return [DeviceControl(device_id, control, primacy) for device_id, control, primacy in rows]


def latest_default_controls(
    session: Session, device_ids: Sequence[int]
) -> dict[int, list[tuple[DERProgramRow, DefaultDERControlRow]]]:
    """Per device: (program, its latest DefaultDERControl) of every program it sees."""
    newest = select(func.max(DefaultDERControlRow.id)).group_by(
        col(DefaultDERControlRow.program_id)
    )
    rows = session.exec(
        select(FsaMember.end_device_id, DERProgramRow, DefaultDERControlRow)
        .join(FsaProgram, col(FsaProgram.fsa_id) == col(FsaMember.fsa_id))
        .join(DERProgramRow, col(DERProgramRow.id) == col(FsaProgram.program_id))
        .join(DefaultDERControlRow, col(DefaultDERControlRow.program_id) == col(DERProgramRow.id))
        .where(
            col(FsaMember.end_device_id).in_(device_ids), col(DefaultDERControlRow.id).in_(newest)
        )
        .order_by(col(DERProgramRow.primacy), col(DERProgramRow.id))
    ).all()
    out: dict[int, list[tuple[DERProgramRow, DefaultDERControlRow]]] = {}
    for device_id, program, default in rows:
        entries = out.setdefault(device_id, [])
        if all(p.id != program.id for p, _ in entries):
            entries.append((program, default))
    return out


def programs_in_scope(session: Session, *, aggregator_id: int | None) -> Sequence[DERProgramRow]:
    """Programs by primacy: every one for a utility, those its devices see for an aggregator."""
    query = select(DERProgramRow)
    if aggregator_id is not None:
        seen = (
            select(FsaProgram.program_id)
            .join(FsaMember, col(FsaMember.fsa_id) == col(FsaProgram.fsa_id))
            .join(EndDeviceRow, col(EndDeviceRow.id) == col(FsaMember.end_device_id))
            .where(EndDeviceRow.aggregator_id == aggregator_id)
        )
        query = query.where(col(DERProgramRow.id).in_(seen))
    return session.exec(query.order_by(col(DERProgramRow.primacy), col(DERProgramRow.id))).all()


def controls_of_programs(
    session: Session, program_ids: Sequence[int], *, limit_per_program: int
) -> dict[int, list[DERControlRow]]:
    """The newest controls of each program (by start), at most ``limit_per_program`` each."""
    out: dict[int, list[DERControlRow]] = {}
    for program_id in program_ids:
        out[program_id] = list(
            session.exec(
                select(DERControlRow)
                .where(DERControlRow.program_id == program_id)
                .order_by(col(DERControlRow.start_time).desc(), col(DERControlRow.id).desc())
                .limit(limit_per_program)
            ).all()
        )
    return out


def notification_counts(session: Session, device_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Per device: how many Notifications to it are pending and how many were given up."""
    rows = session.exec(
        select(NotificationOutbox.end_device_id, NotificationOutbox.status, func.count())
        .where(
            col(NotificationOutbox.end_device_id).in_(device_ids),
            col(NotificationOutbox.status).in_(
                [OutboxStatus.PENDING.value, OutboxStatus.FAILED.value]
            ),
        )
        .group_by(col(NotificationOutbox.end_device_id), col(NotificationOutbox.status))
    ).all()
    out: dict[int, dict[str, int]] = {}
    for device_id, status, count in rows:
        if device_id is not None:
            out.setdefault(device_id, {"pending": 0, "failed": 0})[status] = int(count)
    return out


@dataclass(frozen=True, slots=True)
class Series:
    """One mirrored time series: which device and mirror it belongs to, and its type."""

    device_id: int
    mup: MirrorUsagePointRow
    mmr: MirrorMeterReadingRow


def series_of_devices(session: Session, device_ids: Sequence[int]) -> list[Series]:
    """Every MirrorMeterReading of the devices' mirrors."""
    rows = session.exec(
        select(MirrorUsagePointRow, MirrorMeterReadingRow)
        .join(
            MirrorMeterReadingRow, col(MirrorMeterReadingRow.mup_id) == col(MirrorUsagePointRow.id)
        )
        .where(col(MirrorUsagePointRow.end_device_id).in_(device_ids))
        .order_by(col(MirrorUsagePointRow.id), col(MirrorMeterReadingRow.id))
    ).all()
    return [Series(mup.end_device_id, mup, mmr) for mup, mmr in rows]


def latest_readings(session: Session, mmr_ids: Sequence[int]) -> dict[int, MirrorReadingRow]:
    """The newest reading (by time) of each series."""
    newest_time = (
        select(MirrorReadingRow.mmr_id, func.max(MirrorReadingRow.time_period_start).label("t"))
        .where(col(MirrorReadingRow.mmr_id).in_(mmr_ids))
        .group_by(col(MirrorReadingRow.mmr_id))
        .subquery()
    )
    rows = session.exec(
        select(MirrorReadingRow)
        .join(
            newest_time,
            (col(MirrorReadingRow.mmr_id) == newest_time.c.mmr_id)
            & (col(MirrorReadingRow.time_period_start) == newest_time.c.t),
        )
        .order_by(col(MirrorReadingRow.id))
    ).all()
    return {row.mmr_id: row for row in rows}  # the last stored wins a tie


def readings_in_range(
    session: Session, mmr_ids: Sequence[int], *, since: int, until: int, limit: int
) -> Sequence[MirrorReadingRow]:
    """Readings of the series in [since, until) [s], in time order, at most ``limit``."""
    return session.exec(
        select(MirrorReadingRow)
        .where(
            col(MirrorReadingRow.mmr_id).in_(mmr_ids),
            col(MirrorReadingRow.time_period_start) >= since,
            col(MirrorReadingRow.time_period_start) < until,
        )
        .order_by(col(MirrorReadingRow.time_period_start), col(MirrorReadingRow.id))
        .limit(limit)
    ).all()


def control_responses(
    session: Session,
    device_ids: Sequence[int],
    *,
    since: int | None = None,
    until: int | None = None,
    limit: int,
) -> Sequence[ControlResponseRow]:
    """Responses the devices posted, received in [since, until) [s], oldest first."""
    query = select(ControlResponseRow).where(col(ControlResponseRow.end_device_id).in_(device_ids))
    if since is not None:
        query = query.where(col(ControlResponseRow.received_time) >= since)
    if until is not None:
        query = query.where(col(ControlResponseRow.received_time) < until)
    return session.exec(
        query.order_by(col(ControlResponseRow.received_time), col(ControlResponseRow.id)).limit(
            limit
        )
    ).all()


def log_events(session: Session, device_id: int, *, limit: int) -> Sequence[LogEventRow]:
    """The device's newest LogEvents, newest first."""
    return session.exec(
        select(LogEventRow)
        .where(LogEventRow.end_device_id == device_id)
        .order_by(col(LogEventRow.created_time).desc(), col(LogEventRow.id).desc())
        .limit(limit)
    ).all()


def latest_default_controls_of_programs(
    session: Session, program_ids: Sequence[int]
) -> dict[int, DefaultDERControlRow]:
    """The DefaultDERControl in force of each program (the latest set)."""
    newest = (
        select(func.max(DefaultDERControlRow.id))
        .where(col(DefaultDERControlRow.program_id).in_(program_ids))
        .group_by(col(DefaultDERControlRow.program_id))
    )
    rows = session.exec(
        select(DefaultDERControlRow).where(col(DefaultDERControlRow.id).in_(newest))
    ).all()
    return {row.program_id: row for row in rows}


def control_descriptions(session: Session, control_ids: Sequence[int]) -> dict[int, str]:
    """Description of each control by id."""
    rows = session.exec(
        select(DERControlRow.id, DERControlRow.description).where(
            col(DERControlRow.id).in_(sorted(set(control_ids)))
        )
    ).all()
    return {int(i): d for i, d in rows if i is not None}


def active_token_by_id(session: Session, token_id: int) -> AdminToken | None:
    """The admin token with this id unless revoked (a dashboard session names its token)."""
    row = session.get(AdminToken, token_id)
    return row if row is not None and row.revoked_time is None else None


def bucket_means(
    session: Session, mmr_ids: Sequence[int], *, since: int, until: int, width_s: int
) -> Sequence[tuple[int, int, float, int]]:
    """Readings in [since, until) averaged per series and ``width_s`` bucket, in the database.

    Returns
    -------
    sequence of (mmr id, time of the bucket's first reading [s], mean raw value, count)
        Ordered by series, then time. Raw values: scale by the ReadingType's multiplier.
    """
    # Integer division of integers is the bucket number in both SQLite and PostgreSQL.
    offset = (col(MirrorReadingRow.time_period_start) - since).self_group()
    bucket = offset.op("/", precedence=100)(max(1, width_s))
    rows = session.exec(
        select(
            MirrorReadingRow.mmr_id,
            func.min(MirrorReadingRow.time_period_start),
            func.avg(MirrorReadingRow.value),
            func.count(),
        )
        .where(
            col(MirrorReadingRow.mmr_id).in_(mmr_ids),
            col(MirrorReadingRow.time_period_start) >= since,
            col(MirrorReadingRow.time_period_start) < until,
        )
        .group_by(col(MirrorReadingRow.mmr_id), bucket)
        .order_by(col(MirrorReadingRow.mmr_id), func.min(MirrorReadingRow.time_period_start))
    ).all()
    return [(int(m), int(t), float(v), int(n)) for m, t, v, n in rows]


def reading_values_in_range(
    session: Session, mmr_ids: Sequence[int], *, since: int, until: int, limit: int
) -> Sequence[tuple[int, int, int]]:
    """(mmr id, time [s], raw value) of readings in [since, until), time order, at most
    ``limit`` (plain tuples: an export of many rows skips building ORM objects)."""
    rows = session.exec(
        select(MirrorReadingRow.mmr_id, MirrorReadingRow.time_period_start, MirrorReadingRow.value)
        .where(
            col(MirrorReadingRow.mmr_id).in_(mmr_ids),
            col(MirrorReadingRow.time_period_start) >= since,
            col(MirrorReadingRow.time_period_start) < until,
        )
        .order_by(col(MirrorReadingRow.time_period_start), col(MirrorReadingRow.id))
        .limit(limit)
    ).all()
    return [(int(m), int(t), int(v)) for m, t, v in rows]


def response_counts(
    session: Session, control_ids: Sequence[int], *, aggregator_id: int | None
) -> dict[int, dict[int, int]]:
    """Per control: how many devices in scope posted each Response status (distinct)."""
    rows = session.exec(
        select(
            ControlResponseRow.der_control_id,
            ControlResponseRow.status,
            func.count(func.distinct(ControlResponseRow.end_device_id)),
        )
        .join(EndDeviceRow, col(EndDeviceRow.id) == col(ControlResponseRow.end_device_id))
        .where(col(ControlResponseRow.der_control_id).in_(control_ids), _in_scope(aggregator_id))
        .group_by(col(ControlResponseRow.der_control_id), col(ControlResponseRow.status))
    ).all()
    out: dict[int, dict[int, int]] = {}
    for control_id, status, count in rows:
        if control_id is not None and status is not None:
            out.setdefault(control_id, {})[status] = int(count)
    return out
