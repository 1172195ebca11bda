"""Fixtures of the conformance tests: our own server under test, with its PKI."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from openderms.certs import pki
from openderms.conformance.drivers import OpenDermsAdminDriver
from openderms.conformance.model import Profile
from openderms.conformance.server_runner import ClientCredentials, ServerTarget
from openderms.conformance.xml import find_xsd_dir
from openderms.testing.head_end import running_server

#: The virtual clients the server procedures use (besides "anonymous").
CLIENTS = ("device", "device2", "device3", "aggregator")

TargetFactory = Callable[[str], ServerTarget]


@pytest.fixture
async def make_target(tmp_path: Path) -> AsyncIterator[TargetFactory]:
    """``openderms server`` on loopback; ``make_target(prefix)`` gives a target whose
    virtual clients are new certificates (so several runs do not share devices)."""
    certs = tmp_path / "pki"
    pki.init_pki(certs)
    async with running_server(
        certs, tmp_path / "db.sqlite", clock=lambda: int(time.time())
    ) as server:
        driver = OpenDermsAdminDriver(server.admin_url, server.token, verify=server.admin_verify)

        def make(prefix: str) -> ServerTarget:
            clients = {}
            for name in CLIENTS:
                files = pki.issue_device(certs, f"{prefix}{name}", aggregator=name == "aggregator")
                clients[name] = ClientCredentials(files.cert, files.key)
            return ServerTarget(
                dcap_url=server.dcap_url,
                ca=certs / "serca.pem",
                clients=clients,
                driver=driver,
                profile=Profile.CSIP_AUS_12,
                xsd_dir=find_xsd_dir(),
                max_wait_s=30.0,
            )

        yield make
        await driver.aclose()


@pytest.fixture
def server_target(make_target: TargetFactory) -> ServerTarget:
    return make_target("")
