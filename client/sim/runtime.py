"""The `openderms sim` runtime: the only simulator code that reads the wall clock."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import replace
from datetime import datetime

from openderms.client.sim.config import VIRTUAL_SERIAL, SimConfig, default_config, load_config
from openderms.client.sim.nullmodem import null_modem
from openderms.client.sim.server import start_site

__all__ = ["run_sim"]

log = logging.getLogger(__name__)


async def run_sim(
    config: str | SimConfig | None,
    speed: float = 1.0,
    start_iso: str | None = None,
    duration_s: float | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> int:
    """Serve the site and step its physics until interrupted (or ``duration_s`` [s] passes).

    Simulated time runs ``speed`` times faster than ``clock`` from ``start_iso`` (default:
    now). ``clock`` and ``sleep`` are the wall clock and asyncio's sleep unless a test
    passes its own.
    """
    if not isinstance(config, SimConfig):
        config = load_config(config) if config else default_config()
    if not log.isEnabledFor(logging.DEBUG):
        # pymodbus logs every connection at INFO; a long-running simulator only needs warnings.
        logging.getLogger("pymodbus").setLevel(logging.WARNING)
    wall0 = clock()
    sim0 = datetime.fromisoformat(start_iso).timestamp() if start_iso else wall0
    async with AsyncExitStack() as stack:
        buses = []
        for bus in config.buses:
            if bus.serial == VIRTUAL_SERIAL:
                cable = await stack.enter_async_context(null_modem())
                log.info("bus %s: virtual cable, gateway serial port %s", bus.name, cable.b)
                buses.append(replace(bus, serial=cable.a))
            else:
                buses.append(bus)
        config = replace(config, buses=tuple(buses))
        site = await stack.enter_async_context(start_site(config, start=sim0))
        for endpoint in site.endpoints.values():
            if endpoint.bus is not None:
                where = (
                    f"modbus rtu {endpoint.bus.serial} {endpoint.bus.baudrate} "
                    f"{endpoint.bus.bytesize}{endpoint.bus.parity}{endpoint.bus.stopbits}"
                )
            else:
                where = f"modbus tcp {endpoint.host}:{endpoint.port}"
            log.info(
                "%-10s %-18s %s unit %d", endpoint.name, endpoint.map_name, where, endpoint.unit_id
            )
        while duration_s is None or clock() - wall0 < duration_s:
            now = sim0 + (clock() - wall0) * speed
            state = site.step(now)
            log.debug(
                "site %.0f W pv %.0f W battery %.0f W", state.site_w, state.pv_w, state.battery_w
            )
            await sleep(config.step_s)
    return 0
