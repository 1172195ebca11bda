"""Fleet administration services behind the admin API: devices, groups, programs, views.

Controls and defaults are authored through `openderms.server.services.authoring`. Each
function takes the session, the `ServiceContext` (``now``, settings, change sink) and, for
device operations, the caller's ``aggregator_id`` (None = utility, every device). Nothing
here commits: the admin request's one transaction holds the change, its outbox rows
(IEEE 2030.5 §12.8) and its audit row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from openderms.certs.identity import sfdi_from_lfdi
from openderms.server import uris
from openderms.server.errors import BadRequestError, ConflictError, NotFoundError
from openderms.server.scope import ServiceContext
from openderms.server.services import programs
from openderms.server.services.device_telemetry import latest_responses, latest_telemetry
from openderms.server.services.rates import (
    POLL_RATE_SETTING,
    POST_RATE_SETTING,
    resource_poll_setting,
)
from openderms.server.services.unique import add_unique
from openderms.server.store.crud.der import DEVICE_LEVEL, select_latest_client_resource
from openderms.server.store.crud.derp import (
    select_controls,
    select_latest_default_control,
)
from openderms.server.store.crud.end_device import (
    get_or_create_aggregator,
    select_end_device_by_lfdi,
    select_end_devices,
)
from openderms.server.store.crud.fsa import (
    select_fsas_for_end_device,
    select_member_ids,
    select_programs_for_fsa,
)
from openderms.server.store.crud.settings import set_int_setting
from openderms.server.store.models import (
    DefaultDERControlRow,
    DERControlRow,
    DERProgramRow,
    EndDeviceRow,
    FsaMember,
    FsaProgram,
    FunctionSetAssignmentsRow,
    MirrorMeterReadingRow,
    MirrorReadingRow,
    MirrorUsagePointRow,
)
from openderms.server.store.paging import Page

__all__ = [
    "CLIENT_RESOURCE_KINDS",
    "assign_devices",
    "create_group",
    "create_program",
    "device_overview",
    "get_device",
    "get_group",
    "list_devices",
    "list_groups",
    "register_device",
    "set_rates",
]

#: Client-posted resources shown with a device (latest of each), with where they hang:
#: the DER's resources under its DER (/edev/{id}/der/1/...), the rest on the EndDevice.
CLIENT_RESOURCE_KINDS: dict[str, int] = {
    "DERStatus": uris.DER_INDEX,
    "DERSettings": uris.DER_INDEX,
    "DERCapability": uris.DER_INDEX,
    "DERAvailability": uris.DER_INDEX,
    "DeviceInformation": DEVICE_LEVEL,
    "PowerStatus": DEVICE_LEVEL,
}


# --- devices ---------------------------------------------------------------------------


def register_device(
    session: Session,
    ctx: ServiceContext,
    *,
    lfdi: str,
    sfdi: int | None,
    pin: int | None,
    device_category: str | None,
    aggregator_id: int | None,
) -> EndDeviceRow:
    """Register an EndDevice out of band; the SFDI defaults to the one its LFDI gives.

    Raises
    ------
    ConflictError
        The LFDI is registered already.
    BadRequestError
        The SFDI given does not belong to the LFDI (2030.5 §6.3.3: SFDI = LFDI's first
        36 bits plus a check digit).
    """
    lfdi = lfdi.upper()
    if select_end_device_by_lfdi(session, lfdi) is not None:
        raise ConflictError(f"an EndDevice with LFDI {lfdi} is registered already")
    derived = sfdi_from_lfdi(lfdi)
    if sfdi is not None and sfdi != derived:
        raise BadRequestError(f"SFDI {sfdi} does not match LFDI {lfdi} (expected {derived})")
    row = EndDeviceRow(
        lfdi=lfdi,
        sfdi=derived,
        aggregator_id=aggregator_id,
        device_category=device_category.upper() if device_category else None,
        registration_pin=pin,
        registered_time=ctx.now,
        changed_time=ctx.now,
    )
    add_unique(session, row, conflict=f"an EndDevice with LFDI {lfdi} is registered already")
    return row


def reassign_device(
    session: Session, ctx: ServiceContext, device: EndDeviceRow, *, aggregator_id: int | None
) -> EndDeviceRow:
    """Put a device under another aggregator (None: the utility itself) and commit.

    The utility's way to reclaim a device an aggregator registered: the old aggregator
    loses it at once (its certificate and tokens see it no more).
    """
    device.aggregator_id = aggregator_id
    device.changed_time = ctx.now
    # The new owner (or the device itself) may claim it in band once (issue 11 item 6).
    device.in_band_time = None
    session.add(device)
    session.commit()
    return device


def delete_mirror(session: Session, ctx: ServiceContext, mup_id: int) -> int:
    """Delete a MirrorUsagePoint with its MirrorMeterReadings and readings; returns how many
    readings went. Commits. The client re-creates it with its next creating POST."""
    mup = session.get(MirrorUsagePointRow, mup_id)
    if mup is None:
        raise NotFoundError(f"no MirrorUsagePoint {mup_id}")
    mmr_ids = select(MirrorMeterReadingRow.id).where(MirrorMeterReadingRow.mup_id == mup_id)
    removed = session.exec(
        select(func.count())
        .select_from(MirrorReadingRow)
        .where(col(MirrorReadingRow.mmr_id).in_(mmr_ids))
    ).one()
    # Bulk statements, readings first: the foreign keys point from readings to mirrors.
    session.execute(delete(MirrorReadingRow).where(col(MirrorReadingRow.mmr_id).in_(mmr_ids)))
    session.execute(
        delete(MirrorMeterReadingRow).where(col(MirrorMeterReadingRow.mup_id) == mup_id)
    )
    session.delete(mup)
    ctx.changes.resource_changed(session, uris.MUP_LIST)
    session.commit()
    return removed


def register_aggregator(session: Session, ctx: ServiceContext, lfdi: str) -> int:
    """The id of the aggregator with this certificate LFDI (made if new; no commit)."""
    row = get_or_create_aggregator(session, lfdi.upper(), now=ctx.now)
    assert row.id is not None
    return row.id


def get_device(session: Session, lfdi: str, *, aggregator_id: int | None) -> EndDeviceRow:
    """A device by LFDI, only within the caller's scope (others look absent)."""
    row = select_end_device_by_lfdi(session, lfdi.upper())
    if row is None or (aggregator_id is not None and row.aggregator_id != aggregator_id):
        raise NotFoundError(f"no EndDevice with LFDI {lfdi.upper()}")
    return row


