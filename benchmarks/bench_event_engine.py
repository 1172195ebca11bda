"""How the 2030.5 event engine scales with the number of listed controls.

Drives a day of schedule through the sans-IO engine on a virtual clock: one update with
N controls over three programs (randomized, overlapping), then handle_timer at every
deadline and an envelope over the remaining day at each step, as the runtime would.
Prints wall time per run and the ratio to the smallest N measured in the same run.

    python benchmarks/bench_event_engine.py
"""

from __future__ import annotations

import random
import time

from openderms.client.envelope import EnvelopeLimits
from openderms.client.events import (
    EventEngine,
    Program,
    ProgramSnapshot,
    ScheduledControl,
)
from openderms.client.sep2.responses import ResponseRequired, reports_for

T0 = 1_700_000_000.0
DAY_S = 86_400.0
PROGRAMS = (Program("P1", 1), Program("P2", 2), Program("P3", 3))


def make_snapshot(count: int, rng: random.Random) -> ProgramSnapshot:
    """``count`` randomized one-hour-ish controls spread over a day and three programs."""
    controls = tuple(
        ScheduledControl(
            mrid=f"E{index:04d}",
            program_id=PROGRAMS[index % 3].program_id,
            creation_time=T0 - 10_000 + index,
            start=T0 + rng.uniform(0, DAY_S),
            duration_s=rng.uniform(900, 3 * 3600),
            randomize_start_s=rng.choice((0.0, 300.0, -300.0)),
            randomize_duration_s=rng.choice((0.0, 600.0)),
            limits=EnvelopeLimits(export_limit_w=rng.uniform(0, 10_000)),
            reply_to="/rsps/1/rsp",
            reports=reports_for(
                ResponseRequired.MESSAGE_RECEIVED | ResponseRequired.SPECIFIC_RESPONSE
            ),
        )
        for index in range(count)
    )
    return ProgramSnapshot(programs=PROGRAMS, controls=controls)


def make_doe_day(step_s: float) -> ProgramSnapshot:
    """A CSIP-AUS dynamic operating envelope day: back-to-back controls of ``step_s``."""
    controls = tuple(
        ScheduledControl(
            mrid=f"DOE{index:04d}",
            program_id="P1",
            creation_time=T0 - 10_000,
            start=T0 + index * step_s,
            duration_s=step_s,
            limits=EnvelopeLimits(export_limit_w=1500.0 + index),
            reply_to="/rsps/1/rsp",
            reports=reports_for(ResponseRequired.SPECIFIC_RESPONSE),
        )
        for index in range(int(DAY_S // step_s))
    )
    return ProgramSnapshot(programs=PROGRAMS, controls=controls)


def run_day(snapshot: ProgramSnapshot) -> tuple[float, int, int]:
    """Seconds of wall time for one simulated day; number of timer steps and effects."""
    began = time.perf_counter()
    engine = EventEngine(random.Random(1), T0)
    engine.update(snapshot, T0)
    steps = effects = 0
    while (deadline := engine.next_deadline()) is not None and deadline < T0 + DAY_S + 4 * 3600:
        engine.handle_timer(deadline)
        engine.envelope(deadline, DAY_S)
        while engine.next_effect() is not None:
            effects += 1
        steps += 1
    return time.perf_counter() - began, steps, effects


def main() -> None:
    """Print the figures."""
    baseline: float | None = None
    header = f"{'scenario':>22} {'controls':>8} {'steps':>6} {'effects':>8} {'wall [ms]':>10}"
    print(header + f" {'x first':>8}")
    scenarios = [
        (f"random overlapping {n}", make_snapshot(n, random.Random(n)))
        for n in (10, 25, 50, 100, 200)
    ] + [
        ("DOE day, 30-min steps", make_doe_day(1800.0)),
        ("DOE day, 5-min steps", make_doe_day(300.0)),
    ]
    for name, snapshot in scenarios:
        seconds = min(run_day(snapshot)[0] for _ in range(3))
        _, steps, effects = run_day(snapshot)
        baseline = baseline or seconds
        print(
            f"{name:>22} {len(snapshot.controls):>8} {steps:>6} {effects:>8}"
            f" {seconds * 1e3:>10.1f} {seconds / baseline:>8.1f}"
        )


if __name__ == "__main__":
    main()
