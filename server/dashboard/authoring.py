"""Changes made from the dashboard's forms, as admin API operations (pure but for previews).

A form becomes an `AuthoredChange`: the admin route's operation id, its path parameters and
a JSON body validated by the route's own pydantic model. The dashboard then runs it through
the admin API's `AdminDispatcher`, so a form follows the same rules (scope, validation,
supersession) and leaves the same audit record as the API call. Nothing here writes.

Before a control is scheduled the operator sees `control_preview`: which devices it
reaches, resolved with the same services the admin handlers use to pick the program.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, get_args

from pydantic import ValidationError
from sqlmodel import Session
from werkzeug.datastructures import MultiDict

from openderms.server.admin.routes import ROUTES, AdminRoute
from openderms.server.admin.schemas import ControlModes
from openderms.server.dashboard.errors import DashboardBadRequestError
from openderms.server.dashboard.params import lfdi_param, parse_when
from openderms.server.dashboard.views import control_json
from openderms.server.services import admin_fleet as fleet
from openderms.server.services import authoring
from openderms.server.store.crud import dashboard as q
from openderms.server.store.crud.fsa import select_end_device_ids_seeing_program
from openderms.server.store.models import EndDeviceRow

__all__ = [
    "AUTHORED_OPERATIONS",
    "MODE_FIELDS",
    "TARGET_KINDS",
    "AuthoredChange",
    "ModeField",
    "cancel_change",
    "cancel_preview",
    "control_change",
    "control_preview",
    "form_choices",
    "manage_change",
    "route_of",
]

TARGET_KINDS = ("device", "group", "program")
_ROUTES = {route.operation_id: route for route in ROUTES}
#: (target kind, default control?) -> admin operation.
_CONTROL_OPERATIONS = {
    ("device", False): "createDeviceControl",
    ("group", False): "createGroupControl",
    ("program", False): "createProgramControl",
    ("device", True): "setDeviceDefaultControl",
    ("group", True): "setGroupDefaultControl",
    ("program", True): "setProgramDefaultControl",
}
#: Fleet forms of the manage page -> admin operation.
_MANAGE_OPERATIONS = (
    "registerDevice",
    "createGroup",
    "assignDevices",
    "createProgram",
    "setRates",
)
#: Every admin operation a dashboard form may run.
AUTHORED_OPERATIONS = frozenset(
    {*_CONTROL_OPERATIONS.values(), *_MANAGE_OPERATIONS, "cancelControl"}
)
#: Longest list of devices a preview names (the count is always exact).
PREVIEW_DEVICES = 200
_WORDS = re.compile(r"[\s,;]+")
Form = MultiDict[str, str]


@dataclass(frozen=True, slots=True)
class ModeField:
    """One DERControlBase mode of the admin API, as a form input."""

    name: str
    label: str
    kind: str  # "bool", "int" or "float"
    unit: str


_LABELS = {
    "op_mod_connect": ("Connect (opModConnect)", ""),
    "op_mod_energize": ("Energize (opModEnergize)", ""),
    "op_mod_exp_lim_w": ("Export limit (opModExpLimW)", "W"),
    "op_mod_imp_lim_w": ("Import limit (opModImpLimW)", "W"),
    "op_mod_gen_lim_w": ("Generation limit (opModGenLimW)", "W"),
    "op_mod_load_lim_w": ("Load limit (opModLoadLimW)", "W"),
    "op_mod_fixed_w_pct": ("Fixed active power (opModFixedW)", "% of max W"),
    "op_mod_max_lim_w_pct": ("Max active power (opModMaxLimW)", "% of max W"),
    "op_mod_target_w": ("Target active power (opModTargetW)", "W"),
    "ramp_tms": ("Ramp time (rampTms)", "1/100 s"),
}


def _mode_fields() -> tuple[ModeField, ...]:
    out = []
    for name, info in ControlModes.model_fields.items():
        types = {t for t in get_args(info.annotation) if t is not type(None)}
        kind = "bool" if bool in types else "int" if int in types else "float"
        label, unit = _LABELS.get(name, (name, ""))
        out.append(ModeField(name, label, kind, unit))
    return tuple(out)


#: Every mode the admin API takes, in its order (a new mode there appears here).
MODE_FIELDS = _mode_fields()


@dataclass(frozen=True, slots=True)
class AuthoredChange:
    """An admin operation a form asks for: run it with `AdminDispatcher.execute`."""

    operation_id: str
    params: dict[str, Any]
    body: dict[str, Any]

    @property
    def route(self) -> AdminRoute:
        return route_of(self.operation_id)

    def data(self) -> bytes:
        return json.dumps(self.body, separators=(",", ":")).encode("utf-8")


def route_of(operation_id: str) -> AdminRoute:
    """The admin route a dashboard form may run (others are refused)."""
    if operation_id not in AUTHORED_OPERATIONS:
        raise DashboardBadRequestError(f"the dashboard does not run {operation_id[:40]!r}")
    return _ROUTES[operation_id]


def _validated(operation_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` checked by the route's own model, as typed JSON (what the API would store)."""
    model = route_of(operation_id).body
    assert model is not None
    try:
        parsed = model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"] if p != "modes") or "form"
        raise DashboardBadRequestError(f"{where}: {first['msg']}") from None
    return parsed.model_dump(mode="json", exclude_none=True)


