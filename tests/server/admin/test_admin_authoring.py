"""One authoring service (issue 8, item 6): typed specs for a target, the rules and the
aggregator's reach checked in the service, a publisher per protocol, and one transaction
per admin request holding the change, its outbox rows and its audit row."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import NOW, AdminEnv
from sqlalchemy import event
from sqlmodel import Session, select

from openderms.server.changes import RecordingChangeSink
from openderms.server.config import ServerSettings
from openderms.server.errors import NotFoundError
from openderms.server.scope import ServiceContext
from openderms.server.services import admin_fleet, authoring, programs
from openderms.server.store.admin import select_audit_records
from openderms.server.store.models import (
    ControlModeColumns,
    DefaultDERControlRow,
    DERControlRow,
    FunctionSetAssignmentsRow,
)

DEVICE = "0D" * 20


async def _post(env: AdminEnv, path: str, token: str, body: Any) -> tuple[int, Any]:
    response = await env.app.test_client().post(path, headers=env.auth(token), json=body)
    return response.status_code, await response.get_json()


class RecordingPublisher:
    """A second protocol beside 2030.5: what it was handed, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int | None]] = []

    def control_published(self, session: Session, ctx: ServiceContext, control: Any) -> None:
        self.events.append(("published", control.id))

    def control_cancelled(self, session: Session, ctx: ServiceContext, control: Any) -> None:
        self.events.append(("cancelled", control.id))

    def default_published(self, session: Session, ctx: ServiceContext, default: Any) -> None:
        self.events.append(("default", default.id))


def _ctx(changes: RecordingChangeSink) -> ServiceContext:
    return ServiceContext(now=NOW, settings=ServerSettings(), changes=changes)


def _device_and_program(session: Session, ctx: ServiceContext) -> tuple[int, int]:
    device = admin_fleet.register_device(
        session, ctx, lfdi=DEVICE, sfdi=None, pin=None, device_category=None, aggregator_id=None
    )
    group = programs.create_group(session, ctx, description="g")
    assert device.id is not None and group.id is not None
    programs.assign_devices(session, ctx, group.id, [device.id])
    program = programs.create_program(session, ctx, primacy=3, group_ids=[group.id])
    assert program.id is not None
    return device.id, program.id


def test_every_publisher_gets_each_authored_control_in_the_same_transaction(
    admin_env: AdminEnv,
) -> None:
    """The 2030.5 publisher reports the device's lists; a second one sees the same rows."""
    changes = RecordingChangeSink()
    second = RecordingPublisher()
    publishers = (authoring.Sep2Publisher(), second)

    def author(session: Session) -> tuple[int, int, int]:
        ctx = _ctx(changes)
        device_id, program_id = _device_and_program(session, ctx)
        changes.hrefs.clear()
        spec = authoring.ControlSpec(
            start_time=NOW, duration_s=600, modes=ControlModeColumns(op_mod_exp_lim_w=0.0)
        )
        control = authoring.create_control(
            session, ctx, authoring.ProgramTarget(program_id), spec, publishers=publishers
        )
        default = authoring.set_default_control(
            session,
            ctx,
            authoring.ProgramTarget(program_id),
            authoring.DefaultControlSpec(modes=ControlModeColumns(op_mod_exp_lim_w=5000.0)),
            publishers=publishers,
        )
        assert control.id is not None and default.id is not None
        authoring.cancel_control(session, ctx, control.id, publishers=publishers)
        return device_id, control.id, default.id

    device_id, control_id, default_id = admin_env.store.call(author)

    assert second.events == [
        ("published", control_id),
        ("default", default_id),
        ("cancelled", control_id),
    ]
    program_hrefs = {href for href in changes.hrefs if "/derp/" in href}
    assert {href.rsplit("/", 1)[1] for href in program_hrefs} == {"derc", "actderc", "dderc"}
    assert all(href.startswith(f"/edev/{device_id}/") for href in program_hrefs)


def test_an_author_that_fails_leaves_nothing_behind(admin_env: AdminEnv) -> None:
    """No service commits: a store call is one transaction, rolled back when it raises."""

    def author_then_fail(session: Session) -> None:
        ctx = _ctx(RecordingChangeSink())
        _, program_id = _device_and_program(session, ctx)
        spec = authoring.ControlSpec(
            start_time=NOW, duration_s=600, modes=ControlModeColumns(op_mod_connect=False)
        )
        authoring.create_control(session, ctx, authoring.ProgramTarget(program_id), spec)
        raise RuntimeError("the request fails after the control was written")

    with pytest.raises(RuntimeError):
        admin_env.store.call(author_then_fail)
    with admin_env.store.session() as session:
        assert session.exec(select(DERControlRow)).all() == []
        assert session.exec(select(DefaultDERControlRow)).all() == []


