"""The simulator's Modbus RTU buses: config, and serving over a real (pseudo-)serial line.

Each bus test runs the RTU server on one end of a pty null modem and a real pymodbus RTU
client (via :class:`ModbusLink`) on the other; every await is bounded by a timeout.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from openderms.client.devices import (
    GenericDriver,
    ModbusLink,
    RtuConfig,
    TcpConfig,
    load_builtin_map,
)
from openderms.client.devices.errors import DeviceIOError
from openderms.client.devices.transport import make_client
from openderms.client.sim import RunningSite, SimBusConfig, parse_config, start_site
from openderms.client.sim.errors import SimConfigError, SimError
from openderms.client.sim.nullmodem import null_modem
from openderms.client.sim.runtime import run_sim

NOON = 12 * 3600.0
BOUND_S = 10.0
"""No test may take longer than this, whatever the line does [s]."""


def _bus_site(path: str, **bus: Any) -> dict[str, Any]:
    # Parity N: Linux ptys drop PARENB, and pyserial's reopen with E then gets EINVAL.
    return {
        "site": {"house_base_w": 400.0, "house_evening_peak_w": 0.0},
        "bus": [{"name": "rs485", "serial": path, "baudrate": 19200, **bus}],
        "device": [
            {"name": "pv1", "type": "inverter", "bus": "rs485", "unit_id": 1, "rated_w": 6000.0},
            {"name": "pv2", "type": "inverter", "bus": "rs485", "unit_id": 2, "rated_w": 3000.0},
            {"name": "meter", "type": "meter"},  # on Modbus TCP, same physics
        ],
    }


@asynccontextmanager
async def _rtu_site() -> AsyncIterator[tuple[RunningSite, str]]:
    """A site whose inverters are on an RTU bus; yields it and the gateway's end of the line."""
    async with null_modem() as cable, start_site(parse_config(_bus_site(cable.a)), NOON) as site:
        yield site, cable.b


def _links(gateway_port: str, *unit_ids: int) -> list[ModbusLink]:
    """Links to ``unit_ids`` sharing one client and lock: one process owns a serial port."""
    configs = [
        RtuConfig(gateway_port, baudrate=19200, unit_id=unit, timeout_s=0.5, retries=0)
        for unit in unit_ids
    ]
    client, lock = make_client(configs[0]), asyncio.Lock()
    return [ModbusLink(c, client=client, lock=lock) for c in configs]


def test_bus_config_carries_line_settings_and_unit_ids() -> None:
    config = parse_config(_bus_site("/dev/ttyUSB1", stopbits=2, parity="E"))
    assert config.buses == (
        SimBusConfig("rs485", "/dev/ttyUSB1", baudrate=19200, parity="E", stopbits=2),
    )
    by_name = {d.name: d for d in config.devices}
    assert (by_name["pv1"].bus, by_name["pv1"].unit_id) == ("rs485", 1)
    assert (by_name["pv2"].bus, by_name["pv2"].unit_id) == ("rs485", 2)
    assert by_name["meter"].bus is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"unit_id": 1}, "unit_id: 1 is taken"),
        ({"unit_id": 248}, "unit_id: expected 1-247"),
        ({"unit_id": 0}, "unit_id: expected 1-247"),  # 0 is the broadcast address
        ({"bus": "rs232"}, "no [[bus]] named 'rs232'"),
        ({"port": 1502}, "a device on a bus has no TCP port"),
    ],
)
def test_bad_bus_device_is_rejected_naming_the_key(change: dict[str, Any], message: str) -> None:
    data = _bus_site("/dev/ttyUSB1")
    data["device"][1].update(change)
    with pytest.raises(SimConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_config(data)


def test_unit_id_on_a_tcp_device_is_rejected() -> None:
    data = _bus_site("/dev/ttyUSB1")
    data["device"][2]["unit_id"] = 3
    with pytest.raises(SimConfigError, match=r"device\[2\]\.unit_id: only for a device on a bus"):
        parse_config(data)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"parity": "X"}, r"bus\[0\]\.parity"),
        ({"stopbits": 3}, r"bus\[0\]\.stopbits"),
        ({"baudrate": 0}, r"bus\[0\]\.baudrate"),
        ({"flow": "rts"}, r"bus\[0\]\.flow: unknown key"),
        ({"serial": ""}, r"bus\[0\]\.serial"),
    ],
)
def test_bad_bus_is_rejected_naming_the_key(change: dict[str, Any], message: str) -> None:
    with pytest.raises(SimConfigError, match=message):
        parse_config(_bus_site("/dev/ttyUSB1", **change))


