"""pollRate and postRate per server and per EndDevice; DeviceInformation history."""

from __future__ import annotations

from openderms.schemas.sep2 import models as sep
from openderms.server.services.admin_fleet import set_rates
from openderms.server.store.models import EndDeviceRow
from openderms.testing.clock import NOW
from openderms.testing.head_end import XML_HEADERS, Sep2Server, body, enroll, parse


async def test_server_poll_rate_reaches_device_capability(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    client = srv.client("rate-reader")
    assert parse(await client.get("/dcap"), sep.DeviceCapability).pollRate == 900
    srv.store.call(set_rates, srv.ctx(), device=None, poll_rate_s=120, post_rate_s=None)
    assert parse(await client.get("/dcap"), sep.DeviceCapability).pollRate == 120


async def test_device_rates_override_the_server_defaults(sep2_server: Sep2Server) -> None:
    """A per-device pollRate shows on its lists, a postRate on its EndDevice; others keep
    the server's."""
    srv = sep2_server
    fast = enroll(srv, "fast")
    slow = enroll(srv, "slow")
    with srv.store.session() as session:
        device = session.get(EndDeviceRow, fast.device_id)
        assert device is not None
        set_rates(session, srv.ctx(), device=device, poll_rate_s=60, post_rate_s=30)
        session.commit()  # services leave the commit to their caller's transaction
    fast_client, slow_client = srv.client("fast"), srv.client("slow")
    fast_fsas = parse(
        await fast_client.get(f"/edev/{fast.device_id}/fsa"), sep.FunctionSetAssignmentsList
    )
    slow_fsas = parse(
        await slow_client.get(f"/edev/{slow.device_id}/fsa"), sep.FunctionSetAssignmentsList
    )
    assert (fast_fsas.pollRate, slow_fsas.pollRate) == (60, 900)
    fast_edev = parse(await fast_client.get(f"/edev/{fast.device_id}"), sep.EndDevice)
    slow_edev = parse(await slow_client.get(f"/edev/{slow.device_id}"), sep.EndDevice)
    assert (fast_edev.postRate, slow_edev.postRate) == (30, srv.settings.post_rate_s)


async def test_device_information_put_then_get(sep2_server: Sep2Server) -> None:
    e = enroll(sep2_server, "informed")
    client = sep2_server.client("informed")
    href = f"/edev/{e.device_id}/di"
    assert (await client.get(href)).status_code == 404
    info = sep.DeviceInformation(
        lFDI=bytes.fromhex(sep2_server.identity("informed").lfdi),
        mfDate=sep.TimeType(value=NOW - 86400),
        mfHwVer="1.0",
        mfID=sep.PENType(value=40732),
        mfModel="Inverter 5k",
        mfSerNum="SN123",
        primaryPower=sep.PowerSourceType(value=1),
        secondaryPower=sep.PowerSourceType(value=0),
        swActTime=sep.TimeType(value=NOW - 3600),
        swVer="2.1.0",
    )
    assert (await client.put(href, content=body(info), headers=XML_HEADERS)).status_code == 204
    assert parse(await client.get(href), sep.DeviceInformation).mfModel == "Inverter 5k"
