"""PV forecasts from pvlib: clear sky, cloud and irradiance scaling, bias correction."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from openderms.client.forecast import ForecastInputError, PvArraySpec, PvForecaster
from openderms.client.forecast.pv import fit_bias_ratio, ghi_from_cloud_cover

# Greensboro, NC (the pvlib TMY3 sample site), a June day starting at local midnight.
SPEC = PvArraySpec(
    latitude_deg=36.1, longitude_deg=-79.95, dc_capacity_w=6000.0, ac_capacity_w=5000.0
)
DAY_START_S = datetime(2023, 6, 21, 5, 0, tzinfo=UTC).timestamp()
STEP_S = 3600.0
STEPS = 24


def test_clear_sky_is_zero_at_night_and_peaks_near_solar_noon() -> None:
    forecast = PvForecaster(SPEC).forecast(DAY_START_S, STEP_S, STEPS)

    values = forecast.as_array()
    assert values[:4].max() == 0.0 and values[-3:].max() == 0.0
    # Solar noon at 80 degW is about 17:20 UTC, the 12th hour after local midnight.
    assert int(np.argmax(values)) in (12, 13)
    assert 3500.0 < values.max() <= SPEC.ac_capacity_w
    assert forecast.method == "pvlib_clear_sky"


def test_full_cloud_cover_leaves_the_offset_share() -> None:
    clear = np.array([800.0, 0.0])

    assert ghi_from_cloud_cover(clear, np.array([100.0, 100.0])).tolist() == [280.0, 0.0]
    assert ghi_from_cloud_cover(clear, np.array([0.0, 50.0])).tolist() == [800.0, 0.0]


def test_cloud_forecast_lowers_the_pv_forecast() -> None:
    forecaster = PvForecaster(SPEC)

    clear = forecaster.forecast(DAY_START_S, STEP_S, STEPS).as_array()
    cloudy = forecaster.forecast(DAY_START_S, STEP_S, STEPS, cloud_cover_pct=[90.0] * STEPS)

    assert cloudy.method == "pvlib_cloud_cover"
    assert cloudy.as_array().sum() < 0.6 * clear.sum()


def test_irradiance_forecast_of_zero_gives_zero_power() -> None:
    forecast = PvForecaster(SPEC).forecast(DAY_START_S, STEP_S, STEPS, ghi_w_m2=[0.0] * STEPS)

    assert forecast.as_array().max() == 0.0


def test_bias_is_fitted_from_history_and_backtested() -> None:
    forecaster = PvForecaster(SPEC)
    days = 6
    modelled = np.concatenate(
        [
            forecaster.forecast(DAY_START_S + d * 86_400, STEP_S, STEPS).as_array()
            for d in range(days)
        ]
    )
    measured = 0.8 * modelled  # a shaded array

    ratio = forecaster.fit(DAY_START_S, STEP_S, measured)
    forecast = forecaster.forecast(DAY_START_S + days * 86_400, STEP_S, STEPS)

    assert ratio == pytest.approx(0.8, rel=1e-6)
    assert forecast.method == "pvlib_clear_sky+bias"
    assert forecast.backtest_mae_w == pytest.approx(0.0, abs=1e-6)
    unbiased = PvForecaster(SPEC).forecast(DAY_START_S + days * 86_400, STEP_S, STEPS)
    assert forecast.as_array() == pytest.approx(0.8 * unbiased.as_array())


def test_bias_ratio_ignores_broken_history() -> None:
    modelled = np.array([0.0, 1000.0, 2000.0])

    assert fit_bias_ratio(modelled, np.zeros(3)) == 0.3
    assert fit_bias_ratio(np.zeros(3), np.ones(3)) == 1.0


def test_weather_forecast_of_wrong_length_is_refused() -> None:
    with pytest.raises(ForecastInputError, match="cloud_cover_pct"):
        PvForecaster(SPEC).forecast(DAY_START_S, STEP_S, STEPS, cloud_cover_pct=[0.0])
