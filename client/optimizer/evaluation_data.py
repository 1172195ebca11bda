"""Real data shipped by installed packages, for the evaluation week.

- Weather: the TMY3 file for Greensboro, NC that pvlib ships (``pvlib/data/723170TYA.CSV``):
  hourly GHI, DNI, DHI, air temperature and total cloud cover.
- Load: demandlib's BDEW H0 household profile (``h0_dyn``, 15-minute), scaled to an annual
  consumption. The standard profile is an average of many households and so smoother than
  one home; seeded noise and appliance spikes make it look like one home, so that a load
  forecast has real error to report.
- Prices: no package ships dynamic tariff data, so the tariff is synthetic with the shape of
  a day-ahead market (morning and evening peaks, a midday solar dip, day-to-day variation,
  seeded) plus fixed network charges; export earns the spot price with a floor.

Everything is keyed on a regular 15-minute UTC grid [s since epoch]. Heavy imports
(pandas, pvlib, demandlib) happen here only.
"""

from __future__ import annotations

import pathlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd
import pvlib

from openderms.client.forecast.pv import PvArraySpec, interval_midpoints, pv_ac_w
from openderms.client.optimizer.errors import PlanInputError

__all__ = ["EvaluationData", "load_evaluation_data"]

_Array = npt.NDArray[np.float64]
STEP_S = 900.0
# Local standard time of the TMY site (TMY3 files are in local standard time).
_SITE_UTC_OFFSET_H = -5.0


@dataclass(frozen=True, slots=True)
class EvaluationData:
    """Aligned 15-minute series from ``start_s``; the week starts ``history_steps`` in."""

    start_s: float
    step_s: float
    history_steps: int
    """Intervals before the evaluated week (history for forecasts)."""
    week_steps: int
    pv_spec: PvArraySpec
    pv_w: _Array
    """What the array produced, from TMY irradiance [W]."""
    load_w: _Array
    """Household load [W]."""
    cloud_cover_pct: _Array
    temp_air_c: _Array
    import_price_per_kwh: _Array
    export_price_per_kwh: _Array

    @property
    def week_start_s(self) -> float:
        return self.start_s + self.history_steps * self.step_s

    def local_hour(self, index: int) -> float:
        """Local standard time of day at the start of interval ``index`` [h]."""
        seconds = self.start_s + index * self.step_s + _SITE_UTC_OFFSET_H * 3600.0
        return (seconds % 86_400.0) / 3600.0


def _tmy_path() -> pathlib.Path:
    path = pathlib.Path(pvlib.__file__).parent / "data" / "723170TYA.CSV"
    if not path.exists():
        raise PlanInputError(f"pvlib's TMY3 sample {path} is missing")
    return path


def _weather(times: pd.DatetimeIndex, year: int) -> pd.DataFrame:
    data, _meta = pvlib.iotools.read_tmy3(_tmy_path(), coerce_year=year, map_variables=True)
    columns = ["ghi", "dni", "dhi", "temp_air", "TotCld (tenths)"]
    hourly = data[columns].tz_convert("UTC")
    # TMY3 values are hour-ending averages: they describe the half-hour before the label.
    hourly.index = hourly.index - pd.Timedelta(minutes=30)
    hourly = hourly[~hourly.index.duplicated()]
    union = hourly.index.union(times)
    frame = hourly.reindex(union).interpolate(method="time").reindex(times)
    return frame.bfill().ffill()


def _household_load_w(times: pd.DatetimeIndex, year: int, annual_kwh: float, seed: int) -> _Array:
    try:
        from demandlib import bdew  # the optional "eval" extra
    except ImportError:
        raise PlanInputError(
            "the week's household load comes from demandlib, in the optional extra: "
            "pip install 'openderms[eval]' (./run setup installs it)"
        ) from None

    profile = bdew.ElecSlp(year).get_scaled_power_profiles({"h0_dyn": annual_kwh})["h0_dyn"]
    # The profile is in local time without a zone; pin it to the site's standard time.
    local = profile.index + pd.Timedelta(minutes=7.5)  # interval midpoints
    stamps = local.tz_localize(f"Etc/GMT+{int(-_SITE_UTC_OFFSET_H)}").tz_convert("UTC")
    series = pd.Series(profile.to_numpy() * 1000.0, index=stamps)
    base = series.reindex(times, method="nearest").to_numpy()
    rng = np.random.default_rng(seed)
    noisy = base * rng.lognormal(mean=0.0, sigma=0.25, size=base.size)
    # Appliance spikes: about three a day, 1.5-2.5 kW for 15-45 minutes.
    spikes = np.zeros(base.size)
    for start in np.flatnonzero(rng.random(base.size) < 3 / 96):
        length = int(rng.integers(1, 4))
        spikes[start : start + length] += rng.uniform(1500.0, 2500.0)
    result: _Array = noisy + spikes
    return result


