"""Planner solve time, cold and warm, LP and MILP.

Run: ``python benchmarks/bench_optimizer.py``. Two sites:

- 24 h at 15-minute steps (96 intervals): PV, a battery, two EV chargers, a heat pump;
- 48 h at 5-minute steps (576 intervals), the same site.

The last row gives the MILP binaries over the first 4 hours only (``integer_steps``).
"cold" builds the Planner and solves once (problem construction, DPP canonicalization,
solve); "warm" re-solves the built problem with new forecasts, prices and states (what the
gateway does every 15 minutes), the median of several runs. Beside the wall time stands
the time the solver reported for itself; their ratio is the modelling overhead (cvxpy
parameter mapping and result extraction).
"""

from __future__ import annotations

import random
import statistics
import time

import numpy as np

from openderms.client.envelope import EnvelopeLimits, EnvelopeSegment, GridEnvelope
from openderms.client.optimizer import (
    BatterySpec,
    BatteryState,
    EvChargerSpec,
    EvSession,
    HeatPumpSpec,
    HeatPumpState,
    PlanInputs,
    Planner,
    PlannerConfig,
    PvSpec,
)

WARM_RUNS = 5


def config(
    steps: int, step_s: float, mip_time_limit_s: float, integer_steps: int | None = None
) -> PlannerConfig:
    return PlannerConfig(
        integer_steps=integer_steps,
        pv=(PvSpec("pv", 8000.0),),
        batteries=(BatterySpec("battery", 10_000.0, 5000.0, 5000.0),),
        chargers=(EvChargerSpec("ev1"), EvChargerSpec("ev2", phases=1, max_current_a=32.0)),
        heat_pumps=(HeatPumpSpec("hp", 3000.0, 900.0, min_run_s=1800.0),),
        steps=steps,
        step_s=step_s,
        mip_time_limit_s=mip_time_limit_s,
    )


def inputs(steps: int, step_s: float, rng: random.Random) -> PlanInputs:
    hours = np.arange(steps) * step_s / 3600.0
    day = hours % 24.0
    sun = np.clip(np.sin((day - 6.0) / 12.0 * np.pi), 0.0, None)
    cloud = rng.uniform(0.4, 1.0)
    horizon_s = steps * step_s
    envelope = GridEnvelope.from_segments(
        [EnvelopeSegment(11 * 3600.0, 14 * 3600.0, EnvelopeLimits(export_limit_w=1500.0))],
        EnvelopeLimits(export_limit_w=5000.0, import_limit_w=15_000.0),
    )
    return PlanInputs(
        load_forecast_w=400.0
        + 300.0 * np.cos((day - 19.0) / 24.0 * 2 * np.pi)
        + rng.uniform(0, 100),
        import_price_per_kwh=0.25
        + 0.1 * np.sin((day - 12.0) / 24.0 * 2 * np.pi)
        + rng.uniform(-0.02, 0.02),
        export_price_per_kwh=np.full(steps, 0.07),
        envelope=envelope,
        pv_forecast_w={"pv": 7500.0 * cloud * sun},
        outdoor_temp_c=4.0 + 5.0 * sun,
        batteries={"battery": BatteryState(rng.uniform(20.0, 80.0))},
        ev_sessions={
            "ev1": EvSession(0.0, 8 * 3600.0, rng.uniform(10_000.0, 25_000.0)),
            "ev2": EvSession(
                17 * 3600.0, min(31 * 3600.0, horizon_s), rng.uniform(5000.0, 15_000.0)
            ),
        },
        heat_pumps={"hp": HeatPumpState(rng.uniform(19.5, 21.0), is_on=False)},
    )


def measure(
    name: str,
    steps: int,
    step_s: float,
    integer: bool,
    mip_time_limit_s: float,
    integer_steps: int | None = None,
) -> None:
    rng = random.Random(7)
    started = time.perf_counter()
    planner = Planner(config(steps, step_s, mip_time_limit_s, integer_steps), integer=integer)
    plan = planner.plan(0.0, inputs(steps, step_s, rng))
    cold_wall = time.perf_counter() - started
    cold_solver = plan.solve_time_s or float("nan")
    walls, solvers, statuses, gaps = [], [], {plan.status}, []
    for _ in range(WARM_RUNS):
        data = inputs(steps, step_s, rng)
        started = time.perf_counter()
        plan = planner.plan(0.0, data)
        walls.append(time.perf_counter() - started)
        solvers.append(plan.solve_time_s or float("nan"))
        gaps.append(float("nan") if plan.optimality_gap is None else plan.optimality_gap)
        statuses.add(plan.status if plan.fallback_reason is None else "fallback-LP")
    warm_wall = statistics.median(walls)
    warm_solver = statistics.median(solvers)
    kind = plan.problem.value
    if integer_steps is not None:
        kind += f"[:{integer_steps}]"
    print(
        f"{name:<22} {kind:<9} {cold_wall * 1000:>9.0f} {cold_solver * 1000:>9.0f} "
        f"{cold_wall / cold_solver:>6.1f} {warm_wall * 1000:>9.0f} {warm_solver * 1000:>9.0f} "
        f"{warm_wall / warm_solver:>6.1f} {max(gaps) * 100:>7.2f}%  {','.join(sorted(statuses))}"
    )


def main() -> None:
    print("PV + battery + 2 EVs + heat pump; times in ms; ratio = wall / solver-reported")
    print(
        f"{'site':<22} {'kind':<9} {'cold wall':>9} {'solver':>9} {'ratio':>6} "
        f"{'warm wall':>9} {'solver':>9} {'ratio':>6} {'max gap':>8}  status"
    )
    for integer in (False, True):
        measure("96 x 15 min (24 h)", 96, 900.0, integer, mip_time_limit_s=30.0)
    for integer in (False, True):
        measure("576 x 5 min (48 h)", 576, 300.0, integer, mip_time_limit_s=30.0)
    # Binaries over the first 4 hours only, the rest relaxed.
    measure("576 x 5 min (48 h)", 576, 300.0, True, mip_time_limit_s=30.0, integer_steps=48)


if __name__ == "__main__":
    main()
