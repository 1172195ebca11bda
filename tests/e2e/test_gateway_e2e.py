"""End to end over real mutual TLS and real Modbus TCP, with a virtual clock on both ends.

discovery -> registration (out of band, PIN checked) -> a control from the admin API ->
the simulated inverter's limit changes -> the Responses, DER status and telemetry appear
on the server.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from openderms.certs.identity import identity_from_pem
from openderms.client.envelope import EnvelopeLimits
from openderms.client.runtime.gateway import GatewayRuntime
from openderms.client.sep2.schedule import Job
from openderms.client.sep2.session import Sep2Session
from openderms.client.sim.server import start_site
from openderms.schemas.sep2.enums import ResponseStatus
from openderms.server.changes import NullChangeSink
from openderms.server.config import ServerSettings
from openderms.server.store.models import (
    ClientResourceRow,
    LogEventRow,
    MirrorReadingRow,
    MirrorUsagePointRow,
)
from openderms.server.store.subscriptions import SubscriptionRecord
from openderms.testing.clock import NOON_S, VirtualClock
from openderms.testing.gateway import fast_timing, gateway_config, make_pki, small_site
from openderms.testing.head_end import running_server
from openderms.testing.rig import Rig, open_rig, start_gateway


def sep2_of(gateway: GatewayRuntime) -> Sep2Session:
    """The gateway's 2030.5 session."""
    session = gateway.session("sep2")
    assert isinstance(session, Sep2Session)
    return session


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with open_rig(tmp_path) as opened:
        yield opened


async def test_control_from_admin_api_reaches_inverter_and_responses_reach_server(
    rig: Rig,
) -> None:
    await rig.run_for(2)
    assert sep2_of(rig.gateway).view is not None, "the gateway found its EndDevice"
    # The server's pollRate and postRate (10 s here) replace the gateway's defaults.
    assert sep2_of(rig.gateway).schedule.jobs[Job.WALK].rate_s == 10
    assert sep2_of(rig.gateway).schedule.jobs[Job.POST_READINGS].rate_s == 10
    start = int(rig.clock.now_s) + 15
    created = await rig.admin_json(
        "POST",
        f"/devices/{rig.lfdi}/controls",
        {"start": start, "duration_s": 600, "modes": {"op_mod_gen_lim_w": 3000}},
    )
    assert created

    await rig.run_for(30)

    inverter = rig.site.sim.devices["pv"]
    assert 29.0 <= inverter.limit_pct() <= 30.0  # 3000 W of 10 kW, less the margin
    assert rig.gateway.limits is not None and rig.gateway.limits.generation_limit_w == 3000
    device = await rig.admin_json("GET", f"/devices/{rig.lfdi}")
    statuses = {r["status"] for r in device["responses"]}
    assert {ResponseStatus.EVENT_RECEIVED, ResponseStatus.EVENT_STARTED} <= statuses
    with rig.server.store.session() as session:
        readings = session.exec(select(MirrorReadingRow)).all()
        kinds = {row.kind for row in session.exec(select(ClientResourceRow)).all()}
    assert readings, "telemetry reached the server"
    assert {"DERCapability", "DERSettings", "DERStatus", "DERAvailability"} <= kinds


