"""The gateway's devices as one site: discovery and telemetry over every configured device.

A device that fails never stops the others: each result carries its own error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openderms.client.devices.device_map import DeviceMap, load_map_ref
from openderms.client.devices.driver import GenericDriver, describe_error
from openderms.client.devices.errors import DeviceError, MapError
from openderms.client.devices.kinds import DeviceKind
from openderms.client.devices.sunspec import ModelInstance
from openderms.client.devices.telemetry import DeviceTelemetry, SiteTelemetry
from openderms.client.devices.transport import (
    ModbusLink,
    RegisterIO,
    RtuConfig,
    TcpConfig,
    make_client,
)

__all__ = ["DeviceConfig", "DeviceTelemetry", "Site", "SiteTelemetry"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeviceConfig:
    """One configured device: its name, map and link."""

    name: str
    map: DeviceMap
    link: TcpConfig | RtuConfig
    phases: int = 3
    """AC phases (for converting an EV charger's power into amps)."""

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> DeviceConfig:
        """Build from a gateway config entry.

        ``{name, map, host, port, unit_id, timeout_s, retries}`` for Modbus TCP or
        ``{name, map, serial: {port, baudrate, parity, stopbits, bytesize}, unit_id, ...}``
        for RTU (devices on one ``port`` share the line and must agree on its settings);
        ``map`` is a built-in map name or a path to a YAML file.
        """
        name = raw.get("name")
        if not isinstance(name, str) or not name:
            raise MapError("devices[].name: required")
        map_ref = raw.get("map")
        if not isinstance(map_ref, str):
            raise MapError(f"devices[{name}].map: required")
        device_map = load_map_ref(map_ref)
        common = {
            "unit_id": int(raw.get("unit_id", 1)),
            "timeout_s": float(raw.get("timeout_s", 2.0)),
            "retries": int(raw.get("retries", 1)),
        }
        link: TcpConfig | RtuConfig
        if "serial" in raw:
            serial = raw["serial"]
            if not isinstance(serial, Mapping) or "port" not in serial:
                raise MapError(f"devices[{name}].serial.port: required")
            parity = serial.get("parity", "N")
            if parity not in ("N", "E", "O"):
                raise MapError(f"devices[{name}].serial.parity: expected N, E or O")
            stopbits, bytesize = int(serial.get("stopbits", 1)), int(serial.get("bytesize", 8))
            if stopbits not in (1, 2) or bytesize not in (7, 8):
                raise MapError(f"devices[{name}].serial: stopbits 1 or 2, bytesize 7 or 8")
            link = RtuConfig(
                port=str(serial["port"]),
                baudrate=int(serial.get("baudrate", 9600)),
                parity=parity,
                stopbits=stopbits,
                bytesize=bytesize,
                **common,  # type: ignore[arg-type]  # keys and types fixed above
            )
        else:
            if "host" not in raw:
                raise MapError(f"devices[{name}].host: required for Modbus TCP (or give serial)")
            link = TcpConfig(host=str(raw["host"]), port=int(raw.get("port", 502)), **common)  # type: ignore[arg-type]
        return cls(name=name, map=device_map, link=link, phases=int(raw.get("phases", 3)))


class Site:
    """The configured devices of one gateway.

    Devices behind one connection (several unit ids on one RS485 line, or behind one
    Modbus TCP gateway) share one pymodbus client, whose lock keeps their requests from
    interleaving on the wire; each device's own timeout and retries apply to its requests.
    """

    def __init__(
        self, configs: Sequence[DeviceConfig], links: Mapping[str, RegisterIO] | None = None
    ) -> None:
        self.configs = {c.name: c for c in configs}
        links = links or {}
        lines: dict[tuple[str, ...], tuple[Any, asyncio.Lock, TcpConfig | RtuConfig]] = {}
        self.drivers: dict[str, GenericDriver] = {}
        for c in configs:
            io = links.get(c.name)
            if io is None:
                key = _line_key(c.link)
                if key not in lines:
                    lines[key] = (make_client(c.link), asyncio.Lock(), c.link)
                client, lock, first = lines[key]
                if _line_settings(c.link) != _line_settings(first):
                    raise MapError(
                        f"devices[{c.name}].serial: {c.link.port} is already configured with "
                        f"other line settings {_line_settings(first)}; one line has one setting"
                    )
                io = ModbusLink(c.link, client=client, lock=lock)
            self.drivers[c.name] = GenericDriver(c.map, io, c.name)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Site:
        """From a gateway config: ``{"devices": [{name, map, host, port, ...}, ...]}``."""
        entries = config.get("devices", [])
        return cls([DeviceConfig.from_mapping(e) for e in entries])

    def kind(self, name: str) -> DeviceKind:
        return self.configs[name].map.kind

    def of_kind(self, kind: DeviceKind) -> list[GenericDriver]:
        return [d for n, d in self.drivers.items() if self.kind(n) == kind]

    async def discover(self) -> dict[str, list[ModelInstance] | DeviceError]:
        """Discover every device concurrently; a failure is returned, not raised."""

        async def one(driver: GenericDriver) -> list[ModelInstance] | DeviceError:
            try:
                return await driver.discover()
            except DeviceError as exc:
                log.warning("discovery of %s failed: %s", driver.name, exc)
                return exc

        results = await asyncio.gather(*(one(d) for d in self.drivers.values()))
        return dict(zip(self.drivers, results, strict=True))

    async def read_telemetry(self, now: float) -> SiteTelemetry:
        """Read every device concurrently; ``now`` [s since epoch] stamps the snapshot."""

        async def one(name: str, driver: GenericDriver) -> DeviceTelemetry:
            kind = self.kind(name)
            try:
                return DeviceTelemetry(name, kind, await driver.read())
            except DeviceError as exc:
                return DeviceTelemetry(name, kind, error=describe_error(exc))

        results = await asyncio.gather(*(one(n, d) for n, d in self.drivers.items()))
        return SiteTelemetry(now=now, devices={t.name: t for t in results})

    async def close(self) -> None:
        await asyncio.gather(*(d.io.close() for d in self.drivers.values()))


def _line_key(link: TcpConfig | RtuConfig) -> tuple[str, ...]:
    """Devices with equal keys share one connection."""
    if isinstance(link, TcpConfig):
        return ("tcp", link.host, str(link.port))
    return ("rtu", link.port)


def _line_settings(link: TcpConfig | RtuConfig) -> tuple[int, str, int, int] | None:
    """What every device on one serial line must agree on (one UART, one framing)."""
    if isinstance(link, TcpConfig):
        return None
    return (link.baudrate, link.parity, link.stopbits, link.bytesize)
