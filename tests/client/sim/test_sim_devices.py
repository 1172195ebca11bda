"""Simulated devices without sockets: register writes act on the next step; revert timers."""

from __future__ import annotations

import pytest

from openderms.client.devices.codec import encode
from openderms.client.sim import SimSite, parse_config
from openderms.client.sim.devices import SimBattery, SimCharger, SimHeatPump, SimInverter, SimMeter
from openderms.client.sim.errors import RegisterAccessError, SimConfigError

NOON = 12 * 3600.0


def _write_point(
    inverter: SimInverter | SimBattery, model_id: int, path: str, value: float
) -> None:
    """Write like a Modbus client would: encoded words at the point's address."""
    block = inverter.regs.blocks[model_id]
    offset, words = block.encode(path, value)
    inverter.regs.write(block.instance.address + offset, words)


def test_inverter_follows_the_sun_without_limits() -> None:
    inverter = SimInverter(rated_w=10000.0, start=NOON, peak_w=8000.0)
    assert inverter.step(NOON + 1) == pytest.approx(8000.0, rel=1e-3)
    assert inverter.regs.blocks[701].get("W") == pytest.approx(8000.0, abs=1)


def test_written_limit_applies_on_the_next_step_only() -> None:
    inverter = SimInverter(rated_w=10000.0, start=NOON)
    _write_point(inverter, 704, "WMaxLimPct", 30.0)
    _write_point(inverter, 704, "WMaxLimPctEna", 1)
    assert inverter.power_w == pytest.approx(10000.0, rel=1e-3)  # nothing moved yet
    assert inverter.step(NOON + 1) == pytest.approx(3000.0)


def test_704_revert_timer_restores_the_revert_values() -> None:
    inverter = SimInverter(rated_w=10000.0, start=NOON)
    _write_point(inverter, 704, "WMaxLimPctRvrtTms", 60)
    _write_point(inverter, 704, "WMaxLimPct", 30.0)
    _write_point(inverter, 704, "WMaxLimPctEna", 1)
    assert inverter.step(NOON + 1) == pytest.approx(3000.0)  # the timer starts here
    assert inverter.step(NOON + 60) == pytest.approx(3000.0)
    assert inverter.step(NOON + 62) == pytest.approx(10000.0, rel=1e-3)
    assert inverter.regs.blocks[704].raw("WMaxLimPctEna") == 0


def test_123_limit_and_disconnect() -> None:
    inverter = SimInverter(rated_w=10000.0, start=NOON)
    _write_point(inverter, 123, "WMaxLimPct", 50)
    _write_point(inverter, 123, "WMaxLim_Ena", 1)
    assert inverter.step(NOON + 1) == pytest.approx(5000.0)
    _write_point(inverter, 123, "Conn_RvrtTms", 10)
    _write_point(inverter, 123, "Conn", 0)
    assert inverter.step(NOON + 2) == 0.0
    assert inverter.regs.blocks[701].raw("ConnSt") == 0
    assert inverter.step(NOON + 13) == pytest.approx(5000.0)  # Conn reverted to connected


def test_read_only_points_refuse_writes() -> None:
    inverter = SimInverter(rated_w=10000.0, start=NOON)
    with pytest.raises(RegisterAccessError):
        inverter.regs.write(inverter.regs.blocks[701].address_of("W"), [0])


def test_battery_state_of_charge_integrates_power() -> None:
    battery = SimBattery(10000.0, 5000.0, 5000.0, soc_pct=50.0, start=0.0)
    # Site surplus of 5 kW for 36 min: 3 kWh into 10 kWh is +30 %.
    assert battery.step(2160.0, -5000.0) == pytest.approx(-5000.0)
    assert battery.soc_pct == pytest.approx(80.0)


def test_full_battery_absorbs_nothing() -> None:
    battery = SimBattery(10000.0, 5000.0, 5000.0, soc_pct=100.0, start=0.0)
    assert battery.step(60.0, -4000.0) == 0.0
    assert battery.headroom_w() == 0.0


