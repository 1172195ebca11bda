"""Evaluation on a real week: what the optimizer is worth against simpler control.

Four strategies run one simulated week on the same site and the same actual PV and load
(:mod:`~openderms.client.optimizer.evaluation_data`), with a dynamic tariff, an export
limit and two afternoons of reduced export (a dynamic operating envelope):

(a) ``no control``: the battery idles, the car charges at full power when it arrives.
(b) ``rule-based``: self-consumption: the battery stores PV surplus and covers deficits;
    the car charges from surplus, and at full power once it must to meet its target.
(c) ``optimizer, forecasts``: model-predictive control; every 15 minutes the LP is
    re-planned over 24 h from pvlib forecasts (cloud-cover persistence, bias fitted on the
    past week) and a load forecast chosen by backtest; the first interval is executed.
(d) ``optimizer, perfect foresight``: one LP over the whole week with the actual PV and
    load: the bound the others are held against.

Execution is the same for all: the battery and the car follow their command within their
physical limits and the plugged-in window; PV is curtailed only as far as the envelope
demands. Net cost counts energy bought minus energy sold, minus the value of any change in
stored battery energy (valued at ``stored_value_per_kwh``) so that ending the week with an
emptier battery is not a saving.

LP is used for (c) and (d): (c) solves 672 times, and the MILP's discrete facts change
little here (the LP does not charge and discharge together at positive prices).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from openderms.client.envelope import EnvelopeLimits, EnvelopeSegment, GridEnvelope
from openderms.client.forecast.load import forecast_load
from openderms.client.forecast.pv import PvForecaster
from openderms.client.optimizer.battery import BatterySpec, BatteryState
from openderms.client.optimizer.envelope_constraints import SiteSpec
from openderms.client.optimizer.ev import EvChargerSpec, EvSession
from openderms.client.optimizer.evaluation_data import EvaluationData
from openderms.client.optimizer.plan import Plan
from openderms.client.optimizer.planner import PlanInputs, Planner, PlannerConfig
from openderms.client.optimizer.pv import PvSpec

__all__ = [
    "EvaluationSite",
    "StrategyResult",
    "evaluate",
    "format_table",
]

logger = logging.getLogger(__name__)
_Array = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Command:
    """What a controller asks for in one interval [W]."""

    battery_w: float
    """Positive charges, negative discharges."""
    ev_w: float


@dataclass(frozen=True, slots=True)
class EvaluationSite:
    """The simulated home."""

    battery: BatterySpec
    charger: EvChargerSpec
    export_limit_w: float
    reduced_export_w: float
    stored_value_per_kwh: float
    initial_soc_pct: float = 50.0

    @classmethod
    def default(cls) -> EvaluationSite:
        """10 kWh / 5 kW battery, an 11 kW charger, 5 kW export limit, 1.5 kW on two
        afternoons."""
        return cls(
            battery=BatterySpec(
                "battery",
                capacity_wh=10_000.0,
                max_charge_w=5000.0,
                max_discharge_w=5000.0,
                reserve_pct=10.0,
                soc_min_pct=5.0,
                degradation_cost_per_kwh=0.02,
                terminal_value_per_kwh=0.15,
            ),
            charger=EvChargerSpec("ev", min_current_a=6.0, max_current_a=16.0, phases=3),
            export_limit_w=5000.0,
            reduced_export_w=1500.0,
            stored_value_per_kwh=0.15,
        )


@dataclass(frozen=True, slots=True)
class StrategyResult:
    """One strategy's week."""

    name: str
    net_cost: float
    """Import cost minus export revenue minus the value of stored energy gained [currency]."""
    import_kwh: float
    export_kwh: float
    pv_kwh: float
    """PV energy produced after curtailment [kWh]."""
    curtailed_kwh: float
    self_consumption_pct: float
    """Share of produced PV energy used on site [%]."""
    ev_shortfall_kwh: float
    envelope_excess_wh: float
    """Energy exported above the envelope (must be 0) [Wh]."""
    battery_throughput_kwh: float
    """Energy charged plus discharged, AC side [kWh]; wear is not in the net cost."""
    planner_solves: int = 0
    solver_time_s: float = 0.0
    """Sum of solver-reported times [s]."""
    note: str = ""


