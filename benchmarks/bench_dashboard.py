"""How long the dashboard's views take on a fleet with a day of minute telemetry.

Usage: ``python benchmarks/bench_dashboard.py [devices] [readings_per_device]``
(default 200 devices x 1440 one-minute site power readings, SQLite in a temp dir).
Prints the time of each view, and for the energy view the ratio against reading every
raw reading of the window into Python (the baseline the database-side averaging replaces).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session

from openderms.server.config import ServerSettings
from openderms.server.dashboard import views
from openderms.server.dashboard.params import TimeRange
from openderms.server.store.crud import dashboard as q
from openderms.server.store.db import Store
from openderms.server.store.models import (
    EndDeviceRow,
    MirrorMeterReadingRow,
    MirrorReadingRow,
    MirrorUsagePointRow,
)

NOW = 1_800_000_000


def seed(store: Store, devices: int, readings: int) -> str:
    """Devices with a site mirror of ``readings`` minute readings; returns one LFDI."""
    with store.session() as session:
        for n in range(devices):
            lfdi = f"{n + 1:040X}"
            device = EndDeviceRow(lfdi=lfdi, sfdi=n + 1, registered_time=NOW, changed_time=NOW)
            session.add(device)
            session.flush()
            assert device.id is not None
            mup = MirrorUsagePointRow(
                end_device_id=device.id,
                mrid=f"{n:032X}",
                description="site",
                device_lfdi=lfdi,
                role_flags=3,
                created_time=NOW,
                changed_time=NOW,
            )
            session.add(mup)
            session.flush()
            assert mup.id is not None
            mmr = MirrorMeterReadingRow(
                mup_id=mup.id,
                mrid=f"{n:031X}1",
                description="power_w",
                uom=38,
                power_of_ten_multiplier=0,
                flow_direction=1,
                created_time=NOW,
                last_update_time=NOW,
            )
            session.add(mmr)
            session.flush()
            assert mmr.id is not None
            # Core bulk insert: seeding speed is not what this measures.
            session.execute(
                insert(MirrorReadingRow),
                [
                    {
                        "mmr_id": mmr.id,
                        "time_period_start": NOW - (readings - i) * 60,
                        "value": (i % 120) * 50 - 3000,
                        "received_time": NOW,
                    }
                    for i in range(readings)
                ],
            )
        session.commit()
    return f"{1:040X}"


def timed(label: str, fn: object, *args: object, repeat: int = 3, **kwargs: object) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        with STORE.session() as session:
            fn(session, *args, **kwargs)  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    print(f"{label:<48} {best * 1000:9.1f} ms")
    return best


def raw_energy_baseline(session: Session, rng: TimeRange) -> None:
    """Every raw reading of the window into Python (what averaging in SQL avoids)."""
    ids = q.scoped_device_ids(session, aggregator_id=None)
    series = [s.mmr.id or 0 for s in q.series_of_devices(session, ids)]
    q.readings_in_range(session, series, since=rng.since, until=rng.until, limit=10**8)


if __name__ == "__main__":
    devices = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    readings = int(sys.argv[2]) if len(sys.argv) > 2 else 1440
    with tempfile.TemporaryDirectory() as tmp:
        STORE = Store.open(f"sqlite:///{Path(tmp) / 'bench.db'}")
        started = time.perf_counter()
        lfdi = seed(STORE, devices, readings)
        print(
            f"seeded {devices} devices x {readings} readings in "
            f"{time.perf_counter() - started:.1f} s (SQLite)"
        )
        day = TimeRange(NOW - 86400, NOW + 60)
        month = TimeRange(NOW - 30 * 86400, NOW + 60)
        timed(
            "fleet view (100 devices)",
            views.fleet_view,
            aggregator_id=None,
            now=NOW,
            start=0,
            limit=100,
            settings=ServerSettings(),
        )
        timed(
            "device view, 24 h",
            views.device_view,
            aggregator_id=None,
            lfdi=lfdi,
            now=NOW,
            rng=day,
            history_limit=20,
        )
        timed(
            "device view, 30 days",
            views.device_view,
            aggregator_id=None,
            lfdi=lfdi,
            now=NOW,
            rng=month,
            history_limit=20,
        )
        energy = timed(
            "energy view, 24 h (fleet)",
            views.energy_view,
            aggregator_id=None,
            now=NOW,
            rng=day,
            buckets=96,
        )
        baseline = timed(
            "baseline: every raw reading of 24 h into Python", raw_energy_baseline, day, repeat=1
        )
        print(f"energy view / raw-read baseline: {energy / baseline:.2f}")
        timed(
            "telemetry CSV rows, fleet, 1 h",
            views.telemetry_rows,
            aggregator_id=None,
            lfdi=None,
            rng=TimeRange(NOW - 3600, NOW + 60),
            limit=100_000,
        )
        STORE.dispose()
