"""Modbus TCP and RTU access for one device, over pymodbus 3.16's asyncio clients.

This is the adapter: everything here does I/O. It adds what the drivers need on top of
pymodbus: spans split to the 125-register read and 123-register write limits, a timeout
and a retry count per device, and one typed error (:class:`DeviceIOError`) for every
failure (timeout, connection loss, Modbus exception response).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pymodbus import FramerType, ModbusException
from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient

from openderms.client.devices.errors import DeviceIOError
from openderms.client.devices.spans import MAX_READ_REGISTERS, MAX_WRITE_REGISTERS, split_span

__all__ = [
    "ModbusLink",
    "RegisterIO",
    "RtuConfig",
    "Table",
    "TcpConfig",
    "make_client",
]

log = logging.getLogger(__name__)

Table = Literal["holding", "input"]


@dataclass(frozen=True, slots=True)
class TcpConfig:
    """A Modbus TCP device."""

    host: str
    port: int = 502
    unit_id: int = 1
    timeout_s: float = 2.0
    """Per-request timeout [s]."""
    retries: int = 1
    """Resends after a timeout before the request fails."""


@dataclass(frozen=True, slots=True)
class RtuConfig:
    """A Modbus RTU device on a serial line (RS485)."""

    port: str
    """Serial device, e.g. ``/dev/ttyUSB0``."""
    baudrate: int = 9600
    parity: Literal["N", "E", "O"] = "N"
    stopbits: int = 1
    bytesize: int = 8
    unit_id: int = 1
    timeout_s: float = 1.0
    """Per-request timeout [s]."""
    retries: int = 1


class RegisterIO(Protocol):
    """What drivers need from a Modbus connection (lets tests and other links stand in)."""

    async def read(self, address: int, count: int, table: Table = "holding") -> list[int]: ...

    async def write(self, address: int, values: Sequence[int]) -> None: ...

    async def close(self) -> None: ...


# pymodbus ships no type information for its client classes' generics we can use.
def make_client(config: TcpConfig | RtuConfig) -> Any:
    """Build (not connect) the pymodbus client for ``config``.

    Automatic reconnection is off (``reconnect_delay=0``): :class:`ModbusLink` reconnects
    on the next request, so a vanished device costs one timeout per poll, not a busy loop.
    """
    if isinstance(config, TcpConfig):
        return AsyncModbusTcpClient(
            config.host,
            port=config.port,
            timeout=config.timeout_s,
            retries=config.retries,
            reconnect_delay=0,
            name=f"tcp-{config.host}:{config.port}",
        )
    return AsyncModbusSerialClient(
        config.port,
        framer=FramerType.RTU,
        baudrate=config.baudrate,
        parity=config.parity,
        stopbits=config.stopbits,
        bytesize=config.bytesize,
        timeout=config.timeout_s,
        retries=config.retries,
        reconnect_delay=0,
        name=f"rtu-{config.port}",
    )


class ModbusLink:
    """One device's Modbus connection: chunked reads and writes with typed errors."""

    def __init__(
        self, config: TcpConfig | RtuConfig, client: Any = None, lock: asyncio.Lock | None = None
    ) -> None:
        self.config = config
        self._client: Any = client if client is not None else make_client(config)
        self.lock = lock or asyncio.Lock()
        """Held for a whole read or write; links that share a client share their lock."""

    @property
    def client(self) -> Any:
        """The pymodbus client (shared by devices on the same line)."""
        return self._client

    @property
    def name(self) -> str:
        if isinstance(self.config, TcpConfig):
            return f"{self.config.host}:{self.config.port}/{self.config.unit_id}"
        return f"{self.config.port}/{self.config.unit_id}"

    def _use_own_timing(self) -> None:
        """Apply this device's timeout and retries to the (possibly shared) client.

        Called with :attr:`lock` held: units on one RS-485 line share a client, yet a unit
        known to be slow or absent gets its own timeout. pymodbus 3.16 reads both from its
        transaction manager (``ctx``) at every request.
        """
        ctx = getattr(self._client, "ctx", None)
        if ctx is not None:
            ctx.comm_params.timeout_connect = self.config.timeout_s
            ctx.retries = self.config.retries

    async def _ensure_connected(self) -> None:
        self._use_own_timing()
        if self._client.connected:
            return
        try:
            ok = await self._client.connect()
        except (OSError, ModbusException) as exc:
            raise DeviceIOError(f"{self.name}: cannot connect: {exc}") from exc
        if not ok:
            raise DeviceIOError(f"{self.name}: cannot connect")

    async def _call(self, what: str, request: Callable[[], Awaitable[Any]]) -> Any:
        try:
            # pymodbus raises before returning the awaitable when the link is down.
            response = await request()
        except (OSError, ModbusException, TimeoutError) as exc:
            raise DeviceIOError(f"{self.name}: {what} failed: {exc}") from exc
        if response is None or response.isError():
            code = getattr(response, "exception_code", None)
            raise DeviceIOError(f"{self.name}: {what} refused (exception code {code})", code or 0)
        return response

    async def read(self, address: int, count: int, table: Table = "holding") -> list[int]:
        """Read ``count`` registers from ``address``, in requests of at most 125.

        Raises
        ------
        DeviceIOError
            On timeout (after the configured retries), connection loss or an exception
            response.
        """
        unit = self.config.unit_id
        reader = (
            self._client.read_input_registers
            if table == "input"
            else self._client.read_holding_registers
        )
        out: list[int] = []
        async with self.lock:
            await self._ensure_connected()
            for start, n in split_span(address, count, MAX_READ_REGISTERS):
                response = await self._call(
                    f"read {start}+{n}",
                    functools.partial(reader, start, count=n, device_id=unit),
                )
                registers = list(response.registers)[:n]
                if len(registers) != n:
                    raise DeviceIOError(f"{self.name}: read {start}+{n} returned {len(registers)}")
                out.extend(registers)
        return out

    async def write(self, address: int, values: Sequence[int]) -> None:
        """Write registers from ``address`` (function 16), in requests of at most 123.

        Raises
        ------
        DeviceIOError
            As :meth:`read`.
        """
        unit = self.config.unit_id
        data = list(values)
        async with self.lock:
            await self._ensure_connected()
            for start, n in split_span(address, len(data), MAX_WRITE_REGISTERS):
                chunk = data[start - address : start - address + n]
                await self._call(
                    f"write {start}+{n}",
                    functools.partial(self._client.write_registers, start, chunk, device_id=unit),
                )

    async def close(self) -> None:
        """Close the connection (idempotent)."""
        self._client.close()