def _sessions(data: EvaluationData) -> list[EvSession]:
    """Each night Monday to Saturday, 18:00 to 07:30 local, 10 kWh; Saturday daytime at
    home 09:00 to 17:00, 8 kWh."""
    day_s = 86_400.0
    local_midnight = data.week_start_s
    week_end_s = data.week_start_s + data.week_steps * data.step_s
    sessions = []
    for day in range(6):
        if day == 5:
            sessions.append(
                EvSession(
                    local_midnight + day * day_s + 9 * 3600,
                    local_midnight + day * day_s + 17 * 3600,
                    8000.0,
                )
            )
        sessions.append(
            EvSession(
                local_midnight + day * day_s + 18 * 3600,
                local_midnight + (day + 1) * day_s + 7.5 * 3600,
                10_000.0,
            )
        )
    # Only sessions that end inside the simulated span, so every target can be judged.
    return [s for s in sessions if s.departure_s <= week_end_s]


def _envelope(data: EvaluationData, site: EvaluationSite) -> GridEnvelope:
    reduced = EnvelopeLimits(export_limit_w=site.reduced_export_w)
    segments = [
        EnvelopeSegment(
            data.week_start_s + day * 86_400 + 11 * 3600,
            data.week_start_s + day * 86_400 + 15 * 3600,
            reduced,
            source=f"doe-day{day}",
        )
        for day in (1, 6)
    ]
    return GridEnvelope.from_segments(segments, EnvelopeLimits(export_limit_w=site.export_limit_w))


class _Simulator:
    """Executes commands against actual PV and load, one interval at a time."""

    def __init__(self, data: EvaluationData, site: EvaluationSite, sessions: list[EvSession]):
        self.data = data
        self.site = site
        self.sessions = sessions
        self.envelope = _envelope(data, site)
        spec = site.battery
        self.energy_wh = spec.capacity_wh * site.initial_soc_pct / 100.0
        self.delivered_wh = [0.0] * len(sessions)
        self.cost = 0.0
        self.import_wh = self.export_wh = self.pv_wh = self.curtailed_wh = 0.0
        self.excess_wh = 0.0
        self.throughput_wh = 0.0

    def session_index(self, now: float) -> int | None:
        for index, session in enumerate(self.sessions):
            if session.arrival_s <= now < session.departure_s:
                return index
        return None

    def remaining_wh(self, index: int) -> float:
        return max(self.sessions[index].target_energy_wh - self.delivered_wh[index], 0.0)

    def step(self, index: int, command: Command) -> None:
        data, spec, charger = self.data, self.site.battery, self.site.charger
        now = data.start_s + index * data.step_s
        hours = data.step_s / 3600.0
        # Car: only while plugged in, within the charger's range, never past its need.
        ev_w = 0.0
        session = self.session_index(now)
        if session is not None and command.ev_w > 0:
            need_w = self.remaining_wh(session) / charger.efficiency / hours
            # An average below the minimum current is charging at the minimum for part
            # of the interval, which the dispatcher can do.
            ev_w = min(command.ev_w, charger.max_w, need_w)
            self.delivered_wh[session] += ev_w * hours * charger.efficiency
        # Battery: within power and energy bounds.
        low = spec.capacity_wh * spec.soc_min_pct / 100.0
        high = spec.capacity_wh * spec.soc_max_pct / 100.0
        if command.battery_w >= 0:
            room_w = (high - self.energy_wh) / (spec.charge_efficiency * hours)
            battery_w = min(command.battery_w, spec.max_charge_w, max(room_w, 0.0))
        else:
            avail_w = (self.energy_wh - low) * spec.discharge_efficiency / hours
            battery_w = -min(-command.battery_w, spec.max_discharge_w, max(avail_w, 0.0))
        pv_w = float(data.pv_w[index])
        load_w = float(data.load_w[index])
        site_w = load_w + ev_w + battery_w - pv_w
        limit_w = self.envelope.over(now, data.step_s, 1)[0].export_limit_w
        if limit_w is not None and -site_w > limit_w:
            # Curtail PV first, then hold back discharge.
            cut = min(-site_w - limit_w, pv_w)
            pv_w -= cut
            self.curtailed_wh += cut * hours
            site_w += cut
            if -site_w > limit_w and battery_w < 0:
                back = min(-site_w - limit_w, -battery_w)
                battery_w += back
                site_w += back
            if -site_w > limit_w:
                self.excess_wh += (-site_w - limit_w) * hours
        self.throughput_wh += abs(battery_w) * hours
        if battery_w >= 0:
            self.energy_wh += battery_w * hours * spec.charge_efficiency
        else:
            self.energy_wh += battery_w * hours / spec.discharge_efficiency
        imp_w, exp_w = max(site_w, 0.0), max(-site_w, 0.0)
        self.import_wh += imp_w * hours
        self.export_wh += exp_w * hours
        self.pv_wh += pv_w * hours
        self.cost += (
            (imp_w * data.import_price_per_kwh[index] - exp_w * data.export_price_per_kwh[index])
            * hours
            / 1000.0
        )

    def result(
        self, name: str, solves: int = 0, solver_time_s: float = 0.0, note: str = ""
    ) -> StrategyResult:
        spec = self.site.battery
        initial_wh = spec.capacity_wh * self.site.initial_soc_pct / 100.0
        stored_gain_kwh = (self.energy_wh - initial_wh) / 1000.0
        shortfall = sum(self.remaining_wh(i) for i in range(len(self.sessions))) / 1000.0
        pv_kwh = self.pv_wh / 1000.0
        export_kwh = self.export_wh / 1000.0
        return StrategyResult(
            name=name,
            net_cost=self.cost - stored_gain_kwh * self.site.stored_value_per_kwh,
            import_kwh=self.import_wh / 1000.0,
            export_kwh=export_kwh,
            pv_kwh=pv_kwh,
            curtailed_kwh=self.curtailed_wh / 1000.0,
            self_consumption_pct=100.0 * (1.0 - export_kwh / pv_kwh) if pv_kwh > 0 else 0.0,
            ev_shortfall_kwh=shortfall,
            envelope_excess_wh=self.excess_wh,
            battery_throughput_kwh=self.throughput_wh / 1000.0,
            planner_solves=solves,
            solver_time_s=solver_time_s,
            note=note,
        )


