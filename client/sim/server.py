"""Serve simulated devices as real Modbus TCP servers (pymodbus 3.16), one port each.

This is the adapter around the pure :class:`SimSite`: each device's register image is the
truth, and a pymodbus ``SimDevice`` action hook copies it into the server's buffer on
every read and hands every write to it. Physics only moves when someone calls
``step(now)``: tests pass a virtual clock, ``openderms sim`` passes the wall clock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData
from pymodbus.simulator import SimDevice as PymodbusSimDevice

from openderms.client.sim.config import SimConfig, default_config
from openderms.client.sim.errors import RegisterAccessError
from openderms.client.sim.registers import RegisterImage, Table
from openderms.client.sim.site import SimSite, SiteState

__all__ = ["Endpoint", "RunningSite", "SimServer", "start_site"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a simulated device listens, and the device map that drives it."""

    name: str
    host: str
    port: int
    map_name: str
    unit_id: int = 1


class SimServer:
    """One simulated device on one TCP port."""

    def __init__(
        self, name: str, image: RegisterImage, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.name = name
        self.image = image
        self.host = host
        self.port = port
        self.drop_on_write = False
        """Test hook: on the next write request, vanish without answering (power cut)."""
        self._server: Any = None

    async def _action(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        if function_code not in (3, 4, 6, 16):
            return ExcCodes.ILLEGAL_FUNCTION  # registers only: no coils or discrete inputs
        table: Table = "input" if function_code == 4 else "holding"
        try:
            if set_values is not None:
                if self.drop_on_write:
                    self.drop_on_write = False
                    log.info("sim %s: vanishing mid-write at %d", self.name, address)
                    await self.stop()
                    return ExcCodes.GATEWAY_NO_RESPONSE
                self.image.write(address, [int(v) for v in set_values])
            else:
                offset = address - start_address
                registers[offset : offset + count] = self.image.read(table, address, count)
        except RegisterAccessError:
            return ExcCodes.ILLEGAL_ADDRESS
        return None

    async def start(self) -> None:
        """Listen on (host, port); port 0 takes a free port, stored in :attr:`port`."""
        size = self.image.max_address() + 1
        device = PymodbusSimDevice(
            id=0,  # 0 answers every unit id
            simdata=[SimData(0, count=size, values=0, datatype=DataType.REGISTERS)],
            action=self._action,
        )
        self._server = ModbusTcpServer(device, address=(self.host, self.port))
        await self._server.serve_forever(background=True)
        self.port = int(self._server.transport.sockets[0].getsockname()[1])
        log.info("sim %s listening on %s:%d", self.name, self.host, self.port)

    async def stop(self) -> None:
        """Close the listener and every connection (idempotent)."""
        if self._server is not None:
            server, self._server = self._server, None
            await server.shutdown()

    @property
    def running(self) -> bool:
        return self._server is not None


class RunningSite:
    """A :class:`SimSite` with its servers: endpoints for the gateway, ``step`` for time."""

    def __init__(self, sim: SimSite, servers: dict[str, SimServer]) -> None:
        self.sim = sim
        self.servers = servers

    @property
    def endpoints(self) -> dict[str, Endpoint]:
        types = {d.name: d.map_name for d in self.sim.config.devices}
        return {
            name: Endpoint(name, server.host, server.port, types[name])
            for name, server in self.servers.items()
        }

    def step(self, now: float) -> SiteState:
        """Advance the physics to ``now`` [s since epoch]."""
        return self.sim.step(now)

    def gateway_config(self) -> dict[str, Any]:
        """A gateway ``devices`` config for :meth:`openderms.client.devices.Site.from_config`."""
        return {
            "devices": [
                {
                    "name": e.name,
                    "map": e.map_name,
                    "host": e.host,
                    "port": e.port,
                    "unit_id": e.unit_id,
                }
                for e in self.endpoints.values()
            ]
        }


@asynccontextmanager
async def start_site(
    config: SimConfig | None = None, start: float = 0.0
) -> AsyncIterator[RunningSite]:
    """Run a simulated site on loopback for the duration of the ``async with``.

    Parameters
    ----------
    config : SimConfig, optional
        Defaults to the packaged ``default.toml``.
    start : float
        Initial simulation time [s since epoch].

    Examples
    --------
    >>> async with start_site(default_config(), start=now) as site:  # doctest: +SKIP
    ...     port = site.endpoints["pv"].port
    ...     site.step(now + 1)
    """
    config = config or default_config()
    sim = SimSite(config, start)
    servers: dict[str, SimServer] = {}
    try:
        for device in config.devices:
            server = SimServer(device.name, sim.registers(device.name), config.host, device.port)
            await server.start()
            servers[device.name] = server
        yield RunningSite(sim, servers)
    finally:
        await asyncio.gather(*(s.stop() for s in servers.values()), return_exceptions=True)
