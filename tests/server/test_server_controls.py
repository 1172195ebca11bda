"""DERControl lifecycle as clients see it: EventStatus through schedule, start, cancel and
supersede, ActiveDERControlList, DefaultDERControl, primacy, curves, paging."""

from __future__ import annotations

from sqlmodel import select

from openderms.schemas.sep2 import models as sep
from openderms.server.services import programs
from openderms.server.services.programs import ControlModes
from openderms.server.store.models import DERControlRow
from openderms.testing.clock import NOW
from openderms.testing.head_end import Enrolled, Sep2Server, enroll, parse, schedule_control


def _control(srv: Sep2Server, program_id: int, start: int, duration: int, **modes: float) -> int:
    row = schedule_control(
        srv, program_id, start_time=start, duration_s=duration, modes=ControlModes(**modes)
    )
    assert row.id is not None
    return row.id


async def _controls(srv: Sep2Server, name: str, e: Enrolled) -> sep.DERControlList:
    response = await srv.client(name).get(f"/edev/{e.device_id}/derp/{e.program_id}/derc")
    return parse(response, sep.DERControlList)


async def _active(srv: Sep2Server, name: str, e: Enrolled) -> sep.DERControlList:
    response = await srv.client(name).get(f"/edev/{e.device_id}/derp/{e.program_id}/actderc")
    return parse(response, sep.DERControlList)


async def test_control_is_scheduled_then_active(sep2_server: Sep2Server) -> None:
    """EventStatus 0 before interval.start, 1 from it; it is in ActiveDERControlList then."""
    srv = sep2_server
    e = enroll(srv, "life")
    _control(srv, e.program_id, NOW + 300, 600, op_mod_max_lim_w_pct=50.0)
    before = await _controls(srv, "life", e)
    assert before.DERControl[0].EventStatus.currentStatus == 0
    assert (await _active(srv, "life", e)).all == 0
    srv.clock.now = NOW + 300
    during = await _controls(srv, "life", e)
    assert during.DERControl[0].EventStatus.currentStatus == 1
    active = await _active(srv, "life", e)
    assert active.all == 1
    limit = active.DERControl[0].DERControlBase.opModMaxLimW
    assert limit is not None and limit.value == 5000  # hundredths of a percent


async def test_cancelled_control_stays_listed(sep2_server: Sep2Server) -> None:
    """A cancelled control keeps its place in the list with EventStatus 2 (not removed)."""
    srv = sep2_server
    e = enroll(srv, "cancel")
    control_id = _control(srv, e.program_id, NOW, 3600, op_mod_exp_lim_w=0.0)
    srv.clock.now = NOW + 10
    srv.store.call(programs.cancel_der_control, srv.ctx(), control_id)
    listed = await _controls(srv, "cancel", e)
    assert listed.all == 1
    status = listed.DERControl[0].EventStatus
    assert status.currentStatus == 2 and status.dateTime.value == NOW + 10
    assert (await _active(srv, "cancel", e)).all == 0


