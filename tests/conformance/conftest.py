"""Fixtures of the conformance tests: our own server under test, with its PKI."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from openderms.certs import pki
from openderms.conformance.drivers import OpenDermsAdminDriver
from openderms.conformance.model import Profile
from openderms.conformance.server_runner import ClientCredentials, ServerTarget
from openderms.conformance.xml import find_xsd_dir
from openderms.testing.head_end import running_server

#: The virtual clients the server procedures use.
CLIENTS = ("device", "device2", "device3")


def make_pki(directory: Path) -> Path:
    pki.init_pki(directory)
    for name in CLIENTS:
        pki.issue_device(directory, name)
    pki.issue_device(directory, "aggregator", aggregator=True)
    return directory


@pytest.fixture
async def server_target(tmp_path: Path) -> AsyncIterator[ServerTarget]:
    """``openderms server`` on loopback and a target that tests it through its admin API."""
    certs = make_pki(tmp_path / "pki")
    async with running_server(
        certs, tmp_path / "db.sqlite", clock=lambda: int(time.time())
    ) as server:
        clients = {
            name: ClientCredentials(certs / f"{name}.pem", certs / f"{name}.key")
            for name in (*CLIENTS, "aggregator")
        }
        yield ServerTarget(
            dcap_url=server.dcap_url,
            ca=certs / "serca.pem",
            clients=clients,
            driver=OpenDermsAdminDriver(
                server.admin_url, server.token, verify=server.admin_verify
            ),
            profile=Profile.CSIP_AUS_12,
            xsd_dir=find_xsd_dir(),
            max_wait_s=30.0,
        )