def list_devices(
    session: Session, *, aggregator_id: int | None, start: int, limit: int
) -> tuple[int, Sequence[EndDeviceRow]]:
    """(total, page) of devices in the caller's scope, in registration order."""
    return select_end_devices(session, start=start, limit=limit, aggregator_id=aggregator_id)


def device_overview(session: Session, device: EndDeviceRow) -> dict[str, Any]:
    """Latest client-posted resources, telemetry, groups and control responses of a device.

    ``responses`` are the newest 100 Responses the device posted, oldest first.
    """
    assert device.id is not None
    latest: dict[str, Any] = {}
    for kind, der_index in CLIENT_RESOURCE_KINDS.items():
        found = select_latest_client_resource(session, device.id, kind, der_index=der_index)
        if found is not None:
            latest[kind] = {"received_time": found.received_time, "xml": found.xml}
    group_ids = session.exec(
        select(FsaMember.fsa_id)
        .where(FsaMember.end_device_id == device.id)
        .order_by(col(FsaMember.fsa_id))
    ).all()
    responses = latest_responses(session, device.id, limit=100)
    return {
        "latest": latest,
        "telemetry": latest_telemetry(session, device),
        "group_ids": list(group_ids),
        "responses": [
            {
                "der_control_id": r.der_control_id,
                "subject_mrid": r.subject_mrid,
                "status": r.status,
                "created_time": r.created_time,
                "received_time": r.received_time,
            }
            for r in responses
        ],
    }


def set_rates(
    session: Session,
    ctx: ServiceContext,
    *,
    device: EndDeviceRow | None,
    poll_rate_s: int | None,
    post_rate_s: int | None,
    resource: str | None = None,
) -> None:
    """Set pollRate/postRate [s] for one device, or fleet-wide when ``device`` is None;
    with ``resource`` (a key of `POLLED_RESOURCES`) the pollRate of that resource only."""
    if resource is not None:
        if poll_rate_s is not None:
            set_int_setting(session, resource_poll_setting(resource), poll_rate_s)
        session.commit()
        return
    if device is None:
        if poll_rate_s is not None:
            set_int_setting(session, POLL_RATE_SETTING, poll_rate_s)
        if post_rate_s is not None:
            set_int_setting(session, POST_RATE_SETTING, post_rate_s)
    else:
        if poll_rate_s is not None:
            device.poll_rate_s = poll_rate_s
        if post_rate_s is not None:
            device.post_rate_s = post_rate_s
        device.changed_time = ctx.now
        session.add(device)


