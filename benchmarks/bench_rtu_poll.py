"""Cost of polling devices over Modbus RTU (a pty null modem) against Modbus TCP, one run.

Two simulated inverters are served twice: on one RTU bus (unit ids 1 and 2, one serial
line, one shared client and lock) and as two TCP servers on 127.0.0.1 (the baseline).
A gateway :class:`Site` reads every capability of both (``read_telemetry``) repeatedly.
A pty carries bytes at memory speed, so the RTU figure is the protocol stack's cost
(framing, the line lock serialising the units), not a real wire: at 9600 8N1 one full
125-register response (255 bytes, 11 bits each) alone takes ~290 ms.

Usage: python benchmarks/bench_rtu_poll.py [--polls 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from openderms.client.devices import Site
from openderms.client.sim import parse_config, start_site
from openderms.client.sim.nullmodem import null_modem

NOON = 12 * 3600.0


def _site(bus: str | None) -> dict[str, Any]:
    devices: list[dict[str, Any]] = [
        {"name": "pv1", "type": "inverter", "rated_w": 6000.0},
        {"name": "pv2", "type": "inverter", "rated_w": 3000.0},
    ]
    if bus is None:
        return {"device": devices}
    for unit, device in enumerate(devices, start=1):
        device.update(bus="rs485", unit_id=unit)
    return {"bus": [{"name": "rs485", "serial": bus, "baudrate": 9600}], "device": devices}


async def _poll(site: Site, polls: int) -> list[float]:
    await site.discover()
    times_ms: list[float] = []
    for _ in range(polls):
        started = time.perf_counter()
        telemetry = await site.read_telemetry(now=NOON)
        times_ms.append((time.perf_counter() - started) * 1000)
        if any(t.error for t in telemetry.devices.values()):
            raise RuntimeError(f"poll failed: {telemetry}")
    return times_ms


async def main(polls: int) -> None:
    async with start_site(parse_config(_site(None)), NOON) as sim:
        site = Site.from_config(sim.gateway_config())
        try:
            tcp_ms = await _poll(site, polls)
        finally:
            await site.close()
    async with null_modem() as cable, start_site(parse_config(_site(cable.a)), NOON) as sim:
        site = Site.from_config(sim.gateway_config({"rs485": cable.b}))
        try:
            rtu_ms = await _poll(site, polls)
        finally:
            await site.close()
    tcp, rtu = statistics.median(tcp_ms), statistics.median(rtu_ms)
    print(f"read_telemetry of 2 inverters, {polls} polls, median [ms]:")
    print(f"  modbus tcp (2 servers, baseline): {tcp:7.2f}")
    print(f"  modbus rtu (1 line, pty):         {rtu:7.2f}   ratio {rtu / tcp:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--polls", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.polls))
