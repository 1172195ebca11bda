"""Helpers of the gateway's end-to-end tests: PKI, sites, configs, 2030.5 controls."""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path

from openderms.certs import pki
from openderms.client.config import GatewayConfig, NotificationConfig, TimingConfig
from openderms.client.envelope import EnvelopeLimits
from openderms.client.sim.config import SimConfig, SimDeviceConfig
from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.values import active_power, time_type

NOON_S = 1_782_043_200.0
"""2026-06-21 12:00 UTC: the simulated PV has sun (the sim's solar curve is UTC)."""


def small_site() -> SimConfig:
    """PV inverter, battery and site meter."""
    return SimConfig(
        devices=(
            SimDeviceConfig("pv", "inverter", params={"rated_w": 10000.0, "peak_w": 9500.0}),
            SimDeviceConfig("battery", "battery", params={"capacity_wh": 13500.0}),
            SimDeviceConfig("meter", "meter"),
        )
    )


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_pki(directory: Path, *devices: str) -> Path:
    pki.init_pki(directory)
    for name in devices:
        pki.issue_device(directory, name)
    return directory


def gateway_config(
    pki_dir: Path,
    name: str,
    dcap_url: str,
    store_path: Path,
    *,
    timing: TimingConfig | None = None,
    fallback: EnvelopeLimits | None = None,
    notifications: bool = False,
    pin: int | None = None,
) -> GatewayConfig:
    return GatewayConfig(
        name=name,
        dcap_url=dcap_url,
        cert_path=pki_dir / f"{name}.pem",
        key_path=pki_dir / f"{name}.key",
        ca_path=pki_dir / "serca.pem",
        store_path=store_path,
        pin=pin,
        notifications=NotificationConfig(enabled=notifications),
        timing=timing or TimingConfig(),
        fallback=fallback or EnvelopeLimits(),
    )


def fast_timing(**overrides: float) -> TimingConfig:
    """Short rates so a test needs few virtual minutes."""
    base = TimingConfig(
        poll_s=10.0,
        post_s=10.0,
        sample_s=10.0,
        dispatch_s=10.0,
        backoff_initial_s=1.0,
        backoff_max_s=5.0,
        request_timeout_s=2.0,
        comms_loss_timeout_s=300.0,
    )
    return replace(base, **overrides)


def mrid(n: int) -> sep.mRIDType:
    return sep.mRIDType(value=n.to_bytes(16, "big"))


def der_program(href: str, n: int = 1, primacy: int = 1) -> sep.DERProgram:
    return sep.DERProgram(href=href, mRID=mrid(0xD0 + n), primacy=sep.PrimacyType(value=primacy))


def der_control(
    n: int,
    *,
    start_s: float,
    duration_s: int,
    created_s: float,
    generation_limit_w: float | None = None,
    export_limit_w: float | None = None,
    connect: bool | None = None,
    reply_to: str | None = None,
) -> sep.DERControl:
    base = sep.DERControlBase(
        opModGenLimW=None
        if generation_limit_w is None
        else active_power(generation_limit_w, sep.opModGenLimW),
        opModExpLimW=None
        if export_limit_w is None
        else active_power(export_limit_w, sep.opModExpLimW),
        opModConnect=connect,
    )
    return sep.DERControl(
        href=f"/derc/{n}",
        mRID=mrid(n),
        replyTo=reply_to,
        responseRequired=b"\x03" if reply_to else b"\x00",
        creationTime=time_type(created_s),
        EventStatus=sep.EventStatus(
            currentStatus=0, dateTime=time_type(created_s), potentiallySuperseded=False
        ),
        interval=sep.DateTimeInterval(start=time_type(start_s), duration=duration_s),
        DERControlBase=base,
    )


class VirtualClock:
    """A clock both ends share in a test: the server's routes and the gateway read it."""

    def __init__(self, start_s: float) -> None:
        self.now_s = start_s

    def __call__(self) -> float:
        return self.now_s

    def server(self) -> int:
        return int(self.now_s)

    def advance(self, seconds: float) -> float:
        self.now_s += seconds
        return self.now_s