# --- groups and programs ---------------------------------------------------------------


def get_group(session: Session, group_id: int) -> FunctionSetAssignmentsRow:
    """A shared group by id (devices' private groups are not addressable as groups)."""
    row = session.get(FunctionSetAssignmentsRow, group_id)
    if row is None or row.end_device_id is not None:
        raise NotFoundError(f"no group {group_id}")
    return row


def list_groups(session: Session) -> list[dict[str, Any]]:
    """Every shared group with its member and program ids."""
    rows = session.exec(
        select(FunctionSetAssignmentsRow)
        .where(col(FunctionSetAssignmentsRow.end_device_id).is_(None))
        .order_by(col(FunctionSetAssignmentsRow.id))
    ).all()
    return [
        {
            "id": row.id,
            "mrid": row.mrid,
            "description": row.description,
            "member_ids": list(select_member_ids(session, row.id or 0)),
            "program_ids": _program_ids_of_group(session, row.id or 0),
        }
        for row in rows
    ]


def _program_ids_of_group(session: Session, group_id: int) -> list[int]:
    return list(
        session.exec(
            select(FsaProgram.program_id)
            .where(FsaProgram.fsa_id == group_id)
            .order_by(col(FsaProgram.program_id))
        ).all()
    )


def get_program(session: Session, program_id: int) -> DERProgramRow:
    row = session.get(DERProgramRow, program_id)
    if row is None:
        raise NotFoundError(f"no DERProgram {program_id}")
    return row


def get_control(session: Session, control_id: int) -> DERControlRow:
    row = session.get(DERControlRow, control_id)
    if row is None:
        raise NotFoundError(f"no DERControl {control_id}")
    return row


def create_group(
    session: Session, ctx: ServiceContext, *, description: str
) -> FunctionSetAssignmentsRow:
    """A new, empty group (delegates to `programs.create_group`)."""
    return programs.create_group(session, ctx, description=description)


def assign_devices(
    session: Session, ctx: ServiceContext, *, group_id: int, devices: Iterable[EndDeviceRow]
) -> int:
    """Add devices to a group; returns how many were not members yet."""
    get_group(session, group_id)
    ids = [device.id for device in devices if device.id is not None]
    return programs.assign_devices(session, ctx, group_id, ids)


def create_program(
    session: Session,
    ctx: ServiceContext,
    *,
    description: str,
    primacy: int,
    group_ids: Sequence[int],
) -> DERProgramRow:
    """A DERProgram, listed in each of ``group_ids`` (shared groups only)."""
    for group_id in group_ids:
        get_group(session, group_id)
    return programs.create_program(
        session, ctx, primacy=primacy, description=description, group_ids=group_ids
    )


def device_programs(session: Session, device: EndDeviceRow) -> list[DERProgramRow]:
    """The programs a device sees through its groups, by primacy then id (distinct)."""
    assert device.id is not None
    everything = Page(start=0, after=None, limit=10_000)
    seen: dict[int, DERProgramRow] = {}
    for group in select_fsas_for_end_device(session, device.id, everything)[1]:
        for program in select_programs_for_fsa(session, group.id or 0, everything)[1]:
            if program.id is not None:
                seen[program.id] = program
    return sorted(seen.values(), key=lambda p: (p.primacy, p.id or 0))


def list_programs(session: Session) -> list[DERProgramRow]:
    """Every DERProgram (device-private ones included), by id."""
    return list(session.exec(select(DERProgramRow).order_by(col(DERProgramRow.id))).all())


def program_controls(
    session: Session, ctx: ServiceContext, program_id: int, *, limit: int
) -> tuple[int, Sequence[DERControlRow]]:
    """(count, first ``limit``) of a program's controls that have not ended by now.

    Cancelled and superseded ones are included (they stay listed, 2030.5 §12.1.3).
    """
    get_program(session, program_id)
    return select_controls(
        session, program_id, ended_after=ctx.now, page=Page(start=0, after=None, limit=limit)
    )


def latest_default_control(session: Session, program_id: int) -> DefaultDERControlRow | None:
    return select_latest_default_control(session, program_id)
