"""Discovery over real mutual TLS: a device walks from /dcap to its DERControls."""

from __future__ import annotations

import httpx

from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.codec import SEP_XML, decode
from openderms.server.services import programs, registration
from openderms.server.services.programs import ControlModes
from openderms.testing.clock import NOW
from openderms.testing.head_end import Sep2Server, schedule_control


def _get(response: httpx.Response, cls: type) -> object:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == SEP_XML
    return decode(response.content, cls)


async def test_device_walks_from_dcap_to_its_der_control(sep2_server: Sep2Server) -> None:
    """dcap -> EndDeviceList -> EndDevice -> FSAList -> DERProgramList -> DERControlList."""
    srv = sep2_server
    ident = srv.identity("walker")
    device = srv.store.call(
        registration.register_end_device, srv.ctx(), lfdi=ident.lfdi, pin=12345
    )
    group = srv.store.call(programs.create_group, srv.ctx(), description="feeder 7")
    assert group.id is not None and device.id is not None
    srv.store.call(programs.assign_devices, srv.ctx(), group.id, [device.id])
    program = srv.store.call(programs.create_program, srv.ctx(), primacy=2, group_ids=[group.id])
    assert program.id is not None
    schedule_control(
        srv,
        program.id,
        start_time=NOW + 60,
        duration_s=1800,
        modes=ControlModes(op_mod_exp_lim_w=1500.0),
    )
    client = srv.client("walker")

    dcap = _get(await client.get("/dcap"), sep.DeviceCapability)
    assert isinstance(dcap, sep.DeviceCapability) and dcap.EndDeviceListLink is not None
    edevs = _get(await client.get(dcap.EndDeviceListLink.href), sep.EndDeviceList)
    assert isinstance(edevs, sep.EndDeviceList) and edevs.all == 1
    edev = edevs.EndDevice[0]
    assert edev.lFDI == bytes.fromhex(ident.lfdi) and edev.sFDI.value == ident.sfdi
    assert edev.FunctionSetAssignmentsListLink is not None and edev.RegistrationLink is not None
    reg = _get(await client.get(edev.RegistrationLink.href), sep.Registration)
    assert isinstance(reg, sep.Registration) and reg.pIN.value == 12345
    fsas = _get(
        await client.get(edev.FunctionSetAssignmentsListLink.href), sep.FunctionSetAssignmentsList
    )
    assert isinstance(fsas, sep.FunctionSetAssignmentsList) and fsas.results == 1
    derp_link = fsas.FunctionSetAssignments[0].DERProgramListLink
    assert derp_link is not None
    derps = _get(await client.get(derp_link.href), sep.DERProgramList)
    assert isinstance(derps, sep.DERProgramList)
    assert derps.DERProgram[0].primacy.value == 2
    derc_link = derps.DERProgram[0].DERControlListLink
    assert derc_link is not None
    dercs = _get(await client.get(derc_link.href), sep.DERControlList)
    assert isinstance(dercs, sep.DERControlList) and dercs.all == 1
    control = dercs.DERControl[0]
    limit = control.DERControlBase.opModExpLimW
    assert limit is not None and limit.value * 10**limit.multiplier.value == 1500
    assert control.EventStatus.currentStatus == 0  # scheduled
    assert control.replyTo == f"/rsps/{program.id}/rsp"


async def test_time_reports_server_clock(sep2_server: Sep2Server) -> None:
    """Time.currentTime is the server's now (clients sync their clock to it)."""
    client = sep2_server.client("clock-reader")
    tm = _get(await client.get("/tm"), sep.Time)
    assert isinstance(tm, sep.Time) and tm.currentTime.value == NOW