async def test_unopenable_serial_port_is_a_sim_error() -> None:
    config = parse_config(_bus_site("/nonexistent/ttyUSB9"))
    async with asyncio.timeout(BOUND_S):
        with pytest.raises(SimError, match="cannot open /nonexistent/ttyUSB9"):
            async with start_site(config, NOON):
                pass


async def test_each_unit_on_the_bus_answers_with_its_own_device() -> None:
    """Two inverters on one line: SunSpec model 1 serial numbers come back per unit id."""
    async with asyncio.timeout(BOUND_S), _rtu_site() as (site, gateway_port):
        links = _links(gateway_port, 1, 2)
        try:
            headers = [await link.read(40000, 2) for link in links]
            drivers = [GenericDriver(load_builtin_map("sunspec-inverter"), link) for link in links]
            identities = []
            for driver in drivers:
                await driver.discover()
                identities.append(await driver.identity())
        finally:
            for link in links:
                await link.close()
        assert site.buses["rs485"].running
    assert headers == [[0x5375, 0x6E53]] * 2  # "SunS"
    assert [i["serial_number"] for i in identities] == ["SIM-pv1", "SIM-pv2"]


async def test_unit_absent_from_the_bus_gets_no_answer() -> None:
    """On RS-485 nobody answers an address that is not on the line: the master times out
    (not an exception response, which would claim a device is there)."""
    async with asyncio.timeout(BOUND_S), _rtu_site() as (_site, gateway_port):
        (link,) = _links(gateway_port, 9)
        try:
            with pytest.raises(DeviceIOError) as info:
                await link.read(40000, 2)
        finally:
            await link.close()
    assert info.value.exception_code is None  # no exception response: silence
    assert "No response received" in str(info.value)


async def test_write_over_rtu_moves_the_shared_physics_seen_over_tcp() -> None:
    """One SimSite behind both transports: curtail the RTU inverters, the TCP meter sees it."""
    async with asyncio.timeout(BOUND_S), _rtu_site() as (site, gateway_port):
        meter_endpoint = site.endpoints["meter"]
        meter = GenericDriver(
            load_builtin_map("sunspec-meter"),
            ModbusLink(TcpConfig(meter_endpoint.host, meter_endpoint.port, timeout_s=1.0)),
        )
        inverters = [
            GenericDriver(load_builtin_map("sunspec-inverter"), link)
            for link in _links(gateway_port, 1, 2)
        ]
        try:
            await meter.discover()
            before = (await meter.read(["active_power_w"]))["active_power_w"]
            for inverter in inverters:
                await inverter.discover()
                await inverter.write("power_limit_pct", 0.0, revert_s=60)
            site.step(NOON + 1)
            after = (await meter.read(["active_power_w"]))["active_power_w"]
        finally:
            for driver in (meter, *inverters):
                await driver.io.close()
    assert isinstance(before, float) and isinstance(after, float)
    assert before < -8000.0  # ~9 kW of PV exporting against 400 W of house
    assert after == pytest.approx(400.0, abs=1.0)  # PV at 0 %: the house imports


async def test_gateway_config_points_bus_devices_at_the_gateway_end() -> None:
    async with asyncio.timeout(BOUND_S), _rtu_site() as (site, gateway_port):
        config = site.gateway_config({"rs485": gateway_port})
        endpoints = site.endpoints
    by_name = {d["name"]: d for d in config["devices"]}
    assert by_name["pv2"] == {
        "name": "pv2",
        "map": "sunspec-inverter",
        "unit_id": 2,
        "serial": {"port": gateway_port, "baudrate": 19200, "parity": "N", "stopbits": 1},
    }
    assert "serial" not in by_name["meter"] and by_name["meter"]["port"] > 0
    assert endpoints["pv1"].bus is not None and endpoints["pv1"].bus.name == "rs485"
    assert endpoints["meter"].bus is None


async def test_bus_restart_is_answered_again_on_the_same_line() -> None:
    """Stopping the bus releases the serial port (a silent line for the gateway meanwhile);
    starting it again serves the same devices, and the gateway needs no reconnect."""
    async with asyncio.timeout(BOUND_S), _rtu_site() as (site, gateway_port):
        (link,) = _links(gateway_port, 2)
        bus = site.buses["rs485"]
        try:
            before = await link.read(40000, 2)
            await bus.stop()
            with pytest.raises(DeviceIOError, match="No response received"):
                await link.read(40000, 2)
            await bus.start()
            after = await link.read(40000, 2)
        finally:
            await link.close()
    assert before == after == [0x5375, 0x6E53]


