"""A gateway under test: its PKI, a small simulated site, configs with short timings."""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path

from openderms.certs import pki
from openderms.client.config import GatewayConfig, NotificationConfig, TimingConfig
from openderms.client.envelope import EnvelopeLimits
from openderms.client.sim.config import SimConfig, SimDeviceConfig


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