def _text(form: Form, name: str) -> str:
    return (form.get(name) or "").strip()


def _number(form: Form, name: str, kind: str = "float") -> int | float | None:
    text = _text(form, name)
    if not text:
        return None
    try:
        return int(text) if kind == "int" else float(text)
    except ValueError:
        raise DashboardBadRequestError(f"{name} must be a number, not {text[:20]!r}") from None


def _modes(form: Form) -> dict[str, Any]:
    modes: dict[str, Any] = {}
    for field in MODE_FIELDS:
        key = f"mode.{field.name}"
        if field.kind == "bool":
            text = _text(form, key)
            if text in ("true", "false"):
                modes[field.name] = text == "true"
            elif text:
                raise DashboardBadRequestError(f"{field.name} is true, false or unset")
        else:
            value = _number(form, key, field.kind)
            if value is not None:
                modes[field.name] = value
    return modes


def _target_params(kind: str, target: str) -> dict[str, Any]:
    if kind == "device":
        return {"lfdi": lfdi_param(target)}
    if not target.isdigit():
        raise DashboardBadRequestError(f"choose a {kind}")
    return {f"{kind}_id": int(target)}


def control_change(form: Form, *, now: int) -> AuthoredChange:
    """A DERControl (``kind=event``) or DefaultDERControl (``kind=default``) from the form.

    ``target_kind`` is device, group or program; ``start`` is empty/now, ``+10m`` or a time
    (see `parse_when`); ``duration_min`` in minutes; modes as ``mode.<field>``.
    """
    kind = _text(form, "target_kind")
    if kind not in TARGET_KINDS:
        raise DashboardBadRequestError("target_kind is device, group or program")
    default = _text(form, "kind") == "default"
    params = _target_params(kind, _text(form, f"target_{kind}") or _text(form, "target"))
    body: dict[str, Any] = {"description": _text(form, "description"), "modes": _modes(form)}
    if kind == "group" and _text(form, "program_id"):
        body["program_id"] = _number(form, "program_id", "int")
    if default:
        body["set_grad_w"] = _number(form, "set_grad_w", "int")
    else:
        minutes = _number(form, "duration_min")
        if minutes is None:
            raise DashboardBadRequestError("duration_min: give the duration in minutes")
        body["start"] = parse_when("start", _text(form, "start"), now=now)
        body["duration_s"] = round(minutes * 60)
        for name in ("randomize_start_s", "randomize_duration_s"):
            body[name] = _number(form, name, "int")
    if not body["modes"]:
        raise DashboardBadRequestError("set at least one control mode")
    operation = _CONTROL_OPERATIONS[(kind, default)]
    return AuthoredChange(
        operation, params, _validated(operation, {k: v for k, v in body.items() if v is not None})
    )


def cancel_change(control_id: int, form: Form) -> AuthoredChange:
    """Cancel a DERControl, with randomization when the form asks for it."""
    body = {"randomized": _text(form, "randomized") == "true"}
    return AuthoredChange(
        "cancelControl", {"control_id": control_id}, _validated("cancelControl", body)
    )