async def test_a_refused_device_control_creates_no_private_program(admin_env: AdminEnv) -> None:
    """Before, the device's private group and program were committed before the control was
    refused; now the refusal rolls the whole request back and audits only the refusal."""
    status, _ = await _post(admin_env, "/devices", admin_env.utility, {"lfdi": DEVICE})
    assert status == 201
    status, body = await _post(
        admin_env,
        f"/devices/{DEVICE}/controls",
        admin_env.utility,
        {"start": NOW - 700, "duration_s": 600, "modes": {"op_mod_exp_lim_w": 0}},
    )
    assert status == 400 and "before now" in body["message"]
    with admin_env.store.session() as session:
        private = session.exec(
            select(FunctionSetAssignmentsRow).where(
                FunctionSetAssignmentsRow.end_device_id.is_not(None)  # type: ignore[union-attr]
            )
        ).all()
        assert private == []
        audit = select_audit_records(session, start=0, limit=10, token_id=None)
    assert audit[0].action == "createDeviceControl" and audit[0].status_code == 400


async def test_a_created_control_and_its_audit_row_commit_together(admin_env: AdminEnv) -> None:
    status, _ = await _post(admin_env, "/devices", admin_env.utility, {"lfdi": DEVICE})
    status, control = await _post(
        admin_env,
        f"/devices/{DEVICE}/controls",
        admin_env.utility,
        {"duration_s": 600, "modes": {"op_mod_exp_lim_w": 0}},
    )
    assert status == 201
    with admin_env.store.session() as session:
        audit = select_audit_records(session, start=0, limit=1, token_id=None)[0]
        assert session.get(DERControlRow, control["id"]) is not None
    assert audit.action == "createDeviceControl"
    assert audit.summary["made"] == {"control_id": control["id"]}


async def _aggregator_cancel_statements(env: AdminEnv, first: int, fleet_size: int) -> int:
    """SQL statements an aggregator's cancel costs with ``fleet_size`` devices of its own."""
    lfdis = [f"{n:040X}" for n in range(first, first + fleet_size)]
    for lfdi in lfdis:
        status, _ = await _post(env, "/devices", env.aggregator, {"lfdi": lfdi})
        assert status == 201
    status, control = await _post(
        env,
        f"/devices/{lfdis[0]}/controls",
        env.aggregator,
        {"duration_s": 600, "modes": {"op_mod_exp_lim_w": 0}},
    )
    assert status == 201, control
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(env.store.engine, "before_cursor_execute", count)
    try:
        status, _ = await _post(env, f"/controls/{control['id']}/cancel", env.aggregator, {})
    finally:
        event.remove(env.store.engine, "before_cursor_execute", count)
    assert status == 200
    return len(statements)


async def test_aggregator_cancel_costs_the_same_statements_whatever_the_fleet_size(
    admin_env: AdminEnv,
) -> None:
    """The reach check is one counting query (`program_reach_in_scope`)."""
    small = await _aggregator_cancel_statements(admin_env, 1, 2)
    big = await _aggregator_cancel_statements(admin_env, 100, 40)
    assert big == small


def test_the_service_refuses_an_aggregator_a_program_others_see(admin_env: AdminEnv) -> None:
    """The scope rule lives in the service, so every author (not only the admin routes)
    gets it: one device outside the aggregator's fleet hides the program."""

    def author(session: Session) -> None:
        ctx = _ctx(RecordingChangeSink())
        own = admin_fleet.register_aggregator(session, ctx, "AA" * 20)
        _, program_id = _device_and_program(session, ctx)  # the utility's device
        spec = authoring.ControlSpec(
            start_time=NOW, duration_s=60, modes=ControlModeColumns(op_mod_connect=True)
        )
        with pytest.raises(NotFoundError):
            authoring.create_control(
                session, ctx, authoring.ProgramTarget(program_id), spec, aggregator_id=own
            )
        control = authoring.create_control(session, ctx, authoring.ProgramTarget(program_id), spec)
        assert control.id is not None
        with pytest.raises(NotFoundError):
            authoring.cancel_control(session, ctx, control.id, aggregator_id=own)

    admin_env.store.call(author)
