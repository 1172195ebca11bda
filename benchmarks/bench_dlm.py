"""DLM allocation time for 10, 100 and 1,000 chargers.

Run: ``python benchmarks/bench_dlm.py``. Chargers are a mix of single- and three-phase,
three priority levels, some with plan targets, on a site where the limit binds (so the
progressive filling does real work). Figures are the median of repeated runs.
"""

from __future__ import annotations

import random
import statistics
import time

from openderms.client.dlm import ChargerReading, DlmLimits, allocate

PHASE_SETS: list[tuple[int, ...]] = [(0,), (1,), (2,), (0, 1, 2), (0, 1, 2)]


def site(count: int, rng: random.Random) -> tuple[list[ChargerReading], list[float], DlmLimits]:
    chargers = [
        ChargerReading(
            f"cp{index}",
            rng.choice(PHASE_SETS),
            min_current_a=6.0,
            max_current_a=rng.choice([16.0, 32.0]),
            measured_current_a=rng.uniform(0.0, 16.0),
            priority=rng.randrange(3),
            target_current_a=rng.choice([None, rng.uniform(6.0, 32.0)]),
            charging=rng.random() < 0.5,
        )
        for index in range(count)
    ]
    # A fuse that carries about half of what all chargers would draw at their maximum.
    limit_a = max(63.0, 16.0 * count / 2)
    meter = [limit_a * 0.3 + rng.uniform(0, 5) for _ in range(3)]
    return chargers, meter, DlmLimits(phase_limit_a=limit_a, max_unbalance_a=limit_a / 4)


def main() -> None:
    rng = random.Random(2030)
    print(f"{'chargers':>9} {'median ms':>10} {'p95 ms':>8} {'runs':>5}")
    for count in (10, 100, 1000):
        chargers, meter, limits = site(count, rng)
        runs = 200 if count < 1000 else 30
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            allocate(chargers, meter, limits)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p95 = times[int(0.95 * (runs - 1))]
        print(f"{count:>9} {statistics.median(times):>10.2f} {p95:>8.2f} {runs:>5}")


if __name__ == "__main__":
    main()
