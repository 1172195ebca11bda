"""The runtime's own rules, driven with a virtual clock and no server.

The devices side is a small in-test site (the runtime's SiteIO boundary); the 2030.5 side
is never reached (its port is closed), which is what these rules are about: rejected
controls, Notifications, and LogEvents on device faults.
"""

from __future__ import annotations

import asyncio
import random
import socket
from pathlib import Path

import pytest

from openderms.certs import pki
from openderms.certs.identity import identity_from_pem
from openderms.client.config import GatewayConfig, NotificationConfig, TimingConfig
from openderms.client.envelope import EnvelopeLimits
from openderms.client.runtime.app import assemble_gateway
from openderms.client.runtime.gateway import GatewayRuntime
from openderms.client.runtime.site import DeviceFault, SiteReading
from openderms.client.sep2.http import Sep2Http
from openderms.client.sep2.schedule import Job
from openderms.client.sep2.session import Sep2Session
from openderms.client.sep2.walker import ProgramView, Sep2View
from openderms.client.store import GatewayStore
from openderms.schemas.sep2 import codec
from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.values import time_type

NOW = 1_782_043_200.0


class ScriptedSite:
    """A site whose faults the test sets."""

    def __init__(self) -> None:
        self.faults: list[DeviceFault] = []
        self.applied: list[EnvelopeLimits] = []

    async def read(self, now: float) -> SiteReading:
        return SiteReading(faults=list(self.faults))

    async def apply(self, limits: EnvelopeLimits, now: float) -> list[DeviceFault]:
        self.applied.append(limits)
        return list(self.faults)

    async def close(self) -> None:
        pass


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("pki")
    pki.init_pki(directory)
    pki.issue_device(directory, "gw")
    return directory


@pytest.fixture
def runtime(pki_dir: Path, tmp_path: Path) -> GatewayRuntime:
    origin = f"https://127.0.0.1:{closed_port()}"
    config = GatewayConfig(
        name="gw",
        dcap_url=f"{origin}/dcap",
        cert_path=pki_dir / "gw.pem",
        key_path=pki_dir / "gw.key",
        ca_path=pki_dir / "serca.pem",
        store_path=tmp_path / "gw.sqlite",
        notifications=NotificationConfig(enabled=False),
        timing=TimingConfig(sample_s=10, dispatch_s=10),
    )
    return assemble_gateway(
        config=config,
        identity=identity_from_pem((pki_dir / "gw.pem").read_bytes()),
        http=Sep2Http(origin, None, timeout_s=1.0),
        store=GatewayStore.open(config.store_path),
        site=ScriptedSite(),
        clock=lambda: NOW,
        rng=random.Random(1),
    )


def sep2_of(runtime: GatewayRuntime) -> Sep2Session:
    """The runtime's 2030.5 session."""
    session = runtime.session("sep2")
    assert isinstance(session, Sep2Session)
    return session


def program_with(control: sep.DERControl) -> ProgramView:
    program = sep.DERProgram(
        href="/edev/1/derp/1",
        mRID=sep.mRIDType(value=b"\x01" * 16),
        primacy=sep.PrimacyType(value=1),
    )
    return ProgramView(program=program, controls=[control])


def volt_var_control() -> sep.DERControl:
    """A control with a mode this gateway cannot honour (a volt-var curve)."""
    return sep.DERControl(
        mRID=sep.mRIDType(value=b"\x0a" * 16),
        replyTo="/rsps/1/rsp",
        responseRequired=b"\x03",
        creationTime=time_type(NOW - 60),
        EventStatus=sep.EventStatus(
            currentStatus=0, dateTime=time_type(NOW - 60), potentiallySuperseded=False
        ),
        interval=sep.DateTimeInterval(start=time_type(NOW), duration=600),
        DERControlBase=sep.DERControlBase(opModVoltVar=sep.DERCurveLink(href="/edev/1/dc/1")),
    )


def outbox_responses(runtime: GatewayRuntime) -> list[sep.DERControlResponse]:
    return [
        codec.decode(item.body, sep.DERControlResponse)
        for item in sep2_of(runtime).store.pending_outbox(100)
        if item.kind == "response"
    ]