def test_battery_never_overshoots_its_soc_limits() -> None:
    battery = SimBattery(10000.0, 5000.0, 5000.0, soc_pct=99.0, start=0.0)
    battery.step(3600.0, -5000.0)
    assert battery.soc_pct == pytest.approx(100.0)


def test_124_rates_bound_and_force_the_battery() -> None:
    battery = SimBattery(10000.0, 5000.0, 5000.0, soc_pct=50.0, start=0.0)
    _write_point(battery, 124, "InWRte", -40.0)  # charge at most -40 %: discharge >= 2 kW
    _write_point(battery, 124, "OutWRte", 40.0)
    _write_point(battery, 124, "StorCtl_Mod", 3)
    # The site has a 3 kW surplus, yet the controls pin the battery at 2 kW discharging.
    assert battery.step(1.0, -3000.0) == pytest.approx(2000.0)


def test_charger_falls_back_when_the_watchdog_expires() -> None:
    charger = SimCharger(start=0.0, max_current_a=16.0, fallback_current_a=6.0)
    charger.regs.write(202, [30])
    charger.regs.write(200, [100])  # 10.0 A
    assert charger.step(1.0) == pytest.approx(10.0 * 230 * 3)
    assert charger.step(32.0) == pytest.approx(6.0 * 230 * 3)


def test_heat_pump_sg_ready_states() -> None:
    heat_pump = SimHeatPump(start=0.0, nominal_w=1500.0, max_w=3000.0)
    heat_pump.regs.write(301, [0])
    heat_pump.regs.write(300, [1])
    assert heat_pump.step(1.0) == 0.0
    heat_pump.regs.write(300, [4])
    assert heat_pump.step(2.0) == 3000.0


def test_meter_sums_the_site() -> None:
    config = parse_config(
        {
            "site": {"house_base_w": 500.0, "house_evening_peak_w": 0.0},
            "device": [
                {"name": "pv", "type": "inverter", "rated_w": 6000.0},
                {"name": "ev", "type": "evcharger", "max_current_a": 10.0, "phases": 1},
                {"name": "meter", "type": "meter"},
            ],
        }
    )
    site = SimSite(config, start=NOON)
    state = site.step(NOON + 1)
    # house 500 + charger 2300 - PV 6000 = 3200 W export
    assert state.site_w == pytest.approx(500 + 2300 - 6000, abs=1)
    assert site.block("meter", 203).get("W") == pytest.approx(-3200, abs=10)
    assert site.devices["ev"].regs.read("input", 101, 2) == encode("uint32", 2300)


def test_config_errors_name_the_key() -> None:
    with pytest.raises(SimConfigError, match=r"device\[0\]\.rated_kw: unknown setting"):
        parse_config({"device": [{"name": "pv", "type": "inverter", "rated_kw": 5}]})
    with pytest.raises(SimConfigError, match=r"device\[0\]\.type"):
        parse_config({"device": [{"name": "x", "type": "toaster"}]})


@pytest.mark.parametrize("model_id", [201, 202, 203, 204])
def test_meter_serves_every_20x_model(model_id: int) -> None:
    meter = SimMeter(0.0, models=(1, model_id))
    meter.step(3600.0, -1234.0)
    block = meter.regs.blocks[model_id]
    assert block.get("W") == -1230  # W_SF = 1: 10 W resolution
    assert block.get("TotWhExp") == pytest.approx(1000 + 1234, abs=1)


def test_704_wset_in_watts_caps_the_output() -> None:
    inverter = SimInverter(rated_w=10000.0, start=NOON)
    _write_point(inverter, 704, "WSetRvrtTms", 30)
    _write_point(inverter, 704, "WSet", 2500)
    _write_point(inverter, 704, "WSetMod", 1)
    _write_point(inverter, 704, "WSetEna", 1)
    assert inverter.step(NOON + 1) == pytest.approx(2500.0)
    assert inverter.step(NOON + 32) == pytest.approx(10000.0, rel=1e-3)  # reverted