@pytest.mark.slow  # ~10 s: the server's graceful shutdown and restart are real
async def test_server_down_for_minutes_then_back(tmp_path: Path) -> None:
    """The held schedule keeps running, the fallback applies after comms_loss_timeout_s,
    and when the server returns the gateway resyncs, posts what it buffered and lifts the
    fallback (virtual time: ten minutes of outage take a few seconds)."""
    pki_dir = make_pki(tmp_path / "pki", "gw1")
    lfdi = identity_from_pem((pki_dir / "gw1.pem").read_bytes()).lfdi
    clock = VirtualClock(NOON_S)
    db = tmp_path / "server.sqlite"
    rates = {"poll_rate_s": 10, "post_rate_s": 10}
    async with start_site(small_site(), start=clock.now_s) as site:
        async with running_server(pki_dir, db, clock=clock.server, **rates) as server:
            port = server.port
            config = gateway_config(
                pki_dir,
                "gw1",
                server.dcap_url,
                tmp_path / "gw1.sqlite",
                timing=fast_timing(comms_loss_timeout_s=300.0),
                fallback=EnvelopeLimits(generation_limit_w=1000.0),
            )
            gateway = await start_gateway(config, site, clock, seed=5)
            rig = Rig(clock, server, site, gateway, lfdi)
            await rig.run_for(2)
            await rig.control({"op_mod_gen_lim_w": 4000}, duration_s=3600)
            await rig.run_for(15)
            assert 39.0 <= site.sim.devices["pv"].limit_pct() <= 40.0
            outage_start = clock.now_s
        # The server is gone: ten virtual minutes.
        try:
            held: list[float] = []
            fallback: list[float] = []
            while clock.now_s < outage_start + 600:
                await rig.run_for(20, tick_s=20)
                pct = site.sim.devices["pv"].limit_pct()
                (held if clock.now_s < outage_start + 290 else fallback).append(pct)
            assert all(39.0 <= pct <= 40.0 for pct in held)
            assert fallback and all(9.0 <= pct <= 10.0 for pct in fallback[-20:])
            assert sep2_of(gateway).engine.comms_lost
            buffered = sep2_of(gateway).store.sample_count()
            assert buffered > 0
            async with running_server(pki_dir, db, clock=clock.server, port=port, **rates) as back:
                rig.server = back
                await rig.run_for(40, tick_s=2)
                assert not sep2_of(gateway).engine.comms_lost
                assert 39.0 <= site.sim.devices["pv"].limit_pct() <= 40.0
                assert sep2_of(gateway).store.sample_count() < buffered
                with back.store.session() as session:
                    times = {r.time_period_start for r in session.exec(select(MirrorReadingRow))}
                # Readings taken during the outage reached the server with their own times.
                assert any(outage_start + 60 < t < outage_start + 540 for t in times)
        finally:
            await gateway.close()


async def test_device_vanishing_mid_write_is_reported_and_others_keep_running(rig: Rig) -> None:
    await rig.run_for(2)
    rig.site.servers["battery"].drop_on_write = True
    await rig.admin_json(
        "POST",
        f"/devices/{rig.lfdi}/controls",
        {
            "start": int(rig.clock.now_s),
            "duration_s": 600,
            "modes": {"op_mod_gen_lim_w": 2500, "op_mod_load_lim_w": 1000},
        },
    )
    await rig.run_for(30)
    assert not rig.site.servers["battery"].running
    assert "battery" in rig.gateway.faults
    # The inverter was still limited.
    assert 24.0 <= rig.site.sim.devices["pv"].limit_pct() <= 25.0
    with rig.server.store.session() as session:
        events = session.exec(select(LogEventRow)).all()
    assert any("battery" in (e.details or "") for e in events)


async def test_subscription_notification_brings_a_control_before_the_next_poll(
    tmp_path: Path,
) -> None:
    """With pollRate 900 s, a control created on the server still reaches the inverter
    within wall-clock seconds: the server POSTs a Notification to the gateway's mutual-TLS
    listener and the gateway fetches at once (IEEE 2030.5 §5.5.1)."""
    pki_dir = make_pki(tmp_path / "pki", "gw1")
    lfdi = identity_from_pem((pki_dir / "gw1.pem").read_bytes()).lfdi
    clock = VirtualClock(NOON_S)
    async with (
        running_server(
            pki_dir, tmp_path / "server.sqlite", clock=clock.server, poll_rate_s=900
        ) as server,
        start_site(small_site(), start=clock.now_s) as site,
    ):
        config = gateway_config(
            pki_dir,
            "gw1",
            server.dcap_url,
            tmp_path / "gw1.sqlite",
            timing=fast_timing(),
            notifications=True,
        )
        gateway = await start_gateway(config, site, clock, seed=7)
        rig = Rig(clock, server, site, gateway, lfdi)
        try:
            await rig.run_for(3)
            # A group program makes the FSA and program lists exist to subscribe to.
            await rig.control({"op_mod_connect": True}, duration_s=60, starts_in_s=3600)
            await rig.run_for(3)
            assert sep2_of(gateway).subscriptions, "the gateway subscribed"
            fetched_before = {
                job: sep2_of(gateway).schedule.jobs[job].last_success
                for job in (Job.WALK, Job.REFRESH)
            }
            await rig.control({"op_mod_gen_lim_w": 5000}, duration_s=600)
            for _ in range(100):  # up to ~5 s of wall time, 0.05 s of virtual time each
                await asyncio.sleep(0.05)
                await rig.run_for(0.05, tick_s=0.05)
                if 49.0 <= site.sim.devices["pv"].limit_pct() <= 50.0:
                    break
            assert 49.0 <= site.sim.devices["pv"].limit_pct() <= 50.0
            assert clock.now_s - NOON_S < 900, "well before the next poll"
            assert any(
                sep2_of(gateway).schedule.jobs[job].last_success != before
                for job, before in fetched_before.items()
            ), "fetched because of the Notification"
        finally:
            await gateway.close()