async def test_openderms_sim_serves_a_bus_from_its_toml(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`openderms sim` with a [[bus]]: a gateway reads the inverter over RTU while the
    runtime steps it (virtual clock, real serial line), and the start-up log says where."""
    caplog.set_level(logging.INFO, logger="openderms.client.sim.runtime")
    async with asyncio.timeout(BOUND_S), null_modem() as cable:
        config = tmp_path / "site.toml"
        config.write_text(
            "[site]\nstep_s = 10.0\n\n"
            f'[[bus]]\nname = "rs485"\nserial = "{cable.a}"\nbaudrate = 19200\n\n'
            '[[device]]\nname = "pv"\ntype = "inverter"\nbus = "rs485"\nunit_id = 7\n'
            "rated_w = 4000.0\n"
        )
        (link,) = _links(cable.b, 7)
        driver = GenericDriver(load_builtin_map("sunspec-inverter"), link)
        wall = [1000.0]
        seen: list[dict[str, Any]] = []

        async def sleep_and_poll(seconds: float) -> None:
            wall[0] += seconds
            if not seen:
                await driver.discover()
            seen.append(dict(await driver.read(["rated_power_w", "active_power_w"])))

        try:
            result = await run_sim(
                str(config),
                start_iso="2026-06-21T12:00:00+00:00",
                duration_s=25.0,
                clock=lambda: wall[0],
                sleep=sleep_and_poll,
            )
        finally:
            await link.close()
    assert result == 0
    assert f"modbus rtu {cable.a} 19200 8N1 unit 7" in caplog.text
    assert len(seen) == 3  # steps at 0, 10 and 20 s of wall time
    assert all(s["rated_power_w"] == 4000.0 for s in seen)
    assert all(isinstance(s["active_power_w"], float) and s["active_power_w"] > 0 for s in seen)


async def test_openderms_sim_makes_a_virtual_cable_for_serial_pty(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``serial = "pty"``: no adapter or socat; the log names the gateway's end of the
    cable, and a gateway opening it reads the simulated inverter over RTU."""
    caplog.set_level(logging.INFO, logger="openderms.client.sim.runtime")
    config = tmp_path / "site.toml"
    config.write_text(
        '[[bus]]\nname = "rs485"\nserial = "pty"\n\n'
        '[[device]]\nname = "pv"\ntype = "inverter"\nbus = "rs485"\nunit_id = 4\n'
        "rated_w = 5000.0\n"
    )
    wall = [1000.0]
    seen: list[object] = []

    async def sleep_and_poll(seconds: float) -> None:
        wall[0] += seconds
        found = re.search(r"bus rs485: virtual cable, gateway serial port (\S+)", caplog.text)
        assert found, caplog.text
        (link,) = _links(found.group(1), 4)
        driver = GenericDriver(load_builtin_map("sunspec-inverter"), link)
        try:
            await driver.discover()
            seen.append((await driver.read(["rated_power_w"]))["rated_power_w"])
        finally:
            await link.close()

    async with asyncio.timeout(BOUND_S):
        result = await run_sim(
            str(config), duration_s=0.5, clock=lambda: wall[0], sleep=sleep_and_poll
        )
    assert result == 0
    assert seen == [5000.0]


def test_several_buses_may_each_ask_for_a_virtual_cable() -> None:
    config = parse_config(
        {
            "bus": [{"name": "a", "serial": "pty"}, {"name": "b", "serial": "pty"}],
            "device": [{"name": "pv", "type": "inverter", "bus": "a"}],
        }
    )
    assert [b.serial for b in config.buses] == ["pty", "pty"]
    with pytest.raises(SimConfigError, match="one bus per port"):
        parse_config(
            {
                "bus": [
                    {"name": "a", "serial": "/dev/ttyS0"},
                    {"name": "b", "serial": "/dev/ttyS0"},
                ],
                "device": [{"name": "pv", "type": "inverter", "bus": "a"}],
            }
        )


async def test_write_to_a_read_only_register_is_refused_over_rtu() -> None:
    """The exception response (code 2, illegal data address) crosses the serial line and
    names the unit that refused; the line stays usable."""
    async with asyncio.timeout(BOUND_S), _rtu_site() as (_site, gateway_port):
        (link,) = _links(gateway_port, 2)
        try:
            with pytest.raises(DeviceIOError) as info:
                await link.write(40002, [1])  # model 1 ID
            header = await link.read(40000, 2)
        finally:
            await link.close()
    assert info.value.exception_code == 2
    assert "/2:" in str(info.value)
    assert header == [0x5375, 0x6E53]