async def test_cancel_with_randomization_reports_status_3(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    e = enroll(srv, "cancel-r")
    control_id = _control(srv, e.program_id, NOW + 60, 600, op_mod_connect=0.0)
    srv.store.call(programs.cancel_der_control, srv.ctx(), control_id, randomized=True)
    listed = await _controls(srv, "cancel-r", e)
    assert listed.DERControl[0].EventStatus.currentStatus == 3


async def test_newer_overlapping_control_supersedes_the_older(sep2_server: Sep2Server) -> None:
    """Within one program the later creationTime wins; the older stays listed as 4."""
    srv = sep2_server
    e = enroll(srv, "super")
    old_id = _control(srv, e.program_id, NOW + 100, 1000, op_mod_exp_lim_w=5000.0)
    srv.clock.now = NOW + 5
    new_id = _control(srv, e.program_id, NOW + 500, 1000, op_mod_exp_lim_w=2000.0)
    listed = await _controls(srv, "super", e)
    by_href = {c.href: c for c in listed.DERControl}
    base = f"/edev/{e.device_id}/derp/{e.program_id}/derc/"
    assert by_href[base + str(old_id)].EventStatus.currentStatus == 4
    assert by_href[base + str(new_id)].EventStatus.currentStatus == 0
    srv.clock.now = NOW + 600
    active = await _active(srv, "super", e)
    assert [c.href for c in active.DERControl] == [base + str(new_id)]


async def test_controls_made_in_the_same_second_have_increasing_creation_times(
    sep2_server: Sep2Server,
) -> None:
    """Clients order overlapping events by creationTime: a tie in one second must not let
    a client take the older control for the newer (seen in the control-latency benchmark)."""
    srv = sep2_server
    e = enroll(srv, "same-second")
    first_id = _control(srv, e.program_id, NOW + 100, 1000, op_mod_exp_lim_w=5000.0)
    second_id = _control(srv, e.program_id, NOW + 100, 1000, op_mod_exp_lim_w=2000.0)
    listed = await _controls(srv, "same-second", e)
    base = f"/edev/{e.device_id}/derp/{e.program_id}/derc/"
    created = {c.href: c.creationTime.value for c in listed.DERControl}
    assert created[base + str(second_id)] > created[base + str(first_id)]


async def test_non_overlapping_controls_do_not_supersede(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    e = enroll(srv, "apart")
    _control(srv, e.program_id, NOW + 100, 100, op_mod_energize=1.0)
    _control(srv, e.program_id, NOW + 200, 100, op_mod_energize=0.0)
    listed = await _controls(srv, "apart", e)
    assert [c.EventStatus.currentStatus for c in listed.DERControl] == [0, 0]
    # DERControlList order: interval.start ascending (IEEE 2030.5 DERControlList).
    assert [c.interval.start.value for c in listed.DERControl] == [NOW + 100, NOW + 200]


async def test_every_csip_aus_limit_reaches_the_client(sep2_server: Sep2Server) -> None:
    """Export/import/generation/load limits, target W, fixed W, ramp, connect, energize."""
    srv = sep2_server
    e = enroll(srv, "aus")
    schedule_control(
        srv,
        e.program_id,
        modes=ControlModes(
            op_mod_exp_lim_w=1500.0,
            op_mod_imp_lim_w=40000.0,
            op_mod_gen_lim_w=5000.0,
            op_mod_load_lim_w=7000.0,
            op_mod_target_w=-2500.0,
            op_mod_fixed_w_pct=-25.5,
            ramp_tms=300,
            op_mod_connect=True,
            op_mod_energize=True,
        ),
    )
    base = (await _controls(srv, "aus", e)).DERControl[0].DERControlBase

    def watts(power: sep.ActivePower | None) -> float:
        assert power is not None
        return power.value * 10.0**power.multiplier.value

    assert watts(base.opModExpLimW) == 1500
    assert watts(base.opModImpLimW) == 40000  # needs a multiplier: int16 tops at 32767
    assert watts(base.opModGenLimW) == 5000
    assert watts(base.opModLoadLimW) == 7000
    assert watts(base.opModTargetW) == -2500
    assert base.opModFixedW is not None and base.opModFixedW.value == -2550
    assert base.rampTms == 300 and base.opModConnect is True and base.opModEnergize is True


async def test_default_der_control_is_linked_and_served(sep2_server: Sep2Server) -> None:
    """Issue 11 item 3: the link and the resource exist from the program's creation (an
    empty default with a stable mRID), so a client can subscribe before it is set; setting
    it notifies the default's subscribers."""
    srv = sep2_server
    e = enroll(srv, "dflt")
    program_href = f"/edev/{e.device_id}/derp/{e.program_id}"
    client = srv.client("dflt")
    linked = parse(await client.get(program_href), sep.DERProgram).DefaultDERControlLink
    assert linked is not None and linked.href == program_href + "/dderc"
    empty = parse(await client.get(program_href + "/dderc"), sep.DefaultDERControl)
    again = parse(await client.get(program_href + "/dderc"), sep.DefaultDERControl)
    assert empty.DERControlBase == sep.DERControlBase()
    assert empty.mRID == again.mRID and empty.subscribable == 1
    srv.changes.hrefs.clear()
    srv.store.call(
        programs.set_default_der_control,
        srv.ctx(),
        program_id=e.program_id,
        modes=ControlModes(op_mod_exp_lim_w=5000.0),
        set_grad_w=27,
    )
    program = parse(await client.get(program_href), sep.DERProgram)
    assert program.DefaultDERControlLink is not None
    default = parse(await client.get(program.DefaultDERControlLink.href), sep.DefaultDERControl)
    assert default.setGradW == 27
    assert default.DERControlBase.opModExpLimW is not None
    assert default.mRID != empty.mRID
    assert program_href + "/dderc" in srv.changes.hrefs


async def test_new_control_notifies_the_program_lists_that_embed_its_program(
    sep2_server: Sep2Server,
) -> None:
    """Issue 11 item 4: a DERProgramList embeds DERControlListLink ``all``; a new control
    changes what a GET returns, so the list's href is reported for its subscribers."""
    srv = sep2_server
    e = enroll(srv, "plist")
    client = srv.client("plist")
    program_list = f"/edev/{e.device_id}/fsa/{e.group_id}/derp"
    before = parse(await client.get(program_list), sep.DERProgramList)
    srv.changes.hrefs.clear()
    _control(srv, e.program_id, NOW + 60, 600, op_mod_exp_lim_w=0.0)
    after = parse(await client.get(program_list), sep.DERProgramList)
    link_before = before.DERProgram[0].DERControlListLink
    link_after = after.DERProgram[0].DERControlListLink
    assert link_before is not None and link_after is not None
    assert (link_before.all, link_after.all) == (0, 1)
    assert program_list in srv.changes.hrefs


async def test_server_issued_mrids_end_in_the_configured_pen(sep2_server: Sep2Server) -> None:
    """Issue 11 item 11, sep.xsd mRIDType: the low 32 bits are the issuer's IANA PEN."""
    srv = sep2_server
    srv.settings = srv.settings.replace(mrid_pen=40732)
    e = enroll(srv, "pen")
    control_id = _control(srv, e.program_id, NOW + 60, 600, op_mod_exp_lim_w=0.0)
    listed = await _controls(srv, "pen", e)
    program = parse(
        await srv.client("pen").get(f"/edev/{e.device_id}/derp/{e.program_id}"), sep.DERProgram
    )
    assert control_id
    for mrid in (listed.DERControl[0].mRID, program.mRID):
        assert int.from_bytes(mrid.value, "big") & 0xFFFFFFFF == 40732


async def test_device_control_goes_to_that_device_only(sep2_server: Sep2Server) -> None:
    """A control for one device appears in its own program, not in its group's peers."""
    srv = sep2_server
    a = enroll(srv, "dev-a")
    b = enroll(srv, "dev-b")
    srv.store.call(programs.assign_devices, srv.ctx(), a.group_id, [b.device_id])
    srv.store.call(
        programs.create_der_control_for_device,
        srv.ctx(),
        end_device_id=a.device_id,
        start_time=NOW,
        duration_s=60,
        modes=ControlModes(op_mod_exp_lim_w=0.0),
    )
    fsas_a = parse(
        await srv.client("dev-a").get(f"/edev/{a.device_id}/fsa"), sep.FunctionSetAssignmentsList
    )
    fsas_b = parse(
        await srv.client("dev-b").get(f"/edev/{b.device_id}/fsa"), sep.FunctionSetAssignmentsList
    )
    assert fsas_a.all == 2  # its group and its private group
    assert fsas_b.all == 2  # its own group and a's group; not a's private group


async def test_program_list_is_in_primacy_order(sep2_server: Sep2Server) -> None:
    """DERProgramList lists the lower primacy (higher priority) program first."""
    srv = sep2_server
    e = enroll(srv, "prim", primacy=50)
    srv.store.call(programs.create_program, srv.ctx(), primacy=5, group_ids=[e.group_id])
    listed = parse(
        await srv.client("prim").get(f"/edev/{e.device_id}/fsa/{e.group_id}/derp"),
        sep.DERProgramList,
    )
    assert [p.primacy.value for p in listed.DERProgram] == [5, 50]


async def test_curve_mode_links_the_curve(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    e = enroll(srv, "curvy")
    curve = srv.store.call(
        programs.create_der_curve,
        srv.ctx(),
        program_id=e.program_id,
        curve_type=11,
        points=[(90, 30), (100, 0), (110, -30)],
        y_ref_type=3,
    )
    assert curve.id is not None
    _control(srv, e.program_id, NOW, 60)
    schedule_control(
        srv,
        e.program_id,
        start_time=NOW + 100,
        modes=ControlModes(curve_ids={"opModVoltVar": curve.id}),
    )
    client = srv.client("curvy")
    controls = await _controls(srv, "curvy", e)
    link = controls.DERControl[1].DERControlBase.opModVoltVar
    assert link is not None
    fetched = parse(await client.get(link.href), sep.DERCurve)
    assert [(p.xvalue, p.yvalue) for p in fetched.CurveData] == [(90, 30), (100, 0), (110, -30)]


async def test_list_paging_with_start_and_limit(sep2_server: Sep2Server) -> None:
    """s and l select a slice; all counts every element, results the returned ones."""
    srv = sep2_server
    e = enroll(srv, "pager")
    for i in range(5):
        _control(srv, e.program_id, NOW + 1000 * i, 100)
    response = await srv.client("pager").get(
        f"/edev/{e.device_id}/derp/{e.program_id}/derc", params={"s": 1, "l": 2}
    )
    page = parse(response, sep.DERControlList)
    assert (page.all, page.results) == (5, 2)
    assert [c.interval.start.value for c in page.DERControl] == [NOW + 1000, NOW + 2000]


async def test_bad_paging_parameter_is_400(sep2_server: Sep2Server) -> None:
    e = enroll(sep2_server, "badpage")
    response = await sep2_server.client("badpage").get(
        f"/edev/{e.device_id}/fsa", params={"l": "many"}
    )
    assert response.status_code == 400


async def test_control_change_is_reported_for_each_device_that_sees_it(
    sep2_server: Sep2Server,
) -> None:
    """Subscribers hear of a new control at every device's DERControlList href."""
    srv = sep2_server
    e = enroll(srv, "notify-a")
    other = enroll(srv, "notify-b")
    srv.store.call(programs.assign_devices, srv.ctx(), e.group_id, [other.device_id])
    srv.changes.hrefs.clear()
    _control(srv, e.program_id, NOW, 60)
    assert f"/edev/{e.device_id}/derp/{e.program_id}/derc" in srv.changes.hrefs
    assert f"/edev/{other.device_id}/derp/{e.program_id}/derc" in srv.changes.hrefs


async def test_repeated_polls_see_a_cancel_made_in_between(sep2_server: Sep2Server) -> None:
    """The per-process DERControlList cache never hides a change in the database."""
    srv = sep2_server
    e = enroll(srv, "repoll")
    control_id = _control(srv, e.program_id, NOW + 600, 600, op_mod_exp_lim_w=0.0)
    for _ in range(2):  # the second poll is served from the cache
        assert (await _controls(srv, "repoll", e)).DERControl[0].EventStatus.currentStatus == 0
    srv.store.call(programs.cancel_der_control, srv.ctx(), control_id)
    assert (await _controls(srv, "repoll", e)).DERControl[0].EventStatus.currentStatus == 2
    _control(srv, e.program_id, NOW + 5000, 60)
    assert (await _controls(srv, "repoll", e)).all == 2


async def test_repeated_polls_follow_the_clock(sep2_server: Sep2Server) -> None:
    """A cached list turns Active at interval.start and drops out after retention."""
    srv = sep2_server
    e = enroll(srv, "clockwork")
    _control(srv, e.program_id, NOW + 10, 20)
    assert (await _controls(srv, "clockwork", e)).DERControl[0].EventStatus.currentStatus == 0
    srv.clock.now = NOW + 10
    assert (await _controls(srv, "clockwork", e)).DERControl[0].EventStatus.currentStatus == 1
    srv.clock.now = NOW + 30 + srv.settings.control_retention_s
    assert (await _controls(srv, "clockwork", e)).all == 0


async def test_completed_control_leaves_the_list_at_its_end_and_stays_as_history(
    sep2_server: Sep2Server,
) -> None:
    """Issue 11 item 8: 2030.5 has no "completed" EventStatus, so a control that ran to its
    end is dropped from the DERControlList then (never read as Active afterwards); a
    cancelled one stays listed, Cancelled, for its original duration; the rows remain."""
    srv = sep2_server
    e = enroll(srv, "done")
    _control(srv, e.program_id, NOW, 60, op_mod_exp_lim_w=0.0)
    cancelled_id = _control(srv, e.program_id, NOW + 100, 60, op_mod_exp_lim_w=0.0)
    srv.store.call(programs.cancel_der_control, srv.ctx(), cancelled_id)
    srv.clock.now = NOW + 59
    running = await _controls(srv, "done", e)
    assert [c.EventStatus.currentStatus for c in running.DERControl] == [1, 2]
    srv.clock.now = NOW + 60
    after = await _controls(srv, "done", e)
    assert [c.EventStatus.currentStatus for c in after.DERControl] == [2]
    program = parse(
        await srv.client("done").get(f"/edev/{e.device_id}/derp/{e.program_id}"), sep.DERProgram
    )
    assert program.DERControlListLink is not None and program.DERControlListLink.all == 1
    srv.clock.now = NOW + 160
    assert (await _controls(srv, "done", e)).all == 0
    with srv.store.session() as session:
        assert len(session.exec(select(DERControlRow)).all()) == 2  # history kept
