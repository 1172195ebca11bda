"""PV forecasts with pvlib: clear sky and plane of array for the configured array, scaled by
an irradiance or cloud-cover forecast when one is given, bias-corrected against measured
history.

Chain, per interval (evaluated at the interval's midpoint):

1. Sun position and clear-sky GHI/DNI/DHI (Ineichen with Linke turbidity, pvlib).
2. If a cloud-cover forecast is given, GHI = clear GHI x (offset + (1 - offset)(1 - cc)),
   with offset 0.35 (Larson et al. [1]); if a GHI forecast is given, it is used as is.
   Either is split into DNI and DHI with the Erbs model [2].
3. Plane-of-array irradiance (isotropic sky), cell temperature (Faiman), DC power
   (PVWatts), AC power (PVWatts inverter), system losses.
4. Multiplied by the bias ratio fitted on measured history (:func:`fit_bias_ratio`).

References
----------
.. [1] D. P. Larson, L. Nonnenmacher, C. F. M. Coimbra, "Day-ahead forecasting of solar
   power output from photovoltaic plants in the American Southwest", Renewable Energy 91,
   2016.
.. [2] D. G. Erbs, S. A. Klein, J. A. Duffie, "Estimation of the diffuse radiation fraction
   for hourly, daily and monthly-average global radiation", Solar Energy 28(4), 1982.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import pvlib

from openderms.client.forecast.errors import ForecastInputError
from openderms.client.forecast.result import (
    Forecast,
    mean_absolute_error,
    root_mean_square_error,
)

__all__ = [
    "PvArraySpec",
    "PvForecaster",
    "fit_bias_ratio",
    "ghi_from_cloud_cover",
    "interval_midpoints",
    "pv_ac_w",
]

_Array = npt.NDArray[np.float64]
_CLOUD_OFFSET = 0.35
# A ratio outside these bounds says the history is broken (a tripped inverter, a wrong
# meter), not that the model is biased.
_BIAS_BOUNDS = (0.3, 1.5)


@dataclass(frozen=True, slots=True)
class PvArraySpec:
    """A fixed-tilt array and its inverter."""

    latitude_deg: float
    longitude_deg: float
    dc_capacity_w: float
    """STC rating of the modules [W]."""
    ac_capacity_w: float
    """Inverter AC rating [W]."""
    tilt_deg: float = 30.0
    azimuth_deg: float = 180.0
    """Degrees east of north; 180 faces south."""
    altitude_m: float = 0.0
    gamma_pdc_per_k: float = -0.004
    """Temperature coefficient of DC power [1/K]."""
    system_losses: float = 0.10
    """Wiring, soiling, mismatch: fraction lost after the inverter [unitless]."""

    def __post_init__(self) -> None:
        if self.dc_capacity_w <= 0 or self.ac_capacity_w <= 0:
            raise ForecastInputError("PV capacities must be positive")
        if not 0 <= self.system_losses < 1:
            raise ForecastInputError("system_losses must be in [0, 1)")


def interval_midpoints(start_s: float, step_s: float, steps: int) -> pd.DatetimeIndex:
    """UTC times at the middle of each interval."""
    seconds = start_s + step_s * (np.arange(steps) + 0.5)
    return pd.DatetimeIndex(pd.to_datetime(seconds, unit="s", utc=True))


def ghi_from_cloud_cover(clear_ghi_w_m2: _Array, cloud_cover_pct: _Array) -> _Array:
    """Global horizontal irradiance under cloud [W/m2] (Larson et al., linear model).

    Parameters
    ----------
    clear_ghi_w_m2 : ndarray of float
        Clear-sky GHI [W/m2].
    cloud_cover_pct : ndarray of float
        Total cloud cover [%].
    """
    cover = np.clip(np.asarray(cloud_cover_pct, dtype=float), 0.0, 100.0) / 100.0
    ghi: _Array = np.asarray(clear_ghi_w_m2, dtype=float) * (
        _CLOUD_OFFSET + (1.0 - _CLOUD_OFFSET) * (1.0 - cover)
    )
    return ghi


def pv_ac_w(
    spec: PvArraySpec,
    times: pd.DatetimeIndex,
    ghi_w_m2: _Array | None = None,
    cloud_cover_pct: _Array | None = None,
    temp_air_c: _Array | None = None,
    dni_w_m2: _Array | None = None,
    dhi_w_m2: _Array | None = None,
) -> _Array:
    """AC power of the array at ``times`` [W], before bias correction.

    Parameters
    ----------
    spec : PvArraySpec
    times : DatetimeIndex
        Timezone-aware instants.
    ghi_w_m2 : ndarray of float, optional
        Forecast or measured GHI [W/m2]; with ``dni_w_m2`` and ``dhi_w_m2`` used as given,
        alone split by Erbs.
    cloud_cover_pct : ndarray of float, optional
        Cloud cover [%], used when no GHI is given.
    temp_air_c : ndarray of float, optional
        Air temperature [degC]; 20 degC when not given.

    Returns
    -------
    ndarray of float
        Clear-sky power when neither GHI nor cloud cover is given.
    """
    location = pvlib.location.Location(
        spec.latitude_deg, spec.longitude_deg, tz="UTC", altitude=spec.altitude_m
    )
    solar_position = location.get_solarposition(times)
    zenith = solar_position["apparent_zenith"]
    if ghi_w_m2 is not None and dni_w_m2 is not None and dhi_w_m2 is not None:
        ghi = pd.Series(np.asarray(ghi_w_m2, float), index=times)
        dni = pd.Series(np.asarray(dni_w_m2, float), index=times)
        dhi = pd.Series(np.asarray(dhi_w_m2, float), index=times)
    else:
        clear = location.get_clearsky(times, solar_position=solar_position)
        if ghi_w_m2 is None and cloud_cover_pct is None:
            ghi, dni, dhi = clear["ghi"], clear["dni"], clear["dhi"]
        else:
            ghi_values = (
                np.asarray(ghi_w_m2, dtype=float)
                if ghi_w_m2 is not None
                else ghi_from_cloud_cover(clear["ghi"].to_numpy(), np.asarray(cloud_cover_pct))
            )
            ghi = pd.Series(np.clip(ghi_values, 0.0, None), index=times)
            split = pvlib.irradiance.erbs(ghi, solar_position["zenith"], times)
            dni, dhi = split["dni"].fillna(0.0), split["dhi"].fillna(0.0)
    poa = pvlib.irradiance.get_total_irradiance(
        spec.tilt_deg, spec.azimuth_deg, zenith, solar_position["azimuth"], dni, ghi, dhi
    )["poa_global"].fillna(0.0)
    air = pd.Series(20.0 if temp_air_c is None else np.asarray(temp_air_c, float), index=times)
    cell_c = pvlib.temperature.faiman(poa, air)
    dc_w = pvlib.pvsystem.pvwatts_dc(poa, cell_c, spec.dc_capacity_w, spec.gamma_pdc_per_k)
    ac_w = pvlib.inverter.pvwatts(dc_w, spec.ac_capacity_w)
    result = np.clip(np.asarray(ac_w, dtype=float) * (1.0 - spec.system_losses), 0.0, None)
    return np.nan_to_num(result)


def fit_bias_ratio(modelled_w: _Array, measured_w: _Array, min_w: float = 0.0) -> float:
    """Ratio of measured to modelled energy over intervals with meaningful output
    [unitless].

    Parameters
    ----------
    modelled_w, measured_w : ndarray of float
        Same intervals [W].
    min_w : float
        Intervals where the model gives less are ignored (night, dawn) [W].

    Returns
    -------
    float
        1.0 when there is nothing to fit on; otherwise clipped to [0.3, 1.5].
    """
    modelled = np.asarray(modelled_w, dtype=float)
    measured = np.asarray(measured_w, dtype=float)
    if modelled.shape != measured.shape:
        raise ForecastInputError("modelled and measured histories differ in length")
    day = modelled > min_w
    if not day.any() or modelled[day].sum() <= 0:
        return 1.0
    ratio = float(measured[day].sum() / modelled[day].sum())
    return float(np.clip(ratio, *_BIAS_BOUNDS))


class PvForecaster:
    """PV forecast for one array, bias-corrected against its own measured history.

    Parameters
    ----------
    spec : PvArraySpec
    """

    def __init__(self, spec: PvArraySpec) -> None:
        self.spec = spec
        self.bias_ratio = 1.0
        self.backtest_mae_w: float | None = None
        self.backtest_rmse_w: float | None = None

    def fit(
        self,
        history_start_s: float,
        step_s: float,
        measured_w: Sequence[float] | _Array,
        cloud_cover_pct: Sequence[float] | _Array | None = None,
        ghi_w_m2: Sequence[float] | _Array | None = None,
    ) -> float:
        """Fit the bias ratio and backtest it; returns the ratio.

        The model is run over the history with the weather that was forecast (or
        observed) for it. The ratio is fitted on the first two thirds and scored on the
        last third (out of sample), then refitted on all of it for use.

        Parameters
        ----------
        history_start_s : float
            Start of the first measured interval [s since epoch].
        step_s : float
            Interval length [s].
        measured_w : sequence of float
            Measured AC power per interval [W].
        cloud_cover_pct, ghi_w_m2 : sequence of float, optional
            Weather over the history, as for :meth:`forecast`.
        """
        measured = np.asarray(measured_w, dtype=float)
        times = interval_midpoints(history_start_s, step_s, measured.size)
        modelled = pv_ac_w(
            self.spec,
            times,
            ghi_w_m2=None if ghi_w_m2 is None else np.asarray(ghi_w_m2, float),
            cloud_cover_pct=None
            if cloud_cover_pct is None
            else np.asarray(cloud_cover_pct, float),
        )
        threshold = 0.05 * self.spec.ac_capacity_w
        split = (2 * measured.size) // 3
        if split > 0 and split < measured.size:
            ratio = fit_bias_ratio(modelled[:split], measured[:split], threshold)
            self.backtest_mae_w = mean_absolute_error(ratio * modelled[split:], measured[split:])
            self.backtest_rmse_w = root_mean_square_error(
                ratio * modelled[split:], measured[split:]
            )
        self.bias_ratio = fit_bias_ratio(modelled, measured, threshold)
        return self.bias_ratio

    def forecast(
        self,
        start_s: float,
        step_s: float,
        steps: int,
        cloud_cover_pct: Sequence[float] | _Array | None = None,
        ghi_w_m2: Sequence[float] | _Array | None = None,
        temp_air_c: Sequence[float] | _Array | None = None,
    ) -> Forecast:
        """AC power per interval [W].

        Parameters
        ----------
        start_s : float
            Start of the first interval [s since epoch].
        step_s : float
            Interval length [s].
        steps : int
            Number of intervals.
        cloud_cover_pct : sequence of float, optional
            Cloud cover forecast per interval [%].
        ghi_w_m2 : sequence of float, optional
            Irradiance forecast per interval [W/m2]; wins over cloud cover.
        temp_air_c : sequence of float, optional
            Air temperature forecast per interval [degC].
        """
        for name, values in (
            ("cloud_cover_pct", cloud_cover_pct),
            ("ghi_w_m2", ghi_w_m2),
            ("temp_air_c", temp_air_c),
        ):
            if values is not None and len(values) != steps:
                raise ForecastInputError(f"{name} must have {steps} values")
        times = interval_midpoints(start_s, step_s, steps)
        modelled = pv_ac_w(
            self.spec,
            times,
            ghi_w_m2=None if ghi_w_m2 is None else np.asarray(ghi_w_m2, float),
            cloud_cover_pct=None
            if cloud_cover_pct is None
            else np.asarray(cloud_cover_pct, float),
            temp_air_c=None if temp_air_c is None else np.asarray(temp_air_c, float),
        )
        if ghi_w_m2 is not None:
            method = "pvlib_irradiance"
        elif cloud_cover_pct is not None:
            method = "pvlib_cloud_cover"
        else:
            method = "pvlib_clear_sky"
        values = np.clip(modelled * self.bias_ratio, 0.0, self.spec.ac_capacity_w)
        return Forecast(
            start_s=start_s,
            step_s=step_s,
            values_w=tuple(float(v) for v in values),
            method=f"{method}+bias" if self.bias_ratio != 1.0 else method,
            backtest_mae_w=self.backtest_mae_w,
            backtest_rmse_w=self.backtest_rmse_w,
        )
