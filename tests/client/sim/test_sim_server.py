"""The simulator over real Modbus TCP on 127.0.0.1, and `openderms sim`."""

from __future__ import annotations

from pathlib import Path

import pytest

from openderms.cli import build_parser
from openderms.client.devices import GenericDriver, ModbusLink, TcpConfig, load_builtin_map
from openderms.client.devices.errors import DeviceIOError
from openderms.client.sim import default_config, load_config, parse_config, start_site
from openderms.client.sim.errors import SimConfigError
from openderms.client.sim.runtime import run_sim

NOON = 12 * 3600.0


async def test_wmaxlimpct_with_revert_timer_changes_output_on_the_next_step() -> None:
    config = parse_config({"device": [{"name": "pv", "type": "inverter", "rated_w": 8000.0}]})
    async with start_site(config, start=NOON) as site:
        endpoint = site.endpoints["pv"]
        driver = GenericDriver(
            load_builtin_map("sunspec-inverter"),
            ModbusLink(TcpConfig(endpoint.host, endpoint.port, timeout_s=1.0, retries=0)),
        )
        try:
            result = await driver.write("power_limit_pct", 25.0, revert_s=30)
            before = await driver.read(["active_power_w"])
            site.step(NOON + 1)
            after = await driver.read(["active_power_w"])
            site.step(NOON + 40)  # revert timer ran out
            reverted = await driver.read(["active_power_w"])
        finally:
            await driver.io.close()
    assert result.revert_timer_s == 30
    assert result.source == "704:WMaxLimPct"
    assert before["active_power_w"] == pytest.approx(8000.0, abs=5)
    assert after["active_power_w"] == pytest.approx(2000.0, abs=1)
    assert reverted["active_power_w"] == pytest.approx(8000.0, abs=5)


async def test_legacy_inverter_takes_the_123_limit() -> None:
    config = parse_config(
        {
            "device": [
                {"name": "pv", "type": "inverter", "rated_w": 5000.0, "models": [1, 101, 120, 123]}
            ]
        }
    )
    async with start_site(config, start=NOON) as site:
        endpoint = site.endpoints["pv"]
        driver = GenericDriver(
            load_builtin_map("sunspec-inverter"),
            ModbusLink(TcpConfig(endpoint.host, endpoint.port, timeout_s=1.0, retries=0)),
        )
        try:
            result = await driver.write("power_limit_pct", 40.0, revert_s=30)
            site.step(NOON + 1)
            block = site.sim.block("pv", 123)
            assert block.get("WMaxLimPct_RvrtTms") == 30
            assert block.raw("WMaxLim_Ena") == 1
            values = await driver.read(["active_power_w", "rated_power_w", "connected"])
        finally:
            await driver.io.close()
    assert result.source == "123:WMaxLimPct"
    assert values == {"active_power_w": 2000.0, "rated_power_w": 5000.0, "connected": True}


async def test_write_to_a_read_only_register_is_refused_by_the_device() -> None:
    config = parse_config({"device": [{"name": "pv", "type": "inverter"}]})
    async with start_site(config, start=NOON) as site:
        endpoint = site.endpoints["pv"]
        link = ModbusLink(TcpConfig(endpoint.host, endpoint.port, timeout_s=1.0, retries=0))
        try:
            with pytest.raises(DeviceIOError) as info:
                await link.write(40002, [1])  # model 1 ID
        finally:
            await link.close()
    assert info.value.exception_code == 2


async def test_each_device_listens_on_its_own_port() -> None:
    async with start_site(default_config(), start=NOON) as site:
        ports = [e.port for e in site.endpoints.values()]
        config = site.gateway_config()
    assert len(set(ports)) == len(ports) == 5
    assert all(p > 0 for p in ports)
    assert {d["map"] for d in config["devices"]} == {
        "sunspec-inverter",
        "sunspec-battery",
        "sunspec-meter",
        "evcharger-generic",
        "heatpump-sgready",
    }


def test_sim_verb_is_registered() -> None:
    args = build_parser().parse_args(["sim", "--config", "site.toml", "--speed", "10"])
    assert args.verb == "sim"
    assert args.config == "site.toml"
    assert args.speed == 10.0


async def test_sim_runtime_steps_the_physics_on_its_clock(tmp_path: Path) -> None:
    """`openderms sim` with a virtual clock: loads the TOML, serves, steps, stops."""
    config = tmp_path / "site.toml"
    config.write_text(
        '[site]\nstep_s = 10.0\n\n[[device]]\nname = "pv"\ntype = "inverter"\nrated_w = 4000.0\n'
    )
    wall = [1000.0]
    stepped: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        stepped.append(seconds)
        wall[0] += seconds

    result = await run_sim(
        str(config),
        speed=60.0,
        start_iso="2026-06-21T08:00:00+00:00",
        duration_s=35.0,
        clock=lambda: wall[0],
        sleep=fake_sleep,
    )
    assert result == 0
    assert stepped == [10.0, 10.0, 10.0, 10.0]  # steps at 0, 10, 20, 30 s of wall time


def test_sim_config_errors_name_the_file(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[[device]]\nname = "pv"\ntype = "inverter"\nrated_w = "big"\n')
    with pytest.raises(
        SimConfigError, match=r"bad\.toml: device\[0\]\.rated_w: expected a number"
    ):
        load_config(config)