async def test_control_the_gateway_cannot_honour_is_answered_not_applicable_once(
    runtime: GatewayRuntime,
) -> None:
    """Response 252 (rejected: not applicable) to replyTo, and only once per control."""
    programs = [program_with(volt_var_control())]
    snapshot = sep2_of(runtime).snapshot(programs, NOW, answer_rejections=True)
    sep2_of(runtime).snapshot(programs, NOW + 10, answer_rejections=True)
    assert snapshot.controls == ()
    responses = outbox_responses(runtime)
    assert [r.status for r in responses] == [252]
    assert bytes(responses[0].subject.value) == b"\x0a" * 16
    assert [i.target for i in sep2_of(runtime).store.pending_outbox(10)] == ["/rsps/1/rsp"]


async def test_device_fault_and_recovery_each_queue_a_log_event(runtime: GatewayRuntime) -> None:
    site = runtime.site
    assert isinstance(site, ScriptedSite)
    await runtime.step(NOW)
    site.faults = [DeviceFault("battery", "no answer")]
    await runtime.step(NOW + 10)
    await runtime.step(NOW + 20)  # still faulted: no second event
    site.faults = []
    await runtime.step(NOW + 30)
    events = [
        codec.decode(item.body, sep.LogEvent)
        for item in sep2_of(runtime).store.pending_outbox(100)
        if item.kind == "log_event"
    ]
    assert [(e.logEventCode, e.details) for e in events] == [
        (1, "battery: no answer"),
        (2, "battery recovered"),
    ]
    assert len({e.logEventID for e in events}) == 2


async def test_cancelled_subscription_notification_resubscribes_and_refetches(
    runtime: GatewayRuntime,
) -> None:
    sep2_of(runtime).subscriptions = {"/edev/1/derp/1/derc": "/edev/1/sub/4"}
    sep2_of(runtime).schedule.succeeded(Job.WALK, NOW)
    sep2_of(runtime).schedule.succeeded(Job.SUBSCRIBE, NOW)
    notification = sep.Notification(
        subscribedResource="/edev/1/derp/1/derc",
        status=4,  # cancelled: resource deleted
        subscriptionURI="/edev/1/sub/4",
    )
    status = await sep2_of(runtime)._on_notification("/notify", codec.encode(notification))
    assert status == 204
    assert sep2_of(runtime).subscriptions == {}
    assert Job.WALK in sep2_of(runtime).schedule.due(NOW)
    assert Job.SUBSCRIBE in sep2_of(runtime).schedule.due(NOW)


async def test_notification_that_is_not_2030_5_is_refused(runtime: GatewayRuntime) -> None:
    assert await sep2_of(runtime)._on_notification("/notify", b"<html/>") == 400
    assert await sep2_of(runtime)._on_notification("/elsewhere", b"") == 404


async def test_no_server_means_no_contact_and_backoff(runtime: GatewayRuntime) -> None:
    """Jobs that send nothing are not evidence of a server; a refused connect backs off."""
    await runtime.step(NOW)
    walk = sep2_of(runtime).schedule.jobs[Job.WALK]
    assert walk.failures == 1
    assert NOW < walk.due_at <= NOW + sep2_of(runtime).config.timing.backoff_initial_s
    assert sep2_of(runtime).state.last_contact_s is None
    assert sep2_of(runtime).view is None


