"""Small sites for optimizer tests: few intervals, so every solve takes milliseconds."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from openderms.client.optimizer import PlanInputs

STEP_S = 900.0


def flat_inputs(steps: int, **overrides: object) -> PlanInputs:
    """Inputs with flat load and prices; override any field."""
    fields: dict[str, object] = {
        "load_forecast_w": np.full(steps, 500.0),
        "import_price_per_kwh": np.full(steps, 0.30),
        "export_price_per_kwh": np.full(steps, 0.05),
    }
    fields.update(overrides)
    return PlanInputs(**fields)  # type: ignore[arg-type]  # test helper, fields checked by PlanInputs


@pytest.fixture
def make_inputs() -> Callable[..., PlanInputs]:
    return flat_inputs


@pytest.fixture
def solar_w() -> Callable[[int, float], np.ndarray]:
    def shape(steps: int, peak_w: float) -> np.ndarray:
        """A half-sine PV day squeezed into the horizon."""
        return peak_w * np.sin(np.linspace(0.0, np.pi, steps))

    return shape
