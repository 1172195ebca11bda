"""Errors raised by the forecasts."""

from __future__ import annotations

__all__ = ["ForecastError", "ForecastInputError"]


class ForecastError(Exception):
    """Base class of every error the forecasts raise."""


class ForecastInputError(ForecastError, ValueError):
    """History or weather inputs the forecast cannot use (too short, wrong length, ...)."""
