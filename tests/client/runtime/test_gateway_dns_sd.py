"""A gateway configured with ``discovery = "dns-sd"`` takes its DeviceCapability URL from mDNS.

Real mDNS on this machine: the advertiser is bound to 127.0.0.1, the gateway browses
on every interface as it does in the field (``open_gateway`` passes no interface list).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path

import pytest

from openderms.certs import pki
from openderms.client.cli import _main
from openderms.client.config import GatewayConfig, NotificationConfig
from openderms.client.runtime.app import open_gateway
from openderms.client.runtime.devices_site import DevicesSite
from openderms.client.sep2.session import Sep2Session
from openderms.server.discovery import advertise


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("pki")
    pki.init_pki(directory)
    pki.issue_device(directory, "gw")
    return directory


def _config(pki_dir: Path, tmp_path: Path, **discovery: object) -> GatewayConfig:
    return GatewayConfig(
        name="gw",
        dcap_url=None,
        discovery="dns-sd",
        cert_path=pki_dir / "gw.pem",
        key_path=pki_dir / "gw.key",
        ca_path=pki_dir / "serca.pem",
        store_path=tmp_path / "gw.sqlite",
        notifications=NotificationConfig(enabled=False),
        **discovery,  # type: ignore[arg-type]  # keyword fields of GatewayConfig
    )


async def test_gateway_takes_dcap_url_from_the_advertised_server(
    pki_dir: Path, tmp_path: Path
) -> None:
    label = f"head-{uuid.uuid4().hex[:10]}"
    advertisement = await asyncio.wait_for(advertise("127.0.0.1", 18443, instance=label), 10)
    try:
        config = _config(pki_dir, tmp_path, discovery_instance=label, discovery_timeout_s=5.0)
        runtime = await asyncio.wait_for(open_gateway(config, DevicesSite.from_config(())), 10)
        await runtime.close()
    finally:
        await asyncio.wait_for(advertisement.close(), 10)
    sep2 = runtime.session("sep2")
    assert isinstance(sep2, Sep2Session)
    assert sep2.config.dcap_url == "https://127.0.0.1:18443/dcap"


async def test_client_command_fails_cleanly_when_no_server_answers(
    pki_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Exit status 2 and one log line saying what to do, after the configured timeout."""
    config = _config(
        pki_dir, tmp_path, discovery_subtype=f"n{uuid.uuid4().hex[:10]}", discovery_timeout_s=0.5
    )
    with caplog.at_level(logging.ERROR, logger="openderms.client"):
        status = await asyncio.wait_for(_main(config, 0.1), 10)
    assert status == 2
    assert "no IEEE 2030.5 server found by DNS-SD" in caplog.text
    assert "dcap_url" in caplog.text
