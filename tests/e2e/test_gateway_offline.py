"""The gateway without its server: real Modbus TCP devices, virtual time, no 2030.5 server.

A restarted gateway finds the schedule it held in its store and keeps running it while
the server is unreachable; once ``comms_loss_timeout_s`` passes without contact the
fallback limits apply; readings taken meanwhile stay buffered in the store.
"""

from __future__ import annotations

import random
from pathlib import Path

from openderms.client.envelope import EnvelopeLimits
from openderms.client.runtime.app import open_gateway
from openderms.client.runtime.devices_site import DevicesSite
from openderms.client.sim.server import start_site
from openderms.client.store import GatewayStore, ScheduleDocument
from openderms.schemas.sep2 import codec
from openderms.testing.clock import NOON_S
from openderms.testing.gateway import (
    closed_port,
    fast_timing,
    gateway_config,
    make_pki,
    small_site,
)
from openderms.testing.sep2_builders import der_control, der_program

PROGRAM = "/edev/1/derp/1"


def hold_schedule(store_path: Path, last_contact_s: float) -> None:
    """What a gateway that walked the server before its restart left in its store."""
    store = GatewayStore.open(store_path)
    control = der_control(
        1,
        start_s=last_contact_s - 60,
        duration_s=3600,
        created_s=last_contact_s - 120,
        generation_limit_w=2000.0,
        reply_to="/rsps/1/rsp",
    )
    store.save_schedule(
        [
            ScheduleDocument(PROGRAM, "program", codec.encode(der_program(PROGRAM))),
            ScheduleDocument(PROGRAM, "control", codec.encode(control)),
        ],
        fetched_at=last_contact_s,
    )
    store.put("last_contact_s", last_contact_s)
    store.close()


async def test_restarted_gateway_runs_held_schedule_then_falls_back(tmp_path: Path) -> None:
    pki_dir = make_pki(tmp_path / "pki", "gw1")
    store_path = tmp_path / "gw1.sqlite"
    t0 = NOON_S
    hold_schedule(store_path, last_contact_s=t0 - 10)
    now = [t0]
    config = gateway_config(
        pki_dir,
        "gw1",
        f"https://127.0.0.1:{closed_port()}/dcap",
        store_path,
        timing=fast_timing(comms_loss_timeout_s=300.0),
        fallback=EnvelopeLimits(generation_limit_w=1000.0),
    )
    async with start_site(small_site(), start=t0) as site:
        runtime = await open_gateway(
            config,
            DevicesSite.from_config(site.gateway_config()["devices"]),
            clock=lambda: now[0],
            rng=random.Random(1),
        )
        await runtime.start()
        inverter = site.sim.devices["pv"]
        limits_pct: list[tuple[float, float]] = []
        try:
            for offset in range(0, 400, 10):
                now[0] = t0 + offset
                await runtime.step(now[0])
                site.step(now[0])
                limits_pct.append((offset, inverter.limit_pct()))
            pending = runtime.status()["pending_samples"]
            outbox = runtime.status()["pending_outbox"]
            status = runtime.status()
        finally:
            await runtime.close()

    held = [pct for offset, pct in limits_pct if offset < 290]
    after = [pct for offset, pct in limits_pct if offset >= 300]
    # The held control: at most 2000 W of a 10 kW inverter (the dispatcher keeps a margin).
    assert held and all(19.0 <= pct <= 20.0 for pct in held)
    # Fallback 1000 W once 300 s passed since the last contact (t0 - 10).
    assert after and all(9.0 <= pct <= 10.0 for pct in after)
    assert status["comms_lost"] is True
    assert status["registered"] is False
    # Readings taken offline are kept for later (site + pv + battery per sample).
    assert pending >= 3 * 30
    # The "received"/"started" Responses wait in the outbox for the server.
    assert outbox >= 1