@pytest.mark.slow  # two server starts and a graceful stop
async def test_gateway_restart_keeps_schedule_and_unposted_readings(tmp_path: Path) -> None:
    """A gateway restarted while its server is down still runs the control it held, posts
    the readings taken before and after the restart once the server is back, and does not
    answer the control a second time."""
    pki_dir = make_pki(tmp_path / "pki", "gw1")
    lfdi = identity_from_pem((pki_dir / "gw1.pem").read_bytes()).lfdi
    clock = VirtualClock(NOON_S)
    db = tmp_path / "server.sqlite"
    rates = {"poll_rate_s": 10, "post_rate_s": 10}

    async def new_gateway(dcap_url: str) -> GatewayRuntime:
        config = gateway_config(
            pki_dir, "gw1", dcap_url, tmp_path / "gw1.sqlite", timing=fast_timing()
        )
        return await start_gateway(config, site, clock, seed=9)

    async with start_site(small_site(), start=clock.now_s) as site:
        async with running_server(pki_dir, db, clock=clock.server, **rates) as server:
            port, dcap_url = server.port, server.dcap_url
            first = await new_gateway(dcap_url)
            rig = Rig(clock, server, site, first, lfdi)
            await rig.run_for(2)
            control = await rig.control({"op_mod_gen_lim_w": 6000}, duration_s=3600)
            await rig.run_for(15)
            answered = len((await rig.admin_json("GET", f"/devices/{lfdi}"))["responses"])
            assert answered >= 2  # received, started
        outage_start = clock.now_s
        await rig.run_for(60, tick_s=10)  # readings buffered by the first process
        await first.close()

        second = await new_gateway(dcap_url)
        rig.gateway = second
        try:
            await rig.run_for(60, tick_s=10)  # and by the second, server still down
            assert second.limits is not None and second.limits.generation_limit_w == 6000
            assert second.limits_source == control["mrid"]
            assert 59.0 <= site.sim.devices["pv"].limit_pct() <= 60.0
            async with running_server(pki_dir, db, clock=clock.server, port=port, **rates) as back:
                rig.server = back
                await rig.run_for(30, tick_s=2)
                with back.store.session() as session:
                    times = {r.time_period_start for r in session.exec(select(MirrorReadingRow))}
                device = await rig.admin_json("GET", f"/devices/{lfdi}")
            assert any(outage_start < t < outage_start + 60 for t in times), "first process"
            assert any(outage_start + 60 < t < outage_start + 120 for t in times), "second"
            assert len(device["responses"]) == answered
        finally:
            await second.close()


