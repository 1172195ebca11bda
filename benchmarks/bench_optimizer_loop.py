"""Dispatch cycle time with and without the optimizer in the loop.

Run: ``python benchmarks/bench_optimizer_loop.py``. The simulator's default site (PV,
battery, meter, EV charger, heat pump) over real Modbus TCP on 127.0.0.1, a 2 kW export
limit and an 8 kW import limit, one dispatch every 30 s of virtual time for an hour:

- envelope-only: :class:`Dispatcher` (the baseline, measured in the same run);
- with the optimizer: a :class:`Dispatcher` whose targets come from an
  :class:`OptimizerLoop` with the default settings (24 x 15 min,
  binaries over the first 8 intervals); cycles that waited for a solve are shown apart.

Wall time per cycle includes the Modbus reads and writes; the ratio is against the
baseline's median.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time

from openderms.client.devices import Site
from openderms.client.dispatch import Dispatcher
from openderms.client.envelope import EnvelopeLimits, GridEnvelope
from openderms.client.optimizer_settings import OptimizerSettings
from openderms.client.runtime.optimizer_loop import OptimizerLoop
from openderms.client.sim import default_config, start_site

START = 1_782_043_200.0  # 12:00 UTC
CYCLES = 120
LIMITS = EnvelopeLimits(export_limit_w=2000.0, import_limit_w=8000.0)


async def _run(planned: bool) -> tuple[list[float], list[float], int]:
    async with start_site(default_config(), start=START) as site:
        gateway = Site.from_config(site.gateway_config())
        await gateway.discover()
        loop = OptimizerLoop(
            OptimizerSettings(enabled=True, solve_wait_s=60.0),
            gateway,
            lambda now, horizon_s: GridEnvelope(baseline=LIMITS),
        )
        dispatcher: Dispatcher = (
            Dispatcher(gateway, revert_s=300.0, targets=loop)
            if planned
            else Dispatcher(gateway, revert_s=300.0)
        )
        plain: list[float] = []
        solving: list[float] = []
        try:
            now = START
            for _ in range(CYCLES):
                plans_before = loop.plans_made
                began = time.perf_counter()
                await dispatcher.apply(LIMITS, now)
                elapsed = time.perf_counter() - began
                (solving if loop.plans_made != plans_before else plain).append(elapsed)
                now += 30.0
                site.step(now)
        finally:
            await gateway.close()
        return plain, solving, loop.plans_made


def _ms(values: list[float]) -> str:
    if not values:
        return "-"
    return f"median {statistics.median(values) * 1e3:7.1f} ms, max {max(values) * 1e3:7.1f} ms"


async def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    base, _, _ = await _run(planned=False)
    plain, solving, plans = await _run(planned=True)
    baseline = statistics.median(base)
    print(f"{CYCLES} dispatch cycles, 30 s apart (virtual), default sim site over Modbus TCP")
    print(f"envelope-only            {_ms(base)}   1.00x")
    ratio = statistics.median(plain) / baseline
    print(f"optimizer, no solve      {_ms(plain)}   {ratio:.2f}x")
    ratio = statistics.median(solving) / baseline if solving else float("nan")
    print(f"optimizer, with solve    {_ms(solving)}   {ratio:.2f}x   ({plans} plans)")


if __name__ == "__main__":
    asyncio.run(main())
