"""The admin API route table: one entry per operation, read by the app and the OpenAPI doc.

A handler is a synchronous function ``(session, call) -> JSON value`` run in a worker
thread with its own session; it parses nothing (the app validated the body into
``call.body``) and calls one service. ``utility_only`` routes refuse aggregator tokens;
the others check the aggregator's scope on each device they touch.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlmodel import Session

from openderms.server.admin.errors import AdminBadRequestError, AdminForbiddenError
from openderms.server.admin.schemas import (
    AssignDevicesBody,
    CancelControlBody,
    ControlModes,
    CreateControlBody,
    CreateGroupBody,
    CreateProgramBody,
    CreateTokenBody,
    DefaultControlBody,
    DeviceAccessBody,
    ReassignDeviceBody,
    RegisterDeviceBody,
    SetRatesBody,
)
from openderms.server.admin.tokens import Principal, create_token
from openderms.server.errors import NotFoundError
from openderms.server.scope import ServiceContext
from openderms.server.services import admin_fleet as fleet
from openderms.server.services import authoring
from openderms.server.store.admin import (
    AdminRole,
    revoke_admin_token,
    select_admin_tokens,
    select_audit_records,
)
from openderms.server.store.models import (
    ControlModeColumns,
    DefaultDERControlRow,
    DERControlRow,
    DERProgramRow,
    EndDeviceRow,
)
from openderms.server.url_ids import MAX_ROW_ID

__all__ = ["ROUTES", "AdminCall", "AdminRoute"]

MAX_PAGE = 500
_B = TypeVar("_B", bound=BaseModel)


@dataclass
class AdminCall:
    """One authenticated, validated request as a handler sees it."""

    principal: Principal
    ctx: ServiceContext
    params: Mapping[str, Any]
    query: Mapping[str, str]
    body: BaseModel | None
    #: Filled by the handler: ids of what it made, for the audit record.
    made: dict[str, Any] = field(default_factory=dict)

    def body_as(self, kind: type[_B]) -> _B:
        assert isinstance(self.body, kind)
        return self.body

    @property
    def aggregator_id(self) -> int | None:
        """The device scope: None for utility tokens (every device)."""
        return None if self.principal.is_utility else self.principal.aggregator_id


Handler = Callable[[Session, AdminCall], Any]


@dataclass(frozen=True)
class AdminRoute:
    """One operation of the admin API."""

    method: str
    path: str  # quart rule syntax, e.g. "/devices/<lfdi>"
    operation_id: str
    summary: str
    handler: Handler
    body: type[BaseModel] | None = None
    utility_only: bool = False
    #: True when it changes something (then it is audited).
    changes: bool = False
    query: tuple[str, ...] = ()
    status: int = 200
    tag: str = "devices"


# --- JSON views -----------------------------------------------------------------------


def device_json(row: EndDeviceRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "lfdi": row.lfdi,
        "sfdi": row.sfdi,
        "aggregator_id": row.aggregator_id,
        "device_category": row.device_category,
        "enabled": row.enabled,
        "registration_pin": row.registration_pin,
        "registered_time": row.registered_time,
        "changed_time": row.changed_time,
        "poll_rate_s": row.poll_rate_s,
        "post_rate_s": row.post_rate_s,
        "connection_point_id": row.connection_point_id,
    }


def _modes_json(row: DERControlRow | DefaultDERControlRow) -> dict[str, Any]:
    # The modes the admin API authors (the table's admin rows), as set on the row.
    return {
        name: getattr(row, name)
        for name in ControlModes.model_fields
        if getattr(row, name) is not None
    }


def control_json(row: DERControlRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "program_id": row.program_id,
        "mrid": row.mrid,
        "description": row.description,
        "creation_time": row.creation_time,
        "start": row.start_time,
        "duration_s": row.duration_s,
        "randomize_start_s": row.randomize_start_s,
        "randomize_duration_s": row.randomize_duration_s,
        "cancelled_time": row.cancelled_time,
        "cancel_randomized": row.cancel_randomized,
        "superseded_time": row.superseded_time,
        "modes": _modes_json(row),
    }


def default_control_json(row: DefaultDERControlRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "program_id": row.program_id,
        "mrid": row.mrid,
        "description": row.description,
        "created_time": row.created_time,
        "set_grad_w": row.set_grad_w,
        "modes": _modes_json(row),
    }


def program_json(row: DERProgramRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "mrid": row.mrid,
        "description": row.description,
        "primacy": row.primacy,
        "created_time": row.created_time,
    }


# --- helpers ----------------------------------------------------------------------------


_DIGITS = re.compile(r"[0-9]{1,10}")


def _page(call: AdminCall) -> tuple[int, int]:
    raw_start, raw_limit = call.query.get("start", "0"), call.query.get("limit", "100")
    if _DIGITS.fullmatch(raw_start) is None or _DIGITS.fullmatch(raw_limit) is None:
        raise AdminBadRequestError("start and limit must be integers of ASCII digits")
    start, limit = int(raw_start), int(raw_limit)
    if start > MAX_ROW_ID or not 1 <= limit <= MAX_PAGE:
        raise AdminBadRequestError(f"need 0 <= start <= {MAX_ROW_ID} and 1 <= limit <= {MAX_PAGE}")
    return start, limit


def _device(session: Session, call: AdminCall) -> EndDeviceRow:
    return fleet.get_device(session, str(call.params["lfdi"]), aggregator_id=call.aggregator_id)


def _control_spec(body: CreateControlBody, now: int) -> authoring.ControlSpec:
    return authoring.ControlSpec(
        start_time=body.start if body.start is not None else now,
        duration_s=body.duration_s,
        modes=ControlModeColumns(**body.modes.model_dump(exclude_none=True)),
        description=body.description,
        randomize_start_s=body.randomize_start_s,
        randomize_duration_s=body.randomize_duration_s,
    )


def _create_control(session: Session, call: AdminCall, target: authoring.Target) -> Any:
    body = call.body_as(CreateControlBody)
    row = authoring.create_control(
        session,
        call.ctx,
        target,
        _control_spec(body, call.ctx.now),
        aggregator_id=call.aggregator_id,
    )
    call.made["control_id"] = row.id
    return control_json(row)


def _set_default(session: Session, call: AdminCall, target: authoring.Target) -> Any:
    body = call.body_as(DefaultControlBody)
    spec = authoring.DefaultControlSpec(
        modes=ControlModeColumns(**body.modes.model_dump(exclude_none=True)),
        description=body.description,
        set_grad_w=body.set_grad_w,
    )
    row = authoring.set_default_control(
        session, call.ctx, target, spec, aggregator_id=call.aggregator_id
    )
    call.made["default_control_id"] = row.id
    return default_control_json(row)


def _device_target(session: Session, call: AdminCall, program_id: int | None) -> Any:
    if program_id is not None:
        raise AdminBadRequestError("program_id applies to group controls only")
    device = _device(session, call)
    assert device.id is not None
    return authoring.DeviceTarget(device.id)


def _program_target(call: AdminCall, program_id: int | None) -> authoring.ProgramTarget:
    if program_id is not None:
        raise AdminBadRequestError("program_id applies to group controls only")
    return authoring.ProgramTarget(int(call.params["program_id"]))


# --- handlers ---------------------------------------------------------------------------


def list_devices(session: Session, call: AdminCall) -> Any:
    start, limit = _page(call)
    total, rows = fleet.list_devices(
        session, aggregator_id=call.aggregator_id, start=start, limit=limit
    )
    return {"all": total, "start": start, "devices": [device_json(r) for r in rows]}


def register_device(session: Session, call: AdminCall) -> Any:
    body = call.body_as(RegisterDeviceBody)
    if call.principal.is_utility:
        aggregator_id = (
            fleet.register_aggregator(session, call.ctx, body.aggregator_lfdi)
            if body.aggregator_lfdi
            else None
        )
    else:
        if body.aggregator_lfdi:
            raise AdminForbiddenError("an aggregator token registers under its own aggregator")
        aggregator_id = call.principal.aggregator_id
    row = fleet.register_device(
        session,
        call.ctx,
        lfdi=body.lfdi,
        sfdi=body.sfdi,
        pin=body.pin,
        device_category=body.device_category,
        aggregator_id=aggregator_id,
    )
    call.made["end_device_id"] = row.id
    return device_json(row)


def reassign_device(session: Session, call: AdminCall) -> Any:
    body = call.body_as(ReassignDeviceBody)
    device = _device(session, call)
    aggregator_id = (
        fleet.register_aggregator(session, call.ctx, body.aggregator_lfdi)
        if body.aggregator_lfdi
        else None
    )
    return device_json(
        fleet.reassign_device(session, call.ctx, device, aggregator_id=aggregator_id)
    )


def show_device(session: Session, call: AdminCall) -> Any:
    row = _device(session, call)
    return {**device_json(row), **fleet.device_overview(session, row)}


def create_device_control(session: Session, call: AdminCall) -> Any:
    target = _device_target(session, call, call.body_as(CreateControlBody).program_id)
    return _create_control(session, call, target)


def set_device_default_control(session: Session, call: AdminCall) -> Any:
    target = _device_target(session, call, call.body_as(DefaultControlBody).program_id)
    return _set_default(session, call, target)


def set_device_access(session: Session, call: AdminCall) -> Any:
    body = call.body_as(DeviceAccessBody)
    device = _device(session, call)
    device.enabled = body.enabled
    device.changed_time = call.ctx.now
    session.add(device)
    return {"lfdi": device.lfdi, "enabled": device.enabled}


def delete_mirror(session: Session, call: AdminCall) -> Any:
    mup_id = int(call.params["mup_id"])
    return {"id": mup_id, "readings_deleted": fleet.delete_mirror(session, call.ctx, mup_id)}


def list_tokens(session: Session, call: AdminCall) -> Any:
    return {
        "tokens": [
            {
                "id": t.id,
                "name": t.name,
                "role": t.role,
                "aggregator_id": t.aggregator_id,
                "created_time": t.created_time,
                "revoked_time": t.revoked_time,
            }
            for t in select_admin_tokens(session)
        ]
    }


def list_groups(session: Session, call: AdminCall) -> Any:
    return {"groups": fleet.list_groups(session)}


def create_group(session: Session, call: AdminCall) -> Any:
    body = call.body_as(CreateGroupBody)
    row = fleet.create_group(session, call.ctx, description=body.description)
    call.made["group_id"] = row.id
    return {"id": row.id, "mrid": row.mrid, "description": row.description}


def assign_devices(session: Session, call: AdminCall) -> Any:
    body = call.body_as(AssignDevicesBody)
    devices = [fleet.get_device(session, lfdi, aggregator_id=None) for lfdi in body.lfdis]
    added = fleet.assign_devices(
        session, call.ctx, group_id=int(call.params["group_id"]), devices=devices
    )
    return {"group_id": call.params["group_id"], "added": added}


def create_group_control(session: Session, call: AdminCall) -> Any:
    body = call.body_as(CreateControlBody)
    target = authoring.GroupTarget(int(call.params["group_id"]), body.program_id)
    return _create_control(session, call, target)


def set_group_default_control(session: Session, call: AdminCall) -> Any:
    body = call.body_as(DefaultControlBody)
    target = authoring.GroupTarget(int(call.params["group_id"]), body.program_id)
    return _set_default(session, call, target)


def create_program(session: Session, call: AdminCall) -> Any:
    body = call.body_as(CreateProgramBody)
    row = fleet.create_program(
        session,
        call.ctx,
        description=body.description,
        primacy=body.primacy,
        group_ids=body.group_ids,
    )
    call.made["program_id"] = row.id
    return program_json(row)


def create_program_control(session: Session, call: AdminCall) -> Any:
    target = _program_target(call, call.body_as(CreateControlBody).program_id)
    return _create_control(session, call, target)


def set_program_default_control(session: Session, call: AdminCall) -> Any:
    target = _program_target(call, call.body_as(DefaultControlBody).program_id)
    return _set_default(session, call, target)


def cancel_control(session: Session, call: AdminCall) -> Any:
    body = call.body_as(CancelControlBody)
    row = authoring.cancel_control(
        session,
        call.ctx,
        int(call.params["control_id"]),
        randomized=body.randomized,
        aggregator_id=call.aggregator_id,
    )
    return control_json(row)


def set_rates(session: Session, call: AdminCall) -> Any:
    body = call.body_as(SetRatesBody)
    device = None
    if body.lfdi is not None:
        device = fleet.get_device(session, body.lfdi, aggregator_id=call.aggregator_id)
    elif not call.principal.is_utility:
        raise AdminForbiddenError("only a utility token sets fleet-wide rates; give lfdi")
    fleet.set_rates(
        session,
        call.ctx,
        device=device,
        poll_rate_s=body.poll_rate_s,
        post_rate_s=body.post_rate_s,
        resource=body.resource,
    )
    return {
        "scope": "device" if device else ("resource" if body.resource else "fleet"),
        "resource": body.resource,
        "lfdi": device.lfdi if device else None,
        "poll_rate_s": body.poll_rate_s,
        "post_rate_s": body.post_rate_s,
    }


def create_admin_token(session: Session, call: AdminCall) -> Any:
    body = call.body_as(CreateTokenBody)
    issued = create_token(
        session,
        name=body.name,
        role=AdminRole(body.role),
        aggregator_lfdi=body.aggregator_lfdi,
        now=call.ctx.now,
    )
    call.made["token_id"] = issued.token_id
    return {
        "id": issued.token_id,
        "name": issued.name,
        "role": issued.role.value,
        "aggregator_id": issued.aggregator_id,
        "token": issued.token,
    }


def revoke_token(session: Session, call: AdminCall) -> Any:
    token_id = int(call.params["token_id"])
    if not revoke_admin_token(session, token_id, now=call.ctx.now):
        raise NotFoundError(f"no active token {token_id}")
    return {"id": token_id, "revoked_time": call.ctx.now}


def _controls_json(session: Session, call: AdminCall, program: DERProgramRow) -> Any:
    assert program.id is not None
    total, rows = fleet.program_controls(session, call.ctx, program.id, limit=MAX_PAGE)
    default = fleet.latest_default_control(session, program.id)
    return {
        **program_json(program),
        "controls_all": total,
        "controls": [control_json(r) for r in rows],
        "default_control": default_control_json(default) if default else None,
    }


def list_programs(session: Session, call: AdminCall) -> Any:
    return {"programs": [program_json(r) for r in fleet.list_programs(session)]}


def show_program(session: Session, call: AdminCall) -> Any:
    program = fleet.get_program(session, int(call.params["program_id"]))
    return _controls_json(session, call, program)


def list_device_controls(session: Session, call: AdminCall) -> Any:
    device = _device(session, call)
    programs = fleet.device_programs(session, device)
    return {"lfdi": device.lfdi, "programs": [_controls_json(session, call, p) for p in programs]}


def list_audit(session: Session, call: AdminCall) -> Any:
    start, limit = _page(call)
    token_id = None if call.principal.is_utility else call.principal.token_id
    rows = select_audit_records(session, start=start, limit=limit, token_id=token_id)
    return {
        "records": [
            {
                "id": r.id,
                "time": r.time,
                "actor": r.actor,
                "role": r.role,
                "token_id": r.token_id,
                "action": r.action,
                "method": r.method,
                "path": r.path,
                "status_code": r.status_code,
                "summary": r.summary,
            }
            for r in rows
        ]
    }


PAGE = ("start", "limit")

ROUTES: tuple[AdminRoute, ...] = (
    AdminRoute(
        "GET",
        "/devices",
        "listDevices",
        "List devices in the token's scope",
        list_devices,
        query=PAGE,
    ),
    AdminRoute(
        "POST",
        "/devices",
        "registerDevice",
        "Register a device out of band (LFDI, SFDI, PIN)",
        register_device,
        body=RegisterDeviceBody,
        changes=True,
        status=201,
    ),
    AdminRoute(
        "GET",
        "/devices/<lfdi>",
        "showDevice",
        "A device with its latest status, settings, telemetry resources and control responses",
        show_device,
    ),
    AdminRoute(
        "PUT",
        "/devices/<lfdi>/aggregator",
        "reassignDevice",
        "Move a device to an aggregator, or reclaim it for the utility (null)",
        reassign_device,
        body=ReassignDeviceBody,
        utility_only=True,
        changes=True,
    ),
    AdminRoute(
        "PUT",
        "/devices/<lfdi>/access",
        "setDeviceAccess",
        "Disable or re-enable a client's 2030.5 access (its certificate, by LFDI)",
        set_device_access,
        body=DeviceAccessBody,
        utility_only=True,
        changes=True,
    ),
    AdminRoute(
        "DELETE",
        "/mirrors/<int:mup_id>",
        "deleteMirror",
        "Delete a MirrorUsagePoint with its readings (the client re-creates it)",
        delete_mirror,
        utility_only=True,
        changes=True,
    ),
    AdminRoute(
        "GET",
        "/tokens",
        "listTokens",
        "List admin tokens (names, roles, revocation; never the secrets)",
        list_tokens,
        utility_only=True,
    ),
    AdminRoute(
        "POST",
        "/devices/<lfdi>/controls",
        "createDeviceControl",
        "Schedule a DERControl for one device",
        create_device_control,
        body=CreateControlBody,
        changes=True,
        status=201,
        tag="controls",
    ),
    AdminRoute(
        "PUT",
        "/devices/<lfdi>/default-control",
        "setDeviceDefaultControl",
        "Set one device's DefaultDERControl",
        set_device_default_control,
        body=DefaultControlBody,
        changes=True,
        tag="controls",
    ),
    AdminRoute(
        "GET",
        "/devices/<lfdi>/controls",
        "listDeviceControls",
        "The device's programs with their current and future controls and defaults",
        list_device_controls,
        tag="controls",
    ),
    AdminRoute(
        "GET",
        "/programs",
        "listPrograms",
        "List DERPrograms",
        list_programs,
        utility_only=True,
        tag="programs",
    ),
    AdminRoute(
        "GET",
        "/programs/<int:program_id>",
        "showProgram",
        "A program with its current and future controls and its default",
        show_program,
        utility_only=True,
        tag="programs",
    ),
    AdminRoute(
        "GET",
        "/groups",
        "listGroups",
        "List groups with their members and programs",
        list_groups,
        utility_only=True,
        tag="groups",
    ),
    AdminRoute(
        "POST",
        "/groups",
        "createGroup",
        "Create a group (FunctionSetAssignments)",
        create_group,
        body=CreateGroupBody,
        utility_only=True,
        changes=True,
        status=201,
        tag="groups",
    ),
    AdminRoute(
        "POST",
        "/groups/<int:group_id>/devices",
        "assignDevices",
        "Add devices to a group",
        assign_devices,
        body=AssignDevicesBody,
        utility_only=True,
        changes=True,
        tag="groups",
    ),
    AdminRoute(
        "POST",
        "/groups/<int:group_id>/controls",
        "createGroupControl",
        "Schedule a DERControl for a group (in its program)",
        create_group_control,
        body=CreateControlBody,
        utility_only=True,
        changes=True,
        status=201,
        tag="controls",
    ),
    AdminRoute(
        "PUT",
        "/groups/<int:group_id>/default-control",
        "setGroupDefaultControl",
        "Set a group's DefaultDERControl (in its program)",
        set_group_default_control,
        body=DefaultControlBody,
        utility_only=True,
        changes=True,
        tag="controls",
    ),
    AdminRoute(
        "POST",
        "/programs",
        "createProgram",
        "Create a DERProgram and list it in groups",
        create_program,
        body=CreateProgramBody,
        utility_only=True,
        changes=True,
        status=201,
        tag="programs",
    ),
    AdminRoute(
        "POST",
        "/programs/<int:program_id>/controls",
        "createProgramControl",
        "Schedule a DERControl in a program",
        create_program_control,
        body=CreateControlBody,
        utility_only=True,
        changes=True,
        status=201,
        tag="controls",
    ),
    AdminRoute(
        "PUT",
        "/programs/<int:program_id>/default-control",
        "setProgramDefaultControl",
        "Set a program's DefaultDERControl",
        set_program_default_control,
        body=DefaultControlBody,
        utility_only=True,
        changes=True,
        tag="controls",
    ),
    AdminRoute(
        "POST",
        "/controls/<int:control_id>/cancel",
        "cancelControl",
        "Cancel a DERControl (it stays listed as cancelled)",
        cancel_control,
        body=CancelControlBody,
        changes=True,
        tag="controls",
    ),
    AdminRoute(
        "PUT",
        "/rates",
        "setRates",
        "Set pollRate/postRate fleet-wide or for one device",
        set_rates,
        body=SetRatesBody,
        changes=True,
    ),
    AdminRoute(
        "POST",
        "/tokens",
        "createToken",
        "Issue an admin token (shown once)",
        create_admin_token,
        body=CreateTokenBody,
        utility_only=True,
        changes=True,
        status=201,
        tag="admin",
    ),
    AdminRoute(
        "POST",
        "/tokens/<int:token_id>/revoke",
        "revokeToken",
        "Revoke an admin token (it stops working at once)",
        revoke_token,
        utility_only=True,
        changes=True,
        tag="admin",
    ),
    AdminRoute(
        "GET",
        "/audit",
        "listAudit",
        "Audit records, newest first (aggregators see their own)",
        list_audit,
        query=PAGE,
        tag="admin",
    ),
)