async def test_restarted_gateway_moves_its_subscriptions_to_its_new_listener(
    tmp_path: Path,
) -> None:
    """A restart listens on a new port; subscriptions made for the old one are replaced,
    so Notifications keep arriving."""
    pki_dir = make_pki(tmp_path / "pki", "gw1")
    lfdi = identity_from_pem((pki_dir / "gw1.pem").read_bytes()).lfdi
    clock = VirtualClock(NOON_S)
    async with (
        running_server(
            pki_dir, tmp_path / "server.sqlite", clock=clock.server, poll_rate_s=900
        ) as server,
        start_site(small_site(), start=clock.now_s) as site,
    ):

        async def started() -> GatewayRuntime:
            config = gateway_config(
                pki_dir,
                "gw1",
                server.dcap_url,
                tmp_path / "gw1.sqlite",
                timing=fast_timing(),
                notifications=True,
            )
            return await start_gateway(config, site, clock)

        first = await started()
        rig = Rig(clock, server, site, first, lfdi)
        await rig.run_for(3)
        await rig.control({"op_mod_connect": True}, duration_s=60, starts_in_s=3600)
        for _ in range(20):
            await asyncio.sleep(0.05)
            await rig.run_for(1)
        assert len(sep2_of(first).subscriptions) >= 2
        await first.close()

        second = await started()
        rig.gateway = second
        try:
            assert sep2_of(second).listener is not None
            port = sep2_of(second).listener.port
            sep2_of(second).schedule.trigger(Job.SUBSCRIBE, clock.now_s)
            await rig.run_for(2)
            with server.store.session() as session:
                uris = {r.notification_uri for r in session.exec(select(SubscriptionRecord))}
            assert uris == {f"https://127.0.0.1:{port}/notify"}
        finally:
            await second.close()


async def test_disconnect_control_opens_the_inverter_connection(rig: Rig) -> None:
    """opModConnect false -> SunSpec Conn = 0 on the simulated inverter (IEEE 2030.5
    DERControlBase.opModConnect)."""
    await rig.run_for(2)
    assert rig.site.sim.devices["pv"].connected()
    await rig.admin_json(
        "POST",
        f"/devices/{rig.lfdi}/controls",
        {"start": int(rig.clock.now_s), "duration_s": 300, "modes": {"op_mod_connect": False}},
    )
    await rig.run_for(15)
    assert not rig.site.sim.devices["pv"].connected()
    assert rig.site.sim.state.pv_w == 0.0


async def test_cancelled_control_lifts_its_limit_and_is_answered_cancelled(rig: Rig) -> None:
    """A cancelled control stays listed with status 2; the gateway stops it and posts
    Response 6 (event cancelled, IEEE 2030.5 Table 27)."""
    await rig.run_for(2)
    control = await rig.admin_json(
        "POST",
        f"/devices/{rig.lfdi}/controls",
        {"start": int(rig.clock.now_s), "duration_s": 3600, "modes": {"op_mod_gen_lim_w": 2000}},
    )
    await rig.run_for(15)
    assert 19.0 <= rig.site.sim.devices["pv"].limit_pct() <= 20.0
    await rig.admin_json("POST", f"/controls/{control['id']}/cancel", {})
    await rig.run_for(15)
    assert rig.gateway.limits is not None and rig.gateway.limits.generation_limit_w is None
    assert rig.site.sim.devices["pv"].limit_pct() == 100.0
    device = await rig.admin_json("GET", f"/devices/{rig.lfdi}")
    statuses = [r["status"] for r in device["responses"] if r["subject_mrid"] == control["mrid"]]
    assert ResponseStatus.EVENT_CANCELLED in statuses


async def test_export_limit_holds_at_the_connection_point(rig: Rig) -> None:
    """CSIP-AUS opModExpLimW: the site's export, measured by the simulated meter, stays
    within the limit once the gateway has dispatched (noon: the PV could export more)."""
    await rig.run_for(5)
    assert rig.site.sim.state.site_w < -1500, "without a limit the site exports"
    await rig.admin_json(
        "POST",
        f"/devices/{rig.lfdi}/controls",
        {"start": int(rig.clock.now_s), "duration_s": 600, "modes": {"op_mod_exp_lim_w": 1000}},
    )
    await rig.run_for(30)
    assert rig.site.sim.state.site_w >= -1000 - 50  # the dispatcher's margin is below this