class BrokenSite(ScriptedSite):
    """A site whose reads fail with something no layer below turned into a DeviceFault."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    async def read(self, now: float) -> SiteReading:
        self.reads += 1
        raise OSError("the serial adapter was unplugged")


async def test_run_loop_outlives_a_failing_step(runtime: GatewayRuntime) -> None:
    """An unexpected error in one step is logged; the loop carries on until stopped."""
    site = BrokenSite()
    runtime.site = site
    now = [NOW]
    runtime._clock = lambda: now[0]

    async def stop_after_two_reads() -> None:
        while site.reads < 2:
            now[0] += 20.0  # the next sample is due at every step
            await asyncio.sleep(0.05)
        runtime.stop()

    stopper = asyncio.create_task(stop_after_two_reads())
    await asyncio.wait_for(runtime.run(), timeout=10)
    await stopper
    assert site.reads >= 2


async def test_notification_about_a_programs_controls_refreshes_that_program_only(
    runtime: GatewayRuntime,
) -> None:
    """A change to a known DERControlList needs no walk from DeviceCapability."""
    program = program_with(volt_var_control()).program
    program.DERControlListLink = sep.DERControlListLink(href="/edev/1/derp/1/derc", all=1)
    sep2_of(runtime).view = Sep2View(
        dcap=None, end_device=None, programs=[ProgramView(program=program)]
    )
    for job in Job:
        sep2_of(runtime).schedule.succeeded(job, NOW)
    notification = sep.Notification(
        subscribedResource="/edev/1/derp/1/derc", status=0, subscriptionURI="/edev/1/sub/1"
    )
    assert await sep2_of(runtime)._on_notification("/notify", codec.encode(notification)) == 204
    assert sep2_of(runtime).schedule.due(NOW) == [Job.REFRESH]


async def test_envelope_ahead_comes_from_the_held_schedule(runtime: GatewayRuntime) -> None:
    """What a planner reads: the held control's limits over its window, nothing after."""
    control = volt_var_control()
    control.DERControlBase = sep.DERControlBase(
        opModExpLimW=sep.opModExpLimW(multiplier=sep.PowerOfTenMultiplierType(value=0), value=1500)
    )
    sep2_of(runtime).engine.update(
        sep2_of(runtime).snapshot([program_with(control)], NOW, answer_rejections=False), NOW
    )
    envelope = runtime.envelope(horizon_s=3600)
    assert envelope.at(NOW + 60).export_limit_w == 1500
    assert envelope.at(NOW + 700).export_limit_w is None


class TimedSite(ScriptedSite):
    """Remembers when each dispatch happened [monotonic s]."""

    def __init__(self) -> None:
        super().__init__()
        self.applied_at: list[tuple[float, EnvelopeLimits]] = []

    async def apply(self, limits: EnvelopeLimits, now: float) -> list[DeviceFault]:
        import time

        self.applied_at.append((time.monotonic(), limits))
        return []


async def test_hung_server_does_not_delay_a_held_control(pki_dir: Path, tmp_path: Path) -> None:
    """A server that accepts connections and never answers costs request timeouts; the
    control due now reaches the devices before any of them."""
    import time

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # holds the connection open until the client gives up

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    origin = f"http://127.0.0.1:{port}"
    config = GatewayConfig(
        name="gw",
        dcap_url=f"{origin}/dcap",
        cert_path=pki_dir / "gw.pem",
        key_path=pki_dir / "gw.key",
        ca_path=pki_dir / "serca.pem",
        store_path=tmp_path / "gw.sqlite",
        notifications=NotificationConfig(enabled=False),
        timing=TimingConfig(sample_s=3600, dispatch_s=3600, request_timeout_s=0.5),
    )
    site = TimedSite()
    runtime = assemble_gateway(
        config=config,
        identity=identity_from_pem((pki_dir / "gw.pem").read_bytes()),
        http=Sep2Http(origin, None, timeout_s=0.5),
        store=GatewayStore.open(config.store_path),
        site=site,
        clock=lambda: NOW + 5,
        rng=random.Random(1),
    )
    control = volt_var_control()
    control.DERControlBase = sep.DERControlBase(
        opModExpLimW=sep.opModExpLimW(multiplier=sep.PowerOfTenMultiplierType(value=0), value=900)
    )
    control.interval = sep.DateTimeInterval(start=time_type(NOW + 5), duration=600)
    sep2_of(runtime).engine.update(
        sep2_of(runtime).snapshot([program_with(control)], NOW, answer_rejections=False), NOW
    )
    try:
        started = time.monotonic()
        await runtime.step(NOW + 5)
        finished = time.monotonic()
    finally:
        await runtime.close()
        server.close()
    assert finished - started >= 0.5  # the walk waited for the hung server
    first_at, first_limits = site.applied_at[0]
    assert first_limits.export_limit_w == 900
    assert first_at - started < 0.25