def _week(data: EvaluationData) -> range:
    return range(data.history_steps, data.history_steps + data.week_steps)


def run_no_control(data: EvaluationData, site: EvaluationSite) -> StrategyResult:
    """(a) Battery idle, car at full power from arrival."""
    sim = _Simulator(data, site, _sessions(data))
    for index in _week(data):
        sim.step(index, Command(battery_w=0.0, ev_w=site.charger.max_w))
    return sim.result("(a) no control")


def run_rule_based(data: EvaluationData, site: EvaluationSite) -> StrategyResult:
    """(b) Self-consumption rules for the battery and surplus-first charging for the car."""
    sim = _Simulator(data, site, _sessions(data))
    charger = site.charger
    hours = data.step_s / 3600.0
    for index in _week(data):
        now = data.start_s + index * data.step_s
        surplus_w = float(data.pv_w[index] - data.load_w[index])
        ev_w = 0.0
        session = sim.session_index(now)
        if session is not None:
            remaining_wh = sim.remaining_wh(session)
            left_s = sim.sessions[session].departure_s - now
            # Full power once the remaining energy needs all the time that is left.
            full_power_wh = charger.max_w * charger.efficiency * (left_s / 3600.0 - hours)
            if remaining_wh > 0 and remaining_wh >= full_power_wh:
                ev_w = charger.max_w
            elif surplus_w >= charger.min_w:
                ev_w = min(surplus_w, charger.max_w)
        sim.step(index, Command(battery_w=surplus_w - ev_w, ev_w=ev_w))
    return sim.result("(b) rule-based self-consumption")


def _planner_config(
    site: EvaluationSite,
    steps: int,
    chargers: Sequence[EvChargerSpec],
    integer_steps: int | None = None,
) -> PlannerConfig:
    return PlannerConfig(
        integer_steps=integer_steps,
        site=SiteSpec(import_limit_w=3 * 63 * 230.0, export_limit_w=site.export_limit_w),
        pv=(PvSpec("pv", 6000.0),),
        batteries=(site.battery,),
        chargers=tuple(chargers),
        steps=steps,
        step_s=900.0,
    )


