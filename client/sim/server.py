"""Serve simulated devices over real Modbus (pymodbus 3.16): TCP, one port per device, or
RTU, one serial port per RS-485 bus with one unit id per device.

This is the adapter around the pure :class:`SimSite`: each device's register image is the
truth, and a pymodbus ``SimDevice`` action hook copies it into the server's buffer on
every read and hands every write to it; TCP and RTU share that hook, only the transport
differs. Physics only moves when someone calls ``step(now)``: tests pass a virtual clock,
``openderms sim`` passes the wall clock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from pymodbus import FramerType
from pymodbus.constants import ExcCodes
from pymodbus.exceptions import NoSuchIdException
from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.simulator import DataType, SimData
from pymodbus.simulator import SimDevice as PymodbusSimDevice
from pymodbus.simulator.simcore import SimCore

from openderms.client.sim.config import SimBusConfig, SimConfig, default_config
from openderms.client.sim.errors import RegisterAccessError, SimError
from openderms.client.sim.registers import RegisterImage, Table
from openderms.client.sim.site import SimSite, SiteState

__all__ = ["Endpoint", "RunningSite", "SimRtuBus", "SimServer", "start_site"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a simulated device listens, and the device map that drives it."""

    name: str
    host: str
    """TCP host ("" for a device on a bus)."""
    port: int
    """TCP port (0 for a device on a bus)."""
    map_name: str
    unit_id: int = 1
    bus: SimBusConfig | None = None
    """The RS-485 line of an RTU device (its serial port and line settings)."""


def _serve_registers(
    image: RegisterImage,
    function_code: int,
    start_address: int,
    address: int,
    count: int,
    registers: list[int],
    set_values: list[int] | list[bool] | None,
) -> ExcCodes | None:
    """The action hook's body, shared by TCP and RTU: the image answers the request."""
    if function_code not in (3, 4, 6, 16):
        return ExcCodes.ILLEGAL_FUNCTION  # registers only: no coils or discrete inputs
    table: Table = "input" if function_code == 4 else "holding"
    try:
        if set_values is not None:
            image.write(address, [int(v) for v in set_values])
        else:
            offset = address - start_address
            registers[offset : offset + count] = image.read(table, address, count)
    except RegisterAccessError:
        return ExcCodes.ILLEGAL_ADDRESS
    return None


def _pymodbus_device(image: RegisterImage, unit_id: int, action: Any) -> PymodbusSimDevice:
    return PymodbusSimDevice(
        id=unit_id,
        simdata=[SimData(0, count=image.max_address() + 1, values=0, datatype=DataType.REGISTERS)],
        action=action,
    )


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
        if set_values is not None and self.drop_on_write and function_code in (6, 16):
            self.drop_on_write = False
            log.info("sim %s: vanishing mid-write at %d", self.name, address)
            await self.stop()
            return ExcCodes.GATEWAY_NO_RESPONSE
        return _serve_registers(
            self.image, function_code, start_address, address, count, registers, set_values
        )

    async def start(self) -> None:
        """Listen on (host, port); port 0 takes a free port, stored in :attr:`port`."""
        device = _pymodbus_device(self.image, 0, self._action)  # id 0 answers every unit id
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


class _BusCore(SimCore):
    """pymodbus's simulator store, silent for unit ids nobody on the bus has.

    On RS-485 an absent unit never answers (Modbus over serial line V1.02 2.2); pymodbus
    3.16's ``SimCore`` instead fails the lookup and answers with an exception. Raising
    ``NoSuchIdException`` with ``ignore_missing_devices`` makes the server drop the request.
    """

    async def async_getValues(
        self, device_id: int, func_code: int, address: int, count: int = 1
    ) -> list[int] | list[bool] | ExcCodes:
        if device_id not in self.devices:
            raise NoSuchIdException(f"no unit {device_id} on this bus")
        return await super().async_getValues(device_id, func_code, address, count)

    async def async_setValues(
        self, device_id: int, func_code: int, address: int, values: list[int] | list[bool]
    ) -> ExcCodes | None:
        if device_id not in self.devices:
            raise NoSuchIdException(f"no unit {device_id} on this bus")
        return await super().async_setValues(device_id, func_code, address, values)


