"""The optimizer in the loop, against the simulated site over real Modbus TCP on 127.0.0.1.

A stepped clock drives dispatch and physics; solves run in the thread executor as in the
gateway. Small horizons (4 x 15 min) keep each solve well under a second.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from openderms.client.devices import Site
from openderms.client.dispatch import Dispatcher
from openderms.client.envelope import EnvelopeLimits, EnvelopeSegment, GridEnvelope
from openderms.client.optimizer import (
    Plan,
    PlanInputs,
    Planner,
    PlannerConfig,
    SolverFailedError,
)
from openderms.client.optimizer_settings import (
    OptimizerSettings,
    OptimizerSettingsError,
    parse_optimizer_settings,
)
from openderms.client.runtime.optimizer_loop import OptimizerLoop
from openderms.client.sim import RunningSite, parse_config, start_site
from openderms.client.sim.devices import SimBattery, SimCharger

IMPORT_LIMIT_W = 8000.0
EXPORT_LIMIT_W = 2000.0
EV_TARGET_WH = 2000.0


def _sim_config(soc_pct: float = 10.0, car_connected: bool = True) -> dict[str, Any]:
    return {
        "site": {"house_base_w": 400.0, "house_evening_peak_w": 0.0},
        "device": [
            {"name": "pv", "type": "inverter", "rated_w": 10000.0, "peak_w": 9500.0},
            {
                "name": "battery",
                "type": "battery",
                "soc_pct": soc_pct,
                "capacity_wh": 10000.0,
                "max_charge_w": 3000.0,
                "max_discharge_w": 3000.0,
            },
            {"name": "meter", "type": "meter"},
            {
                "name": "ev",
                "type": "evcharger",
                "max_current_a": 16.0,
                "car_connected": car_connected,
            },
        ],
    }


def _tariff(tmp_path: Path) -> Path:
    # Cheap import for the first half hour, then a high feed-in price: the plan charges the
    # battery and the car now and discharges the battery into the grid later.
    path = tmp_path / "tariff.csv"
    path.write_text(
        "start,import_price_per_kwh,export_price_per_kwh\n0,0.05,0.0\n1800,0.50,0.60\n",
        encoding="utf-8",
    )
    return path


def _settings(tmp_path: Path, **changes: Any) -> OptimizerSettings:
    base = OptimizerSettings(
        enabled=True,
        step_s=900.0,
        horizon_s=3600.0,
        replan_s=900.0,
        tariff=_tariff(tmp_path),
        integer_steps=4,
        solve_wait_s=30.0,
        ev_target_energy_wh=EV_TARGET_WH,
        ev_session_s=1800.0,
    )
    return replace(base, **changes)


def _envelope(limits: EnvelopeLimits) -> Callable[[float, float], GridEnvelope]:
    def source(now: float, horizon_s: float) -> GridEnvelope:
        return GridEnvelope.from_segments(
            [EnvelopeSegment(now, now + horizon_s, limits, "test")], baseline=limits
        )

    return source


async def _gateway(site: RunningSite) -> Site:
    gateway = Site.from_config(site.gateway_config())
    await gateway.discover()
    return gateway


@pytest.fixture
async def night_site() -> AsyncIterator[RunningSite]:
    # Midnight: no sun; the car is plugged in and the battery nearly empty (10 %).
    async with start_site(parse_config(_sim_config()), start=0.0) as site:
        yield site


async def test_battery_and_ev_follow_the_plan_inside_the_envelope(
    night_site: RunningSite, tmp_path: Path
) -> None:
    site = night_site
    limits = EnvelopeLimits(import_limit_w=IMPORT_LIMIT_W, export_limit_w=EXPORT_LIMIT_W)
    gateway = await _gateway(site)
    loop = OptimizerLoop(_settings(tmp_path), gateway, _envelope(limits))
    dispatcher = Dispatcher(gateway, revert_s=300.0, interval_s=60.0, targets=loop)
    battery_targets: list[float] = []
    site_powers: list[float] = []
    try:
        now = 0.0
        while now < 3600.0:
            report = await dispatcher.apply(limits, now)
            assert report.ok, (report.failures, report.unmet)
            decision = report.targets
            assert decision is not None, loop.last_error
            assert loop.plan is not None
            planned = loop.plan
            index = planned.interval_at(now)
            assert index is not None
            wished_w = (
                planned.battery_discharge_w["battery"][index]
                - planned.battery_charge_w["battery"][index]
            )
            now += 60.0
            state = site.step(now)
            site_powers.append(state.site_w)
            # The battery register follows the clamped plan, which here is the plan itself.
            assert decision.battery_power_w is not None
            battery = site.sim.devices["battery"]
            assert isinstance(battery, SimBattery)
            if 6.0 < battery.soc_pct < 99.0:
                assert state.battery_w == pytest.approx(decision.battery_power_w, abs=30.0)
            if not decision.clamped:
                assert decision.battery_power_w == pytest.approx(wished_w)
            battery_targets.append(decision.battery_power_w)
            # The charger's current register holds the DLM's current, at most the plan's.
            holding = site.sim.registers("ev").tables["holding"]
            assert holding[200] == round(decision.ev_current_a["ev"] * 10)
            assert decision.ev_current_a["ev"] <= planned.ev_current_a["ev"][index] + 0.1
    finally:
        await gateway.close()
    assert loop.plans_made >= 4  # every 15 minutes
    assert min(battery_targets) < -500.0  # charged while cheap ...
    assert max(battery_targets) > 500.0  # ... and sold when feed-in paid
    assert max(site_powers) <= IMPORT_LIMIT_W
    assert min(site_powers) >= -EXPORT_LIMIT_W


async def test_the_car_gets_its_energy_while_import_is_cheap(
    night_site: RunningSite, tmp_path: Path
) -> None:
    site = night_site
    limits = EnvelopeLimits(import_limit_w=IMPORT_LIMIT_W)
    gateway = await _gateway(site)
    loop = OptimizerLoop(_settings(tmp_path), gateway, _envelope(limits))
    dispatcher = Dispatcher(gateway, revert_s=300.0, interval_s=60.0, targets=loop)
    try:
        now = 0.0
        while now < 1800.0:
            await dispatcher.apply(limits, now)
            now += 60.0
            assert site.step(now).site_w <= IMPORT_LIMIT_W
    finally:
        await gateway.close()
    charger = site.sim.devices["ev"]
    assert isinstance(charger, SimCharger)
    charged_wh = charger.energy_wh - 1.0  # the simulator's meter starts at 1 Wh
    # The target into the car's battery, less what 15-minute averages and the DLM's 0.1 A
    # steps lose between re-plans.
    assert charged_wh * 0.9 >= EV_TARGET_WH * 0.9


class _FailingPlanner(Planner):
    def plan(self, now: float, inputs: PlanInputs, integer: bool | None = None) -> Plan:
        raise SolverFailedError("HiGHS returned infeasible", "infeasible")


async def test_optimizer_failure_falls_back_to_envelope_only_dispatch(tmp_path: Path) -> None:
    # Noon, full battery, no car: only curtailment keeps export inside 3 kW.
    config = parse_config(_sim_config(soc_pct=100.0, car_connected=False))
    async with start_site(config, start=43200.0) as site:
        limits = EnvelopeLimits(export_limit_w=3000.0)
        gateway = await _gateway(site)
        loop = OptimizerLoop(
            _settings(tmp_path),
            gateway,
            _envelope(limits),
            planner_factory=lambda config, integer: _FailingPlanner(config, integer),
        )
        dispatcher = Dispatcher(gateway, revert_s=300.0, targets=loop)
        try:
            report = await dispatcher.apply(limits, 43200.0)
            state = site.step(43201.0)
        finally:
            await gateway.close()
    assert report.targets is None  # no plan: nothing but the envelope was dispatched
    assert loop.plan is None
    assert loop.last_error is not None and "infeasible" in loop.last_error
    assert report.ok, report.failures
    assert -3000.0 <= state.site_w <= -2800.0


class _GatedPlanner(Planner):
    """A real planner whose solve waits for the test to open a gate (a slow solve)."""

    gate = threading.Event()

    def plan(self, now: float, inputs: PlanInputs, integer: bool | None = None) -> Plan:
        assert self.gate.wait(timeout=30.0)
        return super().plan(now, inputs, integer)


async def test_slow_solve_dispatches_envelope_only_until_the_plan_is_ready(
    night_site: RunningSite, tmp_path: Path
) -> None:
    limits = EnvelopeLimits(import_limit_w=IMPORT_LIMIT_W)
    gateway = await _gateway(night_site)
    gate = threading.Event()

    def factory(config: PlannerConfig, integer: bool) -> Planner:
        planner = _GatedPlanner(config, integer)
        planner.gate = gate
        return planner

    loop = OptimizerLoop(
        _settings(tmp_path, solve_wait_s=0.05), gateway, _envelope(limits), planner_factory=factory
    )
    dispatcher = Dispatcher(gateway, revert_s=300.0, targets=loop)
    try:
        first = await dispatcher.apply(limits, 0.0)
        gate.set()
        loop.settings = replace(loop.settings, solve_wait_s=30.0)  # now wait for it
        second = await dispatcher.apply(limits, 30.0)
    finally:
        gate.set()
        await gateway.close()
    assert first.targets is None and first.ok
    assert second.targets is not None and loop.plans_made == 1


def test_optimizer_is_off_unless_enabled(tmp_path: Path) -> None:
    assert parse_optimizer_settings({}, tmp_path).enabled is False
    settings = parse_optimizer_settings(
        {"enabled": True, "step_s": 300, "horizon_s": 7200, "tariff": "t.csv"}, tmp_path
    )
    assert settings.enabled and settings.steps == 24
    assert settings.tariff == (tmp_path / "t.csv").resolve()


@pytest.mark.parametrize(
    "table",
    [{"enabled": "yes"}, {"step_s": 0}, {"horizon": 3600}, {"latitude_deg": 52.0}],
)
def test_bad_optimizer_settings_are_refused(table: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(OptimizerSettingsError):
        parse_optimizer_settings(table, tmp_path)


async def test_replans_when_the_envelope_changes_not_on_every_cycle(
    night_site: RunningSite, tmp_path: Path
) -> None:
    limits = EnvelopeLimits(import_limit_w=IMPORT_LIMIT_W)
    later = EnvelopeLimits(import_limit_w=4000.0)
    control_start_s = 600.0
    announced = [False]

    def source(now: float, horizon_s: float) -> GridEnvelope:
        # As the event engine does: segments clipped to [now, now + horizon).
        segments = []
        if announced[0]:
            start = max(now, control_start_s)
            segments.append(EnvelopeSegment(start, now + horizon_s, later, "control-1"))
        return GridEnvelope.from_segments(segments, baseline=limits)

    gateway = await _gateway(night_site)
    loop = OptimizerLoop(_settings(tmp_path), gateway, source)
    dispatcher = Dispatcher(gateway, revert_s=300.0, targets=loop)
    plans: dict[float, int] = {}
    try:
        for now in (0.0, 60.0, 120.0, 180.0, 240.0, 600.0, 660.0, 720.0):
            if now == 180.0:
                announced[0] = True  # a control for 600 s arrives
            await dispatcher.apply(limits if now < control_start_s else later, now)
            plans[now] = loop.plans_made
            night_site.step(now + 60.0)
    finally:
        await gateway.close()
    assert [plans[t] for t in (0.0, 60.0, 120.0)] == [1, 1, 1]  # same envelope: no re-plan
    assert plans[180.0] == 2  # the new control is planned for at once
    assert plans[240.0] == 2
    assert plans[600.0] == 3  # and again when it starts
    assert plans[720.0] == 3