def _tariff(times: pd.DatetimeIndex, pv_clear_share: _Array, seed: int) -> tuple[_Array, _Array]:
    hours = ((times.hour + times.minute / 60.0 + _SITE_UTC_OFFSET_H) % 24.0).to_numpy()
    days = (times.normalize() - times[0].normalize()).days.to_numpy()
    rng = np.random.default_rng(seed)
    daily_level = rng.normal(0.0, 0.02, days.max() + 1)[days]
    spot = (
        0.09
        + 0.07 * np.exp(-(((hours - 7.5) / 1.5) ** 2))
        + 0.10 * np.exp(-(((hours - 19.0) / 2.0) ** 2))
        - 0.08 * pv_clear_share
        + daily_level
        + rng.normal(0.0, 0.005, hours.size)
    )
    network_charges_per_kwh = 0.15
    imp = spot + network_charges_per_kwh
    exp = np.maximum(spot, 0.02)
    return imp, exp


def load_evaluation_data(
    week_start: datetime = datetime(2023, 4, 10, 5, 0, tzinfo=UTC),
    history_days: int = 14,
    week_days: int = 7,
    lookahead_days: int = 2,
    annual_load_kwh: float = 4500.0,
    seed: int = 2030,
) -> EvaluationData:
    """The evaluation week with its history and a look-ahead for the last plans.

    Parameters
    ----------
    week_start : datetime
        Start of the week (default: Monday 10 April, local midnight at the TMY site).
    history_days : int
        Days of history before the week, for forecasts and bias fitting.
    week_days : int
        Days evaluated.
    lookahead_days : int
        Days of data after the week, so plans made near its end see a full horizon.
    annual_load_kwh : float
        Household consumption per year [kWh].
    seed : int
        Seed of the load noise and the tariff's day-to-day variation.
    """
    start = week_start - timedelta(days=history_days)
    end = week_start + timedelta(days=week_days + lookahead_days)
    if start.year != end.year:
        # TMY data and the BDEW profile cover one calendar year each.
        raise PlanInputError(
            f"history, week and look-ahead ({start:%Y-%m-%d} to {end:%Y-%m-%d}) must lie "
            "in one calendar year"
        )
    steps = int((history_days + week_days + lookahead_days) * 86_400 / STEP_S)
    start_s = start.timestamp()
    times = interval_midpoints(start_s, STEP_S, steps)
    spec = PvArraySpec(
        latitude_deg=36.1,
        longitude_deg=-79.95,
        altitude_m=273.0,
        dc_capacity_w=7000.0,
        ac_capacity_w=6000.0,
        tilt_deg=30.0,
        azimuth_deg=180.0,
    )
    weather = _weather(times, week_start.year)
    pv = pv_ac_w(
        spec,
        times,
        ghi_w_m2=weather["ghi"].to_numpy(),
        dni_w_m2=weather["dni"].to_numpy(),
        dhi_w_m2=weather["dhi"].to_numpy(),
        temp_air_c=weather["temp_air"].to_numpy(),
    )
    clear = pv_ac_w(spec, times)
    load = _household_load_w(times, week_start.year, annual_load_kwh, seed)
    imp, exp = _tariff(times, clear / spec.ac_capacity_w, seed)
    return EvaluationData(
        start_s=start_s,
        step_s=STEP_S,
        history_steps=int(history_days * 86_400 / STEP_S),
        week_steps=int(week_days * 86_400 / STEP_S),
        pv_spec=spec,
        pv_w=pv,
        load_w=load,
        cloud_cover_pct=weather["TotCld (tenths)"].to_numpy() * 10.0,
        temp_air_c=weather["temp_air"].to_numpy(),
        import_price_per_kwh=imp,
        export_price_per_kwh=exp,
    )