class SimRtuBus:
    """Simulated devices sharing one RS-485 line: a Modbus RTU server on a serial port.

    Each device answers its own unit id; requests to any other id get no answer, as on a
    real line, so a gateway polling a missing unit sees a timeout.
    """

    def __init__(self, bus: SimBusConfig, units: dict[int, tuple[str, RegisterImage]]) -> None:
        self.bus = bus
        self.units = units
        """unit id -> (device name, register image)."""
        self._server: Any = None

    def _action_for(self, image: RegisterImage) -> Any:
        async def action(
            function_code: int,
            start_address: int,
            address: int,
            count: int,
            registers: list[int],
            set_values: list[int] | list[bool] | None,
        ) -> ExcCodes | None:
            return _serve_registers(
                image, function_code, start_address, address, count, registers, set_values
            )

        return action

    async def start(self) -> None:
        """Open the serial port and answer requests.

        Raises
        ------
        SimError
            When the port cannot be opened.
        """
        devices = [
            _pymodbus_device(image, unit_id, self._action_for(image))
            for unit_id, (_name, image) in sorted(self.units.items())
        ]
        server = ModbusSerialServer(
            devices,
            framer=FramerType.RTU,
            port=self.bus.serial,
            baudrate=self.bus.baudrate,
            parity=self.bus.parity,
            stopbits=self.bus.stopbits,
            bytesize=self.bus.bytesize,
            ignore_missing_devices=True,
            reconnect_delay=0,
        )
        server.context = _BusCore(devices)
        try:
            await server.serve_forever(background=True)
        except RuntimeError as exc:
            raise SimError(f"bus {self.bus.name}: cannot open {self.bus.serial}") from exc
        self._server = server
        log.info("sim bus %s serving RTU on %s", self.bus.name, self.bus.serial)

    async def stop(self) -> None:
        """Close the serial port (idempotent)."""
        if self._server is not None:
            server, self._server = self._server, None
            await server.shutdown()

    @property
    def running(self) -> bool:
        return self._server is not None


class RunningSite:
    """A :class:`SimSite` with its servers: endpoints for the gateway, ``step`` for time."""

    def __init__(
        self,
        sim: SimSite,
        servers: dict[str, SimServer],
        buses: dict[str, SimRtuBus] | None = None,
    ) -> None:
        self.sim = sim
        self.servers = servers
        """TCP devices by name."""
        self.buses = buses or {}
        """RTU buses by name."""

    @property
    def endpoints(self) -> dict[str, Endpoint]:
        """Every device, TCP and RTU, in configuration order."""
        out: dict[str, Endpoint] = {}
        for device in self.sim.config.devices:
            if device.bus is not None:
                bus = self.buses[device.bus].bus
                out[device.name] = Endpoint(
                    device.name, "", 0, device.map_name, device.unit_id, bus
                )
            else:
                server = self.servers[device.name]
                out[device.name] = Endpoint(device.name, server.host, server.port, device.map_name)
        return out

    def step(self, now: float) -> SiteState:
        """Advance the physics to ``now`` [s since epoch]."""
        return self.sim.step(now)

    def gateway_config(self, serial_ports: Mapping[str, str] | None = None) -> dict[str, Any]:
        """A gateway ``devices`` config for :meth:`openderms.client.devices.Site.from_config`.

        Parameters
        ----------
        serial_ports : mapping, optional
            Bus name -> the serial port the *gateway* opens for that line (the far end of
            the cable); default: the simulator's own port path.
        """
        serial_ports = serial_ports or {}
        devices: list[dict[str, Any]] = []
        for e in self.endpoints.values():
            entry: dict[str, Any] = {"name": e.name, "map": e.map_name, "unit_id": e.unit_id}
            if e.bus is not None:
                entry["serial"] = {
                    "port": serial_ports.get(e.bus.name, e.bus.serial),
                    "baudrate": e.bus.baudrate,
                    "parity": e.bus.parity,
                    "stopbits": e.bus.stopbits,
                }
            else:
                entry["host"], entry["port"] = e.host, e.port
            devices.append(entry)
        return {"devices": devices}


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
    buses: dict[str, SimRtuBus] = {}
    try:
        for device in config.devices:
            if device.bus is None:
                server = SimServer(
                    device.name, sim.registers(device.name), config.host, device.port
                )
                await server.start()
                servers[device.name] = server
        for bus_config in config.buses:
            units = {
                d.unit_id: (d.name, sim.registers(d.name))
                for d in config.devices
                if d.bus == bus_config.name
            }
            bus = SimRtuBus(bus_config, units)
            await bus.start()
            buses[bus_config.name] = bus
        yield RunningSite(sim, servers, buses)
    finally:
        stoppers = [s.stop() for s in servers.values()] + [b.stop() for b in buses.values()]
        await asyncio.gather(*stoppers, return_exceptions=True)