async def test_battery_resumes_after_a_disconnect_control_ends(rig: Rig) -> None:
    """Issue 13, seen in every demo run: once a disconnect ended, PV returned but the battery
    stayed at 0 W with its SoC frozen. At the end of opModConnect false the DER returns to
    normal operation, the battery bank included."""
    await rig.run_for(2)
    await rig.control({"op_mod_connect": False}, duration_s=30)
    await rig.run_for(15)
    assert rig.site.sim.state.pv_w == 0.0 and rig.site.sim.state.battery_w == 0.0
    soc_during = rig.site.sim.devices["battery"].soc_pct
    await rig.run_for(45)  # the control ended 30 s after it started
    assert rig.site.sim.state.pv_w > 0.0
    assert rig.site.sim.state.battery_w < -1000.0, "charging from the noon surplus again"
    assert rig.site.sim.devices["battery"].soc_pct > soc_during


async def test_refused_mirror_is_reported_once_and_its_samples_are_kept(rig: Rig) -> None:
    """Issue 11 item 19: a permanent 4xx on the mirror-creating POST (here 409: another
    device holds the site mirror's mRID) is one refusal: logged, shown in status(), sent
    as a LogEvent, not retried in a loop, and no sample of that mirror is lost; the other
    mirrors keep posting."""
    from openderms.client.sep2 import readings
    from openderms.server.scope import Scope, ServiceContext
    from openderms.server.services import metering_mirror as mirror
    from openderms.server.services import registration

    squatter = "AB" * 20
    ctx = ServiceContext(
        now=int(rig.clock.now_s), settings=ServerSettings(), changes=NullChangeSink()
    )
    with rig.server.store.session() as session:
        registration.register_end_device(session, ctx, lfdi=squatter)
    taken = readings.mirror_usage_point(squatter, "site", quantities=["power_w"])
    taken.mRID.value = readings.mirror_mrid(rig.lfdi, "site")
    rig.server.store.call(
        mirror.post_mirror_usage_point,
        ctx,
        Scope(lfdi=squatter, sfdi=1, is_aggregator=False),
        taken,
    )

    await rig.run_for(40, tick_s=2)

    status = rig.gateway.status()
    assert list(status["refused"]) == ["mirror site"]
    assert "409" in status["refused"]["mirror site"]
    buffered = [s for _, s in sep2_of(rig.gateway).store.pending_samples(10_000)]
    # Only the connection point's samples ("site" mirror) wait; the others were posted.
    assert buffered and all(s.device is None for s in buffered)
    assert {s.device for s in buffered} == {None}
    with rig.server.store.session() as session:
        refusals = [
            row
            for row in session.exec(select(LogEventRow))
            if row.log_event_code == 3 and "mirror site" in (row.details or "")
        ]
        mirrored = {r.mrid for r in session.exec(select(MirrorUsagePointRow))}
    assert len(refusals) == 1  # reported once, not once per retry
    assert readings.mirror_mrid(rig.lfdi, "der:pv").hex().upper() in mirrored


@pytest.mark.parametrize(("nmi", "accepted"), [("4103112233", True), ("NOTAVALIDID", False)])
async def test_configured_connection_point_is_put_where_the_server_links_it(
    tmp_path: Path, nmi: str, accepted: bool
) -> None:
    """Issue 11 item 20: site.toml's connection_point_id reaches the server's ConnectionPoint
    (CSIP-AUS); one the server refuses (not an NMI) is a visible refusal, not a retry loop."""
    from openderms.server.store.models import EndDeviceRow

    async with open_rig(tmp_path, connection_point_id=nmi) as rig:
        await rig.run_for(30, tick_s=2)
        with rig.server.store.session() as session:
            (row,) = session.exec(select(EndDeviceRow)).all()
        refused = rig.gateway.status()["refused"]
    if accepted:
        assert row.connection_point_id == nmi and refused == {}
    else:
        assert row.connection_point_id is None
        assert [path for path in refused if path.endswith("/cp")] == [f"PUT /edev/{row.id}/cp"]
