"""Every shipped map runs against the simulator over real Modbus TCP on 127.0.0.1."""

from __future__ import annotations

import pytest

from openderms.client.devices import GenericDriver, ModbusLink, TcpConfig, load_builtin_map
from openderms.client.devices.capabilities import CAPABILITIES
from openderms.client.devices.device_map import builtin_map_names
from openderms.client.devices.errors import DiscoveryError
from openderms.client.sim import RunningSite, parse_config, start_site
from openderms.client.sim.registers import SunSpecRegisters

NOON = 12 * 3600.0
"""Solar noon of the simulated site (UTC) [s]."""

# A value each control accepts on the simulator, in the capability's unit.
SAMPLE_WRITES: dict[str, float | bool | int] = {
    "power_limit_pct": 42.5,
    "power_limit_w": 1000.0,
    "connect": True,
    "charge_limit_w": 2500.0,
    "discharge_limit_w": 1500.0,
    "battery_connect": True,
    "current_limit_a": 10.0,
    "charge_enable": True,
    "sg_ready_mode": 3,
}


def _driver(site: RunningSite, map_name: str) -> GenericDriver:
    served = {e.map_name: e for e in site.endpoints.values()}
    if map_name not in served:
        pytest.fail(f"no simulated device serves the map {map_name!r}: add one to conftest")
    endpoint = served[map_name]
    link = ModbusLink(TcpConfig(endpoint.host, endpoint.port, timeout_s=1.0, retries=0))
    return GenericDriver(load_builtin_map(map_name), link, endpoint.name)


@pytest.mark.parametrize("map_name", builtin_map_names())
async def test_map_reads_every_capability_from_the_simulator(
    sim_site: RunningSite, map_name: str
) -> None:
    driver = _driver(sim_site, map_name)
    try:
        await driver.discover()
        values = await driver.read()
    finally:
        await driver.io.close()
    assert set(values) == set(driver.map.capabilities), (
        "the simulator serves every capability of the map"
    )
    missing = [name for name, value in values.items() if value is None]
    assert not missing, f"unimplemented on the simulator: {missing}"


@pytest.mark.parametrize("map_name", builtin_map_names())
async def test_map_writes_every_control_with_read_back(
    sim_site: RunningSite, map_name: str
) -> None:
    driver = _driver(sim_site, map_name)
    controls = [c for c in driver.map.capabilities if CAPABILITIES[c].writable]
    try:
        await driver.discover()
        for capability in controls:
            result = await driver.write(capability, SAMPLE_WRITES[capability], revert_s=60)
            assert result.readback == pytest.approx(SAMPLE_WRITES[capability], abs=0.1)
    finally:
        await driver.io.close()


async def test_unimplemented_point_falls_through_to_the_next_source(sim_site: RunningSite) -> None:
    """A 701 that leaves W unimplemented is read from 103 instead (map order)."""
    inverter = sim_site.sim.block("pv", 701)
    inverter.set("W", None)
    driver = _driver(sim_site, "sunspec-inverter")
    try:
        await driver.discover()
        values = await driver.read(["active_power_w"])
    finally:
        await driver.io.close()
    assert values["active_power_w"] == pytest.approx(sim_site.sim.block("pv", 103).get("W"))
    assert values["active_power_w"] is not None


async def test_identity_comes_from_sunspec_model_1(sim_site: RunningSite) -> None:
    inverter = _driver(sim_site, "sunspec-inverter")
    charger = _driver(sim_site, "evcharger-generic")
    try:
        identity = await inverter.identity()
        plain = await charger.identity()
    finally:
        await inverter.io.close()
        await charger.io.close()
    assert identity["manufacturer"] == "openderms"
    assert identity["model"] == "SimPV"
    assert identity["serial_number"] == "SIM-pv"
    assert plain == {}


async def test_moved_model_chain_is_rediscovered_not_written_blindly(
    sim_site: RunningSite,
) -> None:
    """After a firmware update moves the models, the old addresses are never used again."""
    driver = _driver(sim_site, "sunspec-inverter")
    try:
        await driver.discover()
        sim_site.servers["pv"].image = SunSpecRegisters([1, 120, 123, 103])  # new layout
        with pytest.raises(DiscoveryError, match="no longer at"):
            await driver.read(["active_power_w"])
        values = await driver.read(["rated_power_w"])  # discovers again
    finally:
        await driver.io.close()
    assert [m for m in driver.models] == [1, 120, 123, 103]
    assert "rated_power_w" in values


@pytest.mark.parametrize(
    ("models", "point"),
    [((1, 701, 702, 703, 704), "701:PF"), ((1, 103, 120, 123), "103:PF")],
    ids=["7xx", "legacy-1xx"],
)
async def test_inverter_at_full_power_reports_unity_power_factor(
    models: tuple[int, ...], point: str
) -> None:
    """Issue 13: the simulated inverter reported power factor 0 at full power. It makes
    only active power (Var 0), so its displacement power factor is 1 (701 PF as a ratio,
    103 PF in percent), read over Modbus TCP through the shipped map."""
    config = {
        "site": {"house_base_w": 400.0, "house_evening_peak_w": 0.0},
        "device": [{"name": "pv", "type": "inverter", "rated_w": 10000.0, "models": list(models)}],
    }
    async with start_site(parse_config(config), start=NOON) as site:
        driver = _driver(site, "sunspec-inverter")
        try:
            await driver.discover()
            values = await driver.read(["active_power_w", "reactive_power_var", "power_factor"])
        finally:
            await driver.io.close()
    assert values["active_power_w"] == pytest.approx(10000.0, abs=1)
    assert values["reactive_power_var"] == 0.0
    assert values["power_factor"] == pytest.approx(1.0), point
