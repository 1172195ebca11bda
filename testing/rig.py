"""A whole site under test: a running head-end, a simulated site over real Modbus TCP and a
gateway between them, stepped together on one virtual clock."""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from openderms.certs.identity import identity_from_pem
from openderms.client.config import GatewayConfig
from openderms.client.runtime.app import open_gateway
from openderms.client.runtime.devices_site import DevicesSite
from openderms.client.runtime.gateway import GatewayRuntime
from openderms.client.sim.server import RunningSite, start_site
from openderms.testing.clock import NOON_S, VirtualClock
from openderms.testing.gateway import fast_timing, gateway_config, make_pki, small_site
from openderms.testing.head_end import RunningServer, running_server

#: The registration PIN of the rig's gateway.
PIN = 123455


def quick_devices(site: RunningSite) -> list[dict[str, Any]]:
    """The site's device entries with short Modbus timeouts (a vanished device costs
    little wall time)."""
    return [
        {**entry, "timeout_s": 0.3, "retries": 0} for entry in site.gateway_config()["devices"]
    ]


async def start_gateway(
    config: GatewayConfig, site: RunningSite, clock: VirtualClock, *, seed: int | None = None
) -> GatewayRuntime:
    """``openderms client`` in-process for ``config``, on ``site``'s devices (short Modbus
    timeouts) and ``clock``, started; ``seed`` makes its randomized jitter replayable."""
    rng = None if seed is None else random.Random(seed)  # noqa: S311 - jitter, not a secret
    gateway = await open_gateway(
        config, DevicesSite.from_config(quick_devices(site)), clock=clock, rng=rng
    )
    await gateway.start()
    return gateway


@dataclass
class Rig:
    clock: VirtualClock
    server: RunningServer
    site: RunningSite
    gateway: GatewayRuntime
    lfdi: str

    async def run_for(self, seconds: float, tick_s: float = 1.0) -> None:
        """Advance the shared clock, stepping the gateway and the site physics."""
        end = self.clock.now_s + seconds
        while self.clock.now_s < end:
            self.clock.advance(tick_s)
            await self.gateway.step(self.clock.now_s)
            self.site.step(self.clock.now_s)

    async def admin_json(self, method: str, path: str, body: Any = None) -> Any:
        async with self.server.admin() as admin:
            response = await admin.request(method, path, json=body)
        if not response.is_success:
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    async def control(
        self, modes: dict[str, Any], *, duration_s: int, starts_in_s: int = 0
    ) -> Any:
        """Schedule a DERControl for this gateway's device through the admin API."""
        start = int(self.clock.now_s) + starts_in_s
        body = {"start": start, "duration_s": duration_s, "modes": modes}
        return await self.admin_json("POST", f"/devices/{self.lfdi}/controls", body)


@contextlib.asynccontextmanager
async def open_rig(directory: Path, **config_changes: Any) -> AsyncIterator[Rig]:
    """Gateway ``gw1`` registered out of band (PIN :data:`PIN`) with a head-end whose pollRate
    and postRate are 10 s, and :func:`small_site` at noon; files under ``directory``;
    `config_changes` replace fields of the gateway's GatewayConfig."""
    pki_dir = make_pki(directory / "pki", "gw1")
    lfdi = identity_from_pem((pki_dir / "gw1.pem").read_bytes()).lfdi
    clock = VirtualClock(NOON_S)
    async with (
        running_server(
            pki_dir,
            directory / "server.sqlite",
            clock=clock.server,
            poll_rate_s=10,
            post_rate_s=10,
        ) as server,
        start_site(small_site(), start=clock.now_s) as site,
    ):
        async with server.admin() as admin:
            registered = await admin.post("/devices", json={"lfdi": lfdi, "pin": PIN})
            if registered.status_code != 201:
                raise AssertionError(f"registration: {registered.text}")
        config = gateway_config(
            pki_dir,
            "gw1",
            server.dcap_url,
            directory / "gw1.sqlite",
            # Defaults the server's rates (10 s) must override.
            timing=fast_timing(poll_s=900.0, post_s=900.0),
            pin=PIN,
        )
        config = replace(config, register_in_band=False, **config_changes)
        gateway = await start_gateway(config, site, clock, seed=3)
        try:
            yield Rig(clock, server, site, gateway, lfdi)
        finally:
            await gateway.close()
