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


async def test_poll_rate_per_resource_through_the_admin_api(sep2_server: Sep2Server) -> None:
    """Issue 11 item 9: PUT /rates with ``resource`` sets that resource's pollRate only; a
    device's own override still wins on its lists."""
    from openderms.server.admin.app import create_admin_app
    from openderms.server.admin.tokens import create_token
    from openderms.server.store.admin import AdminRole

    srv = sep2_server
    e = enroll(srv, "per-resource")
    app = create_admin_app(srv.store, changes=srv.changes, clock=lambda: NOW)
    token = srv.store.call(
        create_token, name="u", role=AdminRole.UTILITY, aggregator_lfdi=None, now=NOW
    ).token
    admin = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    for resource, rate in (("derp", 45), ("edev", 600), ("dcap", 300), ("mup", 1200)):
        answer = await admin.put(
            "/rates", headers=auth, json={"resource": resource, "poll_rate_s": rate}
        )
        assert answer.status_code == 200, await answer.get_data()
    bad = await admin.put("/rates", headers=auth, json={"resource": "derc", "poll_rate_s": 5})
    assert bad.status_code == 400
    client = srv.client("per-resource")
    programs = parse(
        await client.get(f"/edev/{e.device_id}/fsa/{e.group_id}/derp"), sep.DERProgramList
    )
    fsas = parse(await client.get(f"/edev/{e.device_id}/fsa"), sep.FunctionSetAssignmentsList)
    assert (programs.pollRate, fsas.pollRate) == (45, 900)
    assert parse(await client.get("/edev"), sep.EndDeviceList).pollRate == 600
    assert parse(await client.get("/dcap"), sep.DeviceCapability).pollRate == 300
    assert parse(await client.get("/mup"), sep.MirrorUsagePointList).pollRate == 1200
    with srv.store.session() as session:
        device = session.get(EndDeviceRow, e.device_id)
        assert device is not None
        set_rates(session, srv.ctx(), device=device, poll_rate_s=20, post_rate_s=None)
        session.commit()  # services leave the commit to their caller's transaction
    programs = parse(
        await client.get(f"/edev/{e.device_id}/fsa/{e.group_id}/derp"), sep.DERProgramList
    )
    assert programs.pollRate == 20


def test_cli_set_rates_for_one_resource() -> None:
    """``openderms admin set-rates --resource derp --poll 60`` is that PUT /rates."""
    import argparse

    from openderms.server.admin.cli import _request, register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["admin", "set-rates", "--resource", "derp", "--poll", "60"])
    assert _request(args) == ("PUT", "/rates", {"poll_rate_s": 60, "resource": "derp"})
