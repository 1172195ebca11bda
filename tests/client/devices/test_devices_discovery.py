"""SunSpec discovery over Modbus TCP, and the links' error and config paths."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from openderms.client.devices import (
    DeviceIOError,
    DiscoveryError,
    ModbusLink,
    RtuConfig,
    TcpConfig,
)
from openderms.client.devices.discovery import discover_models
from openderms.client.devices.site import DeviceConfig, Site
from openderms.client.devices.transport import make_client
from openderms.client.sim import RunningSite, SimServer
from openderms.client.sim.registers import RawRegisters, SunSpecRegisters


async def test_discovery_finds_the_model_chain(sim_site: RunningSite) -> None:
    endpoint = sim_site.endpoints["pv"]
    link = ModbusLink(TcpConfig(endpoint.host, endpoint.port, timeout_s=1.0, retries=0))
    try:
        base, models = await discover_models(link)
    finally:
        await link.close()
    assert base == 40000
    assert [m.model_id for m in models] == [1, 701, 702, 703, 704, 103, 120, 123]
    assert models[0].address == 40002 and models[0].length == 66
    for earlier, later in itertools.pairwise(models):
        assert later.address == earlier.end


async def test_discovery_falls_back_to_base_50000() -> None:
    server = SimServer("alt", SunSpecRegisters([1, 203], base=50000))
    await server.start()
    link = ModbusLink(TcpConfig(server.host, server.port, timeout_s=1.0, retries=0))
    try:
        base, models = await discover_models(link)
    finally:
        await link.close()
        await server.stop()
    assert base == 50000
    assert [m.model_id for m in models] == [1, 203]


async def test_device_without_marker_is_not_sunspec() -> None:
    server = SimServer(
        "plain", RawRegisters({0: 1, 1: 2, 40000: 0, 40001: 0, 50000: 0, 50001: 0}, {}, set())
    )
    await server.start()
    link = ModbusLink(TcpConfig(server.host, server.port, timeout_s=1.0, retries=0))
    try:
        with pytest.raises(DiscoveryError, match="no SunSpec marker"):
            await discover_models(link)
    finally:
        await link.close()
        await server.stop()


async def test_unreachable_device_raises_a_typed_error() -> None:
    server = SimServer("gone", RawRegisters({0: 0}, {}, set()))
    await server.start()
    port = server.port
    await server.stop()
    link = ModbusLink(TcpConfig("127.0.0.1", port, timeout_s=0.5, retries=0))
    with pytest.raises(DeviceIOError):
        await link.read(0, 1)
    await link.close()


async def test_refused_read_carries_the_modbus_exception_code(sim_site: RunningSite) -> None:
    endpoint = sim_site.endpoints["pv"]
    link = ModbusLink(TcpConfig(endpoint.host, endpoint.port, timeout_s=1.0, retries=0))
    try:
        with pytest.raises(DeviceIOError) as info:
            await link.read(100, 2)  # nothing below the SunSpec base
    finally:
        await link.close()
    assert info.value.exception_code == 2  # illegal data address


async def test_rtu_config_builds_a_serial_client() -> None:
    config = DeviceConfig.from_mapping(
        {
            "name": "ev",
            "map": "evcharger-generic",
            "serial": {"port": "/dev/ttyUSB0", "baudrate": 19200, "parity": "E"},
        }
    )
    assert isinstance(config.link, RtuConfig)
    client = make_client(config.link)
    assert type(client).__name__ == "AsyncModbusSerialClient"
    assert client.comm_params.baudrate == 19200
    assert client.comm_params.parity == "E"


async def test_silent_device_fails_within_its_own_timeout_and_retries() -> None:
    """A device that accepts the connection but never answers costs timeout x (retries + 1)."""

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)  # take the request, never answer
        await reader.read(1024)
        writer.close()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    link = ModbusLink(TcpConfig("127.0.0.1", port, timeout_s=0.2, retries=1))
    started = time.monotonic()
    try:
        with pytest.raises(DeviceIOError) as info:
            await link.read(40000, 2)
    finally:
        await link.close()
        server.close()
        await server.wait_closed()
    elapsed = time.monotonic() - started
    assert info.value.exception_code is None  # no answer, not a refusal
    assert 0.35 <= elapsed < 1.5


async def test_devices_behind_one_connection_share_it(sim_site: RunningSite) -> None:
    """Two unit ids behind one Modbus TCP gateway: one client, requests never interleave."""
    endpoint = sim_site.endpoints["meter"]
    entry = {"map": "sunspec-meter", "host": endpoint.host, "port": endpoint.port}
    site = Site.from_config(
        {"devices": [{**entry, "name": "a", "unit_id": 1}, {**entry, "name": "b", "unit_id": 2}]}
    )
    try:
        telemetry = await site.read_telemetry(0.0)
    finally:
        await site.close()
    a, b = site.drivers["a"].io, site.drivers["b"].io
    assert isinstance(a, ModbusLink) and isinstance(b, ModbusLink)
    assert a.client is b.client
    assert a.lock is b.lock
    assert a.config.unit_id == 1 and b.config.unit_id == 2
    assert telemetry.errors == {}