def manage_change(operation_id: str, form: Form) -> AuthoredChange:
    """One of the manage page's fleet forms (register, groups, programs, rates)."""
    params: dict[str, Any] = {}
    body: dict[str, Any]
    if operation_id == "registerDevice":
        body = {
            "lfdi": _text(form, "lfdi"),
            "sfdi": _number(form, "sfdi", "int"),
            "pin": _number(form, "pin", "int"),
            "device_category": _text(form, "device_category") or None,
            "aggregator_lfdi": _text(form, "aggregator_lfdi") or None,
        }
    elif operation_id == "createGroup":
        body = {"description": _text(form, "description")}
    elif operation_id == "assignDevices":
        group = _number(form, "group_id", "int")
        if group is None:
            raise DashboardBadRequestError("choose a group")
        params = {"group_id": group}
        body = {"lfdis": [w for w in _WORDS.split(_text(form, "lfdis")) if w]}
    elif operation_id == "createProgram":
        body = {
            "description": _text(form, "description"),
            "primacy": _number(form, "primacy", "int"),
            "group_ids": [int(g) for g in form.getlist("group_ids") if g.isdigit()],
        }
    elif operation_id == "setRates":
        body = {
            "lfdi": _text(form, "lfdi") or None,
            "poll_rate_s": _number(form, "poll_rate_s", "int"),
            "post_rate_s": _number(form, "post_rate_s", "int"),
        }
    else:
        raise DashboardBadRequestError(f"no fleet form {operation_id[:40]!r}")
    clean = {k: v for k, v in body.items() if v is not None}
    return AuthoredChange(operation_id, params, _validated(operation_id, clean))


def _device_rows(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    rows = []
    for device_id in ids[:PREVIEW_DEVICES]:
        row = session.get(EndDeviceRow, device_id)
        if row is not None:
            rows.append({"lfdi": row.lfdi, "sfdi": row.sfdi, "aggregator_id": row.aggregator_id})
    return rows


def control_preview(
    session: Session, change: AuthoredChange, *, aggregator_id: int | None
) -> dict[str, Any]:
    """Which program a control goes into and which devices it reaches (writes nothing).

    Raises the admin services' `NotFoundError` for a target that does not exist or is out
    of the caller's scope, exactly as the API call would.
    """
    params = change.params
    if "lfdi" in params:
        device = fleet.get_device(session, params["lfdi"], aggregator_id=aggregator_id)
        assert device.id is not None
        return {
            "program": None,
            "device_count": 1,
            "devices": _device_rows(session, [device.id]),
        }
    if aggregator_id is not None:
        raise DashboardBadRequestError("an aggregator schedules controls per device")
    if "group_id" in params:
        program = authoring.program_of(
            session, authoring.GroupTarget(params["group_id"], change.body.get("program_id"))
        )
    else:
        program = authoring.program_of(session, authoring.ProgramTarget(params["program_id"]))
    assert program.id is not None
    ids = list(select_end_device_ids_seeing_program(session, program.id))
    return {
        "program": {
            "id": program.id,
            "description": program.description,
            "primacy": program.primacy,
        },
        "device_count": len(ids),
        "devices": _device_rows(session, ids),
    }


def cancel_preview(
    session: Session, control_id: int, *, aggregator_id: int | None, now: int
) -> dict[str, Any]:
    """A control and the devices in the caller's scope that see it (writes nothing).

    Whether the caller may cancel it is the admin operation's decision, not the preview's.
    """
    control = fleet.get_control(session, control_id)
    ids = list(select_end_device_ids_seeing_program(session, control.program_id))
    if aggregator_id is not None:
        visible = set(q.scoped_device_ids(session, aggregator_id=aggregator_id))
        ids = [i for i in ids if i in visible]
    return {
        "control": control_json(control, now),
        "device_count": len(ids),
        "devices": _device_rows(session, ids),
    }


def form_choices(session: Session, *, aggregator_id: int | None) -> dict[str, Any]:
    """What the forms offer: devices in scope; groups and programs for a utility only."""
    _, devices = q.scoped_devices(session, aggregator_id=aggregator_id, start=0, limit=500)
    utility = aggregator_id is None
    return {
        "devices": [{"lfdi": d.lfdi, "sfdi": d.sfdi} for d in devices],
        "groups": [
            {"id": g.id, "description": g.description}
            for g in q.groups_in_scope(session, aggregator_id=None)
        ]
        if utility
        else [],
        "programs": [
            {"id": p.id, "description": p.description, "primacy": p.primacy}
            for p in q.programs_in_scope(session, aggregator_id=None)
        ]
        if utility
        else [],
        "target_kinds": TARGET_KINDS if utility else ("device",),
    }
