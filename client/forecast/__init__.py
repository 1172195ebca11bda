"""Forecasts for the optimizer: PV from pvlib, load from recorded history.

Every forecast reports its backtest error (:class:`Forecast`).
"""

from openderms.client.forecast.errors import ForecastError, ForecastInputError
from openderms.client.forecast.load import forecast_load
from openderms.client.forecast.pv import PvArraySpec, PvForecaster
from openderms.client.forecast.result import Forecast

__all__ = [
    "Forecast",
    "ForecastError",
    "ForecastInputError",
    "PvArraySpec",
    "PvForecaster",
    "forecast_load",
]
