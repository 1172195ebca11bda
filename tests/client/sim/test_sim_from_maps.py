"""A new raw-register device is one YAML file: the simulator lays out its registers from the
same map the gateway's driver reads, and the kind's physics runs on them."""

from __future__ import annotations

from pathlib import Path

import pytest

from openderms.client.devices import Site
from openderms.client.dispatch import Dispatcher
from openderms.client.envelope import EnvelopeLimits
from openderms.client.sim import parse_config, start_site
from openderms.client.sim.errors import RegisterAccessError, SimConfigError

NOON = 12 * 3600.0

# A made-up charger whose registers are nowhere near evcharger-generic's, with other types,
# scales and enable values: nothing in the simulator's code names these addresses.
ACME_CHARGER = """\
name: evcharger-acme
kind: evcharger
description: Made-up charger (test only)
capabilities:
  status:
    register: {address: 1000, type: uint16, table: input}
  active_power_w:
    register: {address: 1010, type: int32, table: input, scale: 10, unit: W}
    scale: -1
  energy_imported_wh:
    register: {address: 1020, type: uint32, table: input, unit: Wh}
  max_current_a:
    register: {address: 1030, type: uint16, table: input, unit: A}
  current_limit_a:
    register: {address: 2000, type: uint16, scale: 0.01, unit: A, access: rw}
    revert_timer: {register: {address: 2010, type: uint16, unit: s, access: rw}}
  charge_enable:
    register: {address: 2001, type: uint16, access: rw}
    values: {true: 7, false: 3}
    revert_timer: {register: {address: 2010, type: uint16, unit: s, access: rw}}
"""


def _acme_site(path: Path) -> dict[str, object]:
    return {
        "site": {"house_base_w": 400.0, "house_evening_peak_w": 0.0},
        "device": [
            {"name": "meter", "type": "meter"},
            {"name": "ev", "map": str(path), "max_current_a": 16.0, "fallback_current_a": 6.0},
        ],
    }


async def _gateway(config: dict[str, object]) -> Site:
    gateway = Site.from_config(config)
    await gateway.discover()
    return gateway


async def test_a_yaml_only_charger_is_simulated_and_driven_over_modbus(tmp_path: Path) -> None:
    path = tmp_path / "evcharger-acme.yaml"
    path.write_text(ACME_CHARGER, encoding="utf-8")
    async with start_site(parse_config(_acme_site(path)), start=NOON) as site:
        image = site.sim.registers("ev")
        with pytest.raises(RegisterAccessError):
            image.read("holding", 200, 1)  # the generic charger's address is not there
        config = site.gateway_config()
        assert {d["name"]: d["map"] for d in config["devices"]}["ev"] == str(path)
        gateway = await _gateway(config)
        dispatcher = Dispatcher(gateway, revert_s=120)
        try:
            before = await gateway.read_telemetry(NOON)
            # 400 W house + 16 A x 3 x 230 V = 11.44 kW; a 6 kW import limit leaves 8.0 A.
            report = await dispatcher.apply(EnvelopeLimits(import_limit_w=6000.0), NOON)
            site.step(NOON + 1)
            limit, revert = image.read("holding", 2000, 1), image.read("holding", 2010, 1)
            after = await gateway.read_telemetry(NOON + 1)
            # Below 6 A the charger is disabled (charge_enable false -> register value 3).
            await dispatcher.apply(EnvelopeLimits(import_limit_w=2000.0), NOON + 2)
            stopped = site.step(NOON + 3)
            disabled = image.read("holding", 2001, 1)
            # The gateway stops refreshing: after the revert time the charger falls back.
            site.step(NOON + 3 + 121)
            reverted = await gateway.read_telemetry(NOON + 3 + 121)
        finally:
            await gateway.close()
    assert before.devices["ev"].get("active_power_w") == pytest.approx(-11040.0, abs=10)
    assert before.devices["ev"].values["status"] == 3  # charging
    assert before.devices["ev"].get("max_current_a") == 16.0
    assert report.ok, report.failures
    assert limit == [800]  # 8.00 A in 0.01 A
    assert revert == [120]  # the revert time the gateway wrote
    assert after.devices["ev"].get("active_power_w") == pytest.approx(-5520.0, abs=10)
    assert after.site_power_w is not None and after.site_power_w <= 6000.0 - 50.0 + 10.0
    assert stopped.charger_w == 0.0 and disabled == [3]
    assert reverted.devices["ev"].get("current_limit_a") == pytest.approx(6.0)
    assert reverted.devices["ev"].values["charge_enable"] is True
    assert reverted.devices["ev"].get("active_power_w") == pytest.approx(-4140.0, abs=10)


async def test_a_yaml_only_heat_pump_follows_sg_ready_writes(tmp_path: Path) -> None:
    path = tmp_path / "heatpump-acme.yaml"
    path.write_text(
        """\
name: heatpump-acme
kind: heatpump
capabilities:
  status:
    register: {address: 7, type: uint16, table: input}
  active_power_w:
    register: {address: 8, type: uint32, table: input, scale: 0.1, unit: W}
    scale: -1
  sg_ready_mode:
    register: {address: 50, type: uint16, access: rw}
    values: {1: 10, 2: 20, 3: 30, 4: 40}
    revert_timer: {register: {address: 51, type: uint16, unit: s, access: rw}}
""",
        encoding="utf-8",
    )
    config = {"device": [{"name": "hp", "map": str(path), "nominal_w": 1800.0, "max_w": 3600.0}]}
    async with start_site(parse_config(config), start=NOON) as site:
        gateway = await _gateway(site.gateway_config())
        try:
            driver = gateway.drivers["hp"]
            normal = await driver.read()
            await driver.write("sg_ready_mode", 4, revert_s=60)
            site.step(NOON + 1)
            forced = await driver.read()
        finally:
            await gateway.close()
    assert normal["sg_ready_mode"] == 2 and normal["active_power_w"] == pytest.approx(-1800.0)
    assert site.sim.registers("hp").read("holding", 50, 1) == [40]
    assert forced["status"] == 4 and forced["active_power_w"] == pytest.approx(-3600.0)


def test_a_map_of_another_kind_or_protocol_is_refused(tmp_path: Path) -> None:
    charger = tmp_path / "c.yaml"
    charger.write_text(ACME_CHARGER, encoding="utf-8")
    with pytest.raises(SimConfigError, match=r"device\[0\]\.type: 'heatpump'.*is a evcharger"):
        parse_config({"device": [{"name": "x", "type": "heatpump", "map": str(charger)}]})
    raw_pv = tmp_path / "pv.yaml"
    raw_pv.write_text(
        "name: raw-pv\nkind: pv\ncapabilities:\n"
        "  active_power_w: {register: {address: 1, type: uint16}}\n",
        encoding="utf-8",
    )
    with pytest.raises(SimConfigError, match=r"serves a pv from SunSpec models"):
        parse_config({"device": [{"name": "x", "map": str(raw_pv)}]})
    with pytest.raises(SimConfigError, match=r"device\[0\]\.map: no built-in device map"):
        parse_config({"device": [{"name": "x", "map": "no-such-map"}]})
