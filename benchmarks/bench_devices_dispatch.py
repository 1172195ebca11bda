"""Device-side figures: codec throughput and Modbus TCP cycle times on loopback.

Run: python benchmarks/bench_devices_dispatch.py

Prints, for the default simulated site (PV, battery, meter, EV charger, heat pump, each a
pymodbus TCP server on 127.0.0.1): discovery, a full telemetry read and one dispatch cycle
(every command written with its revert timer and read back), and the pure codec's decode
rate against struct.unpack as a baseline measured in the same run.
"""

from __future__ import annotations

import asyncio
import statistics
import struct
import time

from openderms.client.devices import Site
from openderms.client.devices.codec import decode
from openderms.client.dispatch import Dispatcher
from openderms.client.envelope import EnvelopeLimits
from openderms.client.sim import default_config, start_site

NOON = 12 * 3600.0


def bench_codec(n: int = 200_000) -> None:
    words = [0x1234, 0x5678]
    started = time.perf_counter()
    for _ in range(n):
        decode("int32", words)
    ours = time.perf_counter() - started
    packed = struct.pack(">2H", *words)
    started = time.perf_counter()
    for _ in range(n):
        struct.unpack(">i", packed)
    baseline = time.perf_counter() - started
    print(
        f"codec: int32 decode {n / ours / 1e3:.0f} k/s; "
        f"struct.unpack {n / baseline / 1e3:.0f} k/s; ratio {ours / baseline:.1f}x"
    )


async def bench_site(cycles: int = 20) -> None:
    async with start_site(default_config(), start=NOON) as sim:
        site = Site.from_config(sim.gateway_config())
        started = time.perf_counter()
        await site.discover()
        discovery_ms = (time.perf_counter() - started) * 1e3
        reads, applies, commands = [], [], 0
        dispatcher = Dispatcher(site, revert_s=60)
        for i in range(cycles):
            now = NOON + i
            started = time.perf_counter()
            telemetry = await site.read_telemetry(now)
            reads.append((time.perf_counter() - started) * 1e3)
            started = time.perf_counter()
            report = await dispatcher.apply(EnvelopeLimits(export_limit_w=5000.0), now, telemetry)
            applies.append((time.perf_counter() - started) * 1e3)
            commands = len(report.results)
            sim.step(now + 1)
        await site.close()
    print(
        f"site ({len(sim.endpoints)} devices): discovery {discovery_ms:.1f} ms; "
        f"telemetry read median {statistics.median(reads):.1f} ms; "
        f"dispatch of {commands} commands median {statistics.median(applies):.1f} ms"
    )


if __name__ == "__main__":
    bench_codec()
    asyncio.run(bench_site())
