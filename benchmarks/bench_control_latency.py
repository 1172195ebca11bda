"""Control latency: admin API creates a DERControl -> the simulated inverter holds the limit.

One run measures both ways a gateway learns of a control, against the same server, site
and gateway code, all on 127.0.0.1 (2030.5 over mutual TLS, Modbus TCP to the simulator):

- subscription: the gateway subscribed; the server POSTs a Notification, the gateway
  walks and dispatches (server pollRate 900 s, so polling plays no part);
- polling (baseline): no subscription; the server sets pollRate 1 s (the smallest it
  allows), so the expected wait is half a poll plus the walk and the dispatch.

Each control sets opModGenLimW, alternating between two values, so every control changes
the inverter's WMaxLimPct; the clock stops when the simulated inverter's register holds
the new limit. Wall-clock time, real sockets, real TLS.

Usage: python benchmarks/bench_control_latency.py [--controls 50]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from openderms.certs.identity import identity_from_pem
from openderms.client.runtime.app import open_gateway
from openderms.client.runtime.devices_site import DevicesSite
from openderms.client.sim.config import SimConfig, SimDeviceConfig
from openderms.client.sim.server import start_site
from openderms.testing.gateway import fast_timing, gateway_config, make_pki
from openderms.testing.head_end import running_server

RATED_W = 10_000.0
LIMITS_W = (3000.0, 6000.0)


def pv_site() -> SimConfig:
    """A PV inverter and a meter: the generation limit is the inverter's alone."""
    return SimConfig(
        devices=(
            SimDeviceConfig("pv", "inverter", params={"rated_w": RATED_W, "peak_w": 9500.0}),
            SimDeviceConfig("meter", "meter"),
        )
    )


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


async def measure(path: str, controls: int, workdir: Path) -> list[float]:
    """Latencies [s] of ``controls`` controls on the given path."""
    pki_dir = make_pki(workdir / "pki", "gw1")
    lfdi = identity_from_pem((pki_dir / "gw1.pem").read_bytes()).lfdi
    subscribed = path == "subscription"
    poll_rate_s = 900 if subscribed else 1
    latencies: list[float] = []
    misses: list[int] = []
    rng = random.Random(2030)
    async with (
        running_server(
            pki_dir,
            workdir / "server.sqlite",
            clock=lambda: int(time.time()),
            poll_rate_s=poll_rate_s,
            post_rate_s=60,
        ) as server,
        start_site(pv_site(), start=time.time()) as site,
    ):
        config = gateway_config(
            pki_dir,
            "gw1",
            server.dcap_url,
            workdir / "gw1.sqlite",
            timing=fast_timing(sample_s=60.0, post_s=60.0, dispatch_s=60.0, poll_s=900.0),
            notifications=subscribed,
        )
        config = replace(config, register_in_band=True)
        gateway = await open_gateway(
            config, DevicesSite.from_config(site.gateway_config()["devices"])
        )
        runner = asyncio.create_task(gateway.run())
        inverter = site.sim.devices["pv"]
        async with server.admin() as admin:
            # Warm up: registration, first walk, subscriptions.
            for _ in range(200):
                status = gateway.status()
                if status["registered"] and (not subscribed or status["subscriptions"]):
                    break
                await asyncio.sleep(0.05)
            for index in range(controls + 1):
                limit_w = LIMITS_W[index % 2]
                target_pct = limit_w / RATED_W * 100
                started = time.perf_counter()
                response = await admin.post(
                    f"/devices/{lfdi}/controls",
                    json={
                        "start": int(time.time()) - 1,
                        "duration_s": 3600,
                        "modes": {"op_mod_gen_lim_w": limit_w},
                    },
                )
                response.raise_for_status()
                created_s = int(response.json()["creation_time"])
                applied = True
                while not target_pct - 1.0 <= inverter.limit_pct() <= target_pct:
                    if time.perf_counter() - started > 30:
                        applied = False
                        break
                    await asyncio.sleep(0.002)
                if not applied:
                    misses.append(index)
                    print(f"{path}: control {index} not applied in 30 s", file=sys.stderr)
                elif index > 0:  # the first one also subscribes to the new program's lists
                    latencies.append(time.perf_counter() - started)
                # creationTime has one-second resolution: two controls created in the same
                # second are ordered by mRID, not by when they were made, so the next one is
                # created in a later second, at a random phase (a fixed phase would lock on
                # to the 1 s poll and bias the polling figures).
                phase_s = rng.uniform(0.05, 0.9)
                await asyncio.sleep(max(0.05, created_s + 1 + phase_s - time.time()))
        gateway.stop()
        await runner
    if misses:
        print(f"{path}: {len(misses)} controls never reached the inverter: {misses}")
    return latencies


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--controls", type=int, default=50)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    results: dict[str, list[float]] = {}
    for path in ("subscription", "polling"):
        with tempfile.TemporaryDirectory() as tmp:
            results[path] = await measure(path, args.controls, Path(tmp))
    print(f"control latency, admin API -> inverter register, {args.controls} controls each")
    print(f"{'path':<14}{'p50 [ms]':>10}{'p99 [ms]':>10}{'mean [ms]':>11}{'max [ms]':>10}")
    for path, values in results.items():
        ms = [v * 1000 for v in values]
        print(
            f"{path:<14}{percentile(ms, 50):>10.0f}{percentile(ms, 99):>10.0f}"
            f"{statistics.fmean(ms):>11.0f}{max(ms):>10.0f}"
        )
    ratio = percentile(results["polling"], 50) / percentile(results["subscription"], 50)
    print(f"polling (pollRate 1 s) / subscription, p50: {ratio:.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