def run_optimizer_forecasts(
    data: EvaluationData,
    site: EvaluationSite,
    horizon_steps: int = 96,
    progress: Callable[[int, int], None] | None = None,
    replan_every: int = 1,
    milp_steps: int = 0,
) -> StrategyResult:
    """(c) Re-plan every ``replan_every`` intervals over ``horizon_steps`` from forecasts,
    and execute the plan until the next. ``milp_steps`` > 0 solves the MILP with binaries
    over that many leading intervals instead of the LP."""
    sessions = _sessions(data)
    sim = _Simulator(data, site, sessions)
    planner = Planner(
        _planner_config(site, horizon_steps, [site.charger], milp_steps or None),
        integer=milp_steps > 0,
    )
    forecaster = PvForecaster(data.pv_spec)
    week = _week(data)
    solves, solver_time = 0, 0.0
    load_mae: list[float] = []
    pv_mae: list[float] = []
    plan: Plan | None = None
    for count, index in enumerate(week):
        now = data.start_s + index * data.step_s
        if plan is not None and count % replan_every:
            offset = count % replan_every
            battery_w = (
                plan.battery_charge_w["battery"][offset]
                - plan.battery_discharge_w["battery"][offset]
            )
            sim.step(index, Command(battery_w=battery_w, ev_w=plan.ev_w["ev"][offset]))
            continue
        horizon = slice(index, index + horizon_steps)
        if count % 96 == 0:
            # Once a day: refit the PV bias on the past week of measurements, against the
            # cloud cover that was observed then.
            past = slice(index - 7 * 96, index)
            forecaster.fit(
                now - 7 * 86_400, data.step_s, data.pv_w[past], data.cloud_cover_pct[past]
            )
        cloud_now = float(data.cloud_cover_pct[index - 1])
        pv_forecast = forecaster.forecast(
            now, data.step_s, horizon_steps, cloud_cover_pct=[cloud_now] * horizon_steps
        )
        load_forecast = forecast_load(data.load_w[:index], now, data.step_s, horizon_steps)
        session: EvSession | None = None
        for k, candidate in enumerate(sessions):
            if (
                candidate.departure_s > now
                and candidate.arrival_s < now + planner.config.horizon_s
            ):
                remaining = sim.remaining_wh(k)
                session = EvSession(candidate.arrival_s, candidate.departure_s, remaining)
                break
        inputs = PlanInputs(
            load_forecast_w=load_forecast.as_array(),
            import_price_per_kwh=data.import_price_per_kwh[horizon],
            export_price_per_kwh=data.export_price_per_kwh[horizon],
            envelope=sim.envelope,
            pv_forecast_w={"pv": pv_forecast.as_array()},
            batteries={"battery": BatteryState(100.0 * sim.energy_wh / site.battery.capacity_wh)},
            ev_sessions={"ev": session},
        )
        plan = planner.plan(now, inputs)
        if load_forecast.backtest_mae_w is not None:
            load_mae.append(load_forecast.backtest_mae_w)
        if pv_forecast.backtest_mae_w is not None:
            pv_mae.append(pv_forecast.backtest_mae_w)
        solves += 1
        solver_time += plan.solve_time_s or 0.0
        battery_w = plan.battery_charge_w["battery"][0] - plan.battery_discharge_w["battery"][0]
        sim.step(index, Command(battery_w=battery_w, ev_w=plan.ev_w["ev"][0]))
        if progress is not None:
            progress(count + 1, len(week))
    note = (
        f"(c) forecast backtest MAE: load {np.mean(load_mae):.0f} W, PV {np.mean(pv_mae):.0f} W"
        if load_mae and pv_mae
        else ""
    )
    name = "(c) optimizer, forecasts" + (f", MILP[:{milp_steps}]" if milp_steps else "")
    return sim.result(name, solves, solver_time, note)


