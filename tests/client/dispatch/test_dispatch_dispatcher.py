"""The dispatcher against the simulated site over real Modbus TCP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from openderms.client.devices import Site
from openderms.client.dispatch import CommandStatus, Dispatcher
from openderms.client.envelope import EnvelopeLimits
from openderms.client.sim import RunningSite, parse_config, start_site
from openderms.client.sim.devices import SimBattery

NOON = 12 * 3600.0


def _config(soc_pct: float, extra: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "site": {"house_base_w": 400.0, "house_evening_peak_w": 0.0},
        "device": [
            {"name": "pv", "type": "inverter", "rated_w": 10000.0, "peak_w": 9500.0},
            {"name": "battery", "type": "battery", "soc_pct": soc_pct, "max_charge_w": 3000.0},
            {"name": "meter", "type": "meter"},
            *(extra or []),
        ],
    }


async def _gateway(site: RunningSite, timeouts_s: dict[str, float] | None = None) -> Site:
    """A gateway Site on the simulator; each device gets its own timeout (default 2 s)."""
    config = site.gateway_config()
    for device in config["devices"]:
        device.update(timeout_s=(timeouts_s or {}).get(device["name"], 2.0), retries=0)
    gateway = Site.from_config(config)
    await gateway.discover()
    return gateway


@pytest.fixture
async def full_battery_site() -> AsyncIterator[RunningSite]:
    async with start_site(parse_config(_config(soc_pct=100.0)), start=NOON) as site:
        yield site


async def test_5kw_export_limit_curtails_pv_when_the_battery_is_full(
    full_battery_site: RunningSite,
) -> None:
    site = full_battery_site
    gateway = await _gateway(site)
    try:
        before = await gateway.read_telemetry(NOON)
        report = await Dispatcher(gateway, revert_s=120).apply(
            EnvelopeLimits(export_limit_w=5000.0), NOON
        )
        site.step(NOON + 1)
        after = await gateway.read_telemetry(NOON + 1)
    finally:
        await gateway.close()
    assert before.site_power_w == pytest.approx(-9100.0, abs=10)  # exporting 9.1 kW
    assert report.ok, report.failures
    assert after.site_power_w is not None
    assert -5000.0 <= after.site_power_w <= -4800.0  # export held just inside 5 kW
    assert after.pv_power_w == pytest.approx(5350.0, abs=15)


async def test_battery_with_room_soaks_up_the_surplus_instead() -> None:
    async with start_site(parse_config(_config(soc_pct=50.0)), start=NOON) as site:
        gateway = await _gateway(site)
        try:
            await Dispatcher(gateway, revert_s=120).apply(
                EnvelopeLimits(export_limit_w=5000.0), NOON
            )
            state = site.step(NOON + 1)
            after = await gateway.read_telemetry(NOON + 1)
        finally:
            await gateway.close()
    # 9500 PV - 400 house - 3000 charging = 6100 W: still over, so PV is trimmed to 8400 W.
    assert state.battery_w == pytest.approx(-3000.0)
    assert after.site_power_w is not None and -5000.0 <= after.site_power_w <= -4800.0
    assert state.pv_w == pytest.approx(8350.0, abs=15)


async def test_every_applied_command_carries_a_revert_timer(
    full_battery_site: RunningSite,
) -> None:
    gateway = await _gateway(full_battery_site)
    try:
        report = await Dispatcher(gateway, revert_s=90).apply(
            EnvelopeLimits(export_limit_w=5000.0), NOON
        )
    finally:
        await gateway.close()
    assert report.results
    assert report.without_revert_timer == []
    assert all(r.revert_timer_s == 90 for r in report.results)
    pv = full_battery_site.sim.block("pv", 704)
    assert pv.get("WMaxLimPctRvrtTms") == 90


async def test_disconnect_opens_the_inverter(full_battery_site: RunningSite) -> None:
    gateway = await _gateway(full_battery_site)
    try:
        report = await Dispatcher(gateway).apply(EnvelopeLimits(connect=False), NOON)
        state = full_battery_site.step(NOON + 1)
    finally:
        await gateway.close()
    assert report.ok, report.failures
    assert state.pv_w == 0.0


async def test_inverter_reconnects_when_the_disconnect_ends(
    full_battery_site: RunningSite,
) -> None:
    """Found in the demo: without this the inverter stayed open until its revert timer."""
    gateway = await _gateway(full_battery_site)
    try:
        await Dispatcher(gateway).apply(EnvelopeLimits(connect=False), NOON)
        full_battery_site.step(NOON + 1)
        await gateway.read_telemetry(NOON + 1)
        report = await Dispatcher(gateway).apply(EnvelopeLimits(), NOON + 2)
        state = full_battery_site.step(NOON + 3)
    finally:
        await gateway.close()
    assert report.ok, report.failures
    assert any(r.command.capability == "connect" and r.command.value for r in report.results)
    assert state.pv_w > 0.0


async def test_battery_resumes_when_the_disconnect_ends() -> None:
    """Found in every demo run (issue 13): after a disconnect control ended, PV came back
    but the battery stayed at 0 W with its SoC frozen, because 802 SetOp stayed DISCONNECT:
    the end of a disconnect must reconnect the battery bank too (IEEE 2030.5 opModConnect:
    without the control the DER returns to normal operation)."""
    async with start_site(parse_config(_config(soc_pct=50.0)), start=NOON) as site:
        gateway = await _gateway(site)
        dispatcher = Dispatcher(gateway)
        try:
            await dispatcher.apply(EnvelopeLimits(connect=False), NOON)
            during = site.step(NOON + 1)
            soc_during = site.sim.devices["battery"].soc_pct
            await dispatcher.apply(EnvelopeLimits(), NOON + 2)
            site.step(NOON + 3)
            report = await dispatcher.apply(EnvelopeLimits(), NOON + 4)
            after = site.step(NOON + 60)
            again = await dispatcher.apply(EnvelopeLimits(), NOON + 61)
        finally:
            await gateway.close()
    assert during.pv_w == 0.0 and during.battery_w == 0.0
    assert report.ok, report.failures
    assert after.pv_w > 0.0
    assert after.battery_w == pytest.approx(-3000.0), "charging from the PV surplus again"
    assert site.sim.devices["battery"].soc_pct > soc_during
    # A connected battery is not rewritten every cycle.
    assert not any(r.command.capability == "battery_connect" for r in again.results)


async def test_device_that_vanishes_mid_write_is_reported_while_others_continue() -> None:
    extra = [{"name": "ev", "type": "evcharger", "car_connected": True}]
    async with start_site(parse_config(_config(soc_pct=100.0, extra=extra)), start=NOON) as site:
        gateway = await _gateway(site, timeouts_s={"pv": 0.3})
        try:
            site.servers["pv"].drop_on_write = True
            report = await Dispatcher(gateway).apply(EnvelopeLimits(export_limit_w=5000.0), NOON)
            site.step(NOON + 1)
            telemetry = await gateway.read_telemetry(NOON + 1)
        finally:
            await gateway.close()
    pv_results = report.for_device("pv")
    assert pv_results[0].status is CommandStatus.FAILED
    assert pv_results[0].error and "io" in pv_results[0].error
    assert not report.ok
    others = [r for r in report.results if r.command.device != "pv"]
    assert others and all(r.status is CommandStatus.APPLIED for r in others)
    assert "pv" in telemetry.errors  # gone for good
    assert telemetry.devices["battery"].error is None
    assert telemetry.devices["ev"].error is None


async def test_unsupported_fields_are_reported() -> None:
    async with start_site(parse_config(_config(soc_pct=50.0)), start=NOON) as site:
        gateway = await _gateway(site)
        try:
            report = await Dispatcher(gateway).apply(EnvelopeLimits(fixed_w_pct=40.0), NOON)
        finally:
            await gateway.close()
    assert [u.field for u in report.unmet] == ["fixed_w_pct"]
    assert not report.ok


async def test_import_limit_throttles_the_ev_charger_over_modbus() -> None:
    extra = [{"name": "ev", "type": "evcharger", "max_current_a": 16.0, "car_connected": True}]
    async with start_site(parse_config(_config(soc_pct=5.0, extra=extra)), start=0.0) as site:
        # Midnight: no sun, the battery is at its reserve, the car draws 11 kW.
        gateway = await _gateway(site)
        try:
            before = await gateway.read_telemetry(0.0)
            report = await Dispatcher(gateway).apply(EnvelopeLimits(import_limit_w=7000.0), 0.0)
            site.step(1.0)
            after = await gateway.read_telemetry(1.0)
        finally:
            await gateway.close()
    assert before.site_power_w is not None and before.site_power_w > 11000.0
    assert report.ok, report.failures
    assert after.site_power_w is not None and after.site_power_w <= 7000.0
    assert after.devices["ev"].get("active_power_w") == pytest.approx(-6440.0, abs=250)


async def test_export_limit_holds_all_morning_while_the_battery_fills() -> None:
    """Closed loop on a virtual clock: dispatch, step 5 minutes, repeat from 09:00 to 12:00.

    The battery fills part way; counting it as a PV sink only for what it can still absorb
    before the next dispatch keeps export inside the limit at every step.
    """
    config = _config(soc_pct=80.0)
    config["device"][1].update(capacity_wh=10000.0)
    interval_s = 300.0
    exports: list[float] = []
    async with start_site(parse_config(config), start=9 * 3600.0) as site:
        gateway = await _gateway(site)
        dispatcher = Dispatcher(gateway, revert_s=900, interval_s=interval_s)
        try:
            now = 9 * 3600.0
            while now < 12 * 3600.0:
                report = await dispatcher.apply(EnvelopeLimits(export_limit_w=5000.0), now)
                assert report.ok, report.failures
                now += interval_s
                exports.append(-site.step(now).site_w)
        finally:
            await gateway.close()
        soc = site.sim.devices["battery"]
    assert isinstance(soc, SimBattery) and soc.soc_pct == pytest.approx(100.0)
    assert max(exports) <= 5000.0
    assert exports[-1] == pytest.approx(4950.0, abs=20)  # curtailed to the limit less margin
