"""The ``[optimizer]`` table of the gateway config: off unless ``enabled = true``.

Example::

    [optimizer]
    enabled = true
    step_s = 900                  # plan interval [s]
    horizon_s = 21600             # plan length [s] (24 intervals)
    replan_s = 900                # regular re-plan [s]; envelope/device changes re-plan at once
    tariff = "tariff.csv"         # start,import_price_per_kwh,export_price_per_kwh
    import_price_per_kwh = 0.30   # flat prices when there is no tariff file
    export_price_per_kwh = 0.05
    solve_wait_s = 5              # a dispatch waits this long for a due plan, then goes on
                                  # envelope-only while the solve finishes in its thread
    ev_target_energy_wh = 10000   # energy a plugged-in car should get ...
    ev_session_s = 28800          # ... within this long after it was plugged in
    latitude_deg = 52.5           # optional: clear-sky PV forecast (else persistence)
    longitude_deg = 13.4

Parsing is pure and light (no solver import), so ``openderms client --help`` stays fast.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

__all__ = ["OptimizerSettings", "OptimizerSettingsError", "parse_optimizer_settings"]


class OptimizerSettingsError(ValueError):
    """The ``[optimizer]`` table is wrong (a ValueError, as the gateway's ConfigError)."""


@dataclass(frozen=True, slots=True)
class OptimizerSettings:
    """How the gateway plans its site (see the module docstring)."""

    enabled: bool = False
    step_s: float = 900.0
    """Plan interval [s]."""
    horizon_s: float = 21_600.0
    """Plan length [s]."""
    replan_s: float = 900.0
    """Regular re-plan period [s]."""
    tariff: Path | None = None
    """Tariff CSV (:func:`openderms.client.optimizer.load_tariff_csv`); None: flat prices."""
    import_price_per_kwh: float = 0.30
    export_price_per_kwh: float = 0.05
    integer: bool = True
    """Solve the MILP (minimum EV current, no simultaneous charge and discharge)."""
    integer_steps: int = 8
    """Intervals from the start modelled with binaries (the rest relaxed)."""
    solve_time_limit_s: float = 10.0
    """MILP time limit, after which the planner solves the LP relaxation [s]."""
    solve_wait_s: float = 5.0
    """How long a dispatch waits for a due plan before going on envelope-only [s]."""
    max_plan_age_s: float = 3600.0
    """A plan older than this is not followed any more (re-planning keeps failing) [s]."""
    soc_replan_pct: float = 10.0
    """Re-plan when a battery's state of charge is this far from the plan [%]."""
    ev_target_energy_wh: float = 10_000.0
    """Energy each plugged-in car should receive [Wh] (no driver input yet)."""
    ev_session_s: float = 28_800.0
    """Time after plug-in by which it should have it [s]."""
    ev_surplus_value_per_kwh: float = 0.10
    """Worth of energy beyond the target: between the export and import price, a car
    takes extra only from PV surplus [currency/kWh]."""
    phase_limit_a: float = 63.0
    """Per-phase limit of the connection (fuse) [A], for the DLM and the plan."""
    latitude_deg: float | None = None
    longitude_deg: float | None = None
    """Site location for a clear-sky PV forecast; without it PV persists at its last value."""
    history_days: float = 8.0
    """Load history kept in memory for the load forecast [days]."""

    @property
    def steps(self) -> int:
        """Intervals in the horizon."""
        return max(1, math.ceil(self.horizon_s / self.step_s - 1e-9))


def parse_optimizer_settings(table: Mapping[str, Any], base_dir: Path) -> OptimizerSettings:
    """Check the ``[optimizer]`` table.

    Parameters
    ----------
    table : mapping
        The parsed TOML table (empty: the optimizer is off).
    base_dir : Path
        A relative tariff path is relative to this directory (the config file's).

    Raises
    ------
    OptimizerSettingsError
        An unknown key, a value of the wrong type, or a non-positive interval.
    """
    known = {f.name for f in fields(OptimizerSettings)}
    unknown = set(table) - known
    if unknown:
        raise OptimizerSettingsError(f"[optimizer]: unknown keys {sorted(unknown)}")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key in ("enabled", "integer"):
            if not isinstance(value, bool):
                raise OptimizerSettingsError(f"[optimizer] {key} must be true or false")
        elif key == "tariff":
            if not isinstance(value, str) or not value:
                raise OptimizerSettingsError("[optimizer] tariff must be a path")
            value = (base_dir / value).resolve()
        elif key == "integer_steps":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise OptimizerSettingsError("[optimizer] integer_steps must be an integer >= 0")
        else:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise OptimizerSettingsError(f"[optimizer] {key} must be a number")
            value = float(value)
            if not math.isfinite(value):
                raise OptimizerSettingsError(f"[optimizer] {key} must be finite")
        values[key] = value
    settings = OptimizerSettings(**values)
    for key in ("step_s", "horizon_s", "replan_s", "phase_limit_a"):
        if getattr(settings, key) <= 0:
            raise OptimizerSettingsError(f"[optimizer] {key} must be positive")
    if (settings.latitude_deg is None) != (settings.longitude_deg is None):
        raise OptimizerSettingsError("[optimizer] give both latitude_deg and longitude_deg")
    return settings