def run_optimizer_perfect(data: EvaluationData, site: EvaluationSite) -> StrategyResult:
    """(d) One LP over the whole week with actual PV and load; every car session is its own
    charger in the model (they never overlap, so they share the one physical charger)."""
    sessions = _sessions(data)
    sim = _Simulator(data, site, sessions)
    chargers = [
        EvChargerSpec(
            f"ev{k}",
            site.charger.min_current_a,
            site.charger.max_current_a,
            site.charger.phases,
            site.charger.voltage_v,
            site.charger.efficiency,
        )
        for k in range(len(sessions))
    ]
    planner = Planner(_planner_config(site, data.week_steps, chargers), integer=False)
    week = slice(data.history_steps, data.history_steps + data.week_steps)
    inputs = PlanInputs(
        load_forecast_w=data.load_w[week],
        import_price_per_kwh=data.import_price_per_kwh[week],
        export_price_per_kwh=data.export_price_per_kwh[week],
        envelope=sim.envelope,
        pv_forecast_w={"pv": data.pv_w[week]},
        batteries={"battery": BatteryState(site.initial_soc_pct)},
        ev_sessions={f"ev{k}": s for k, s in enumerate(sessions)},
    )
    plan = planner.plan(data.week_start_s, inputs)
    for offset, index in enumerate(_week(data)):
        battery_w = (
            plan.battery_charge_w["battery"][offset] - plan.battery_discharge_w["battery"][offset]
        )
        ev_w = sum(plan.ev_w[f"ev{k}"][offset] for k in range(len(sessions)))
        sim.step(index, Command(battery_w=battery_w, ev_w=ev_w))
    return sim.result("(d) optimizer, perfect foresight", 1, plan.solve_time_s or 0.0)


def evaluate(
    data: EvaluationData,
    site: EvaluationSite | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[StrategyResult]:
    """Run all four strategies on ``data``."""
    site = site or EvaluationSite.default()
    return [
        run_no_control(data, site),
        run_rule_based(data, site),
        run_optimizer_forecasts(data, site, progress=progress),
        run_optimizer_perfect(data, site),
    ]


def format_table(results: Sequence[StrategyResult], data: EvaluationData) -> str:
    """A plain-text table of the results."""
    start = datetime.fromtimestamp(data.week_start_s, tz=UTC)
    lines = [
        f"{data.week_steps * data.step_s / 86_400:g} days from {start:%Y-%m-%d %H:%M} UTC, "
        f"15-minute steps, LP unless marked MILP "
        f"(PV: pvlib TMY3 Greensboro NC; load: demandlib BDEW H0; synthetic dynamic tariff)",
        "",
        f"{'strategy':<34} {'net cost':>9} {'import':>8} {'export':>8} {'PV':>7} "
        f"{'curtail':>8} {'self-cons':>9} {'EV short':>9} {'battery':>8} {'solves':>7} "
        f"{'solver':>7}",
        f"{'':<34} {'[cur]':>9} {'[kWh]':>8} {'[kWh]':>8} {'[kWh]':>7} "
        f"{'[kWh]':>8} {'[%]':>9} {'[kWh]':>9} {'[kWh]':>8} {'':>7} {'[s]':>7}",
    ]
    for r in results:
        lines.append(
            f"{r.name:<34} {r.net_cost:>9.2f} {r.import_kwh:>8.1f} {r.export_kwh:>8.1f} "
            f"{r.pv_kwh:>7.1f} {r.curtailed_kwh:>8.1f} {r.self_consumption_pct:>9.1f} "
            f"{r.ev_shortfall_kwh:>9.2f} {r.battery_throughput_kwh:>8.1f} "
            f"{r.planner_solves:>7} {r.solver_time_s:>7.2f}"
        )
        if r.envelope_excess_wh > 0.5:
            lines.append(
                f"  !! {r.name} exported {r.envelope_excess_wh:.0f} Wh above the envelope"
            )
    bound = results[-1].net_cost
    baseline = results[0].net_cost
    if baseline != bound:
        lines.append("")
        for r in results[1:-1]:
            captured = 100.0 * (baseline - r.net_cost) / (baseline - bound)
            lines.append(
                f"{r.name} captures {captured:.0f} % of the saving perfect foresight finds"
            )
    lines += [r.note for r in results if r.note]
    lines += [
        "",
        "Net cost: imports minus exports at the tariff, minus the change in stored battery",
        "energy at the stored value. (d) minimizes that plus battery wear, so it bounds the",
        "optimizer's own objective; a strategy that ignores wear could undercut its net cost.",
    ]
    return "\n".join(lines)
