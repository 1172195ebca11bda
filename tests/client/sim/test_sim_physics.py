"""Pure physics of the simulated site."""

from __future__ import annotations

import pytest

from openderms.client.sim.physics import house_load_w, local_hour, solar_available_w

HOUR = 3600.0


def test_no_sun_at_night() -> None:
    assert solar_available_w(2 * HOUR, 5000.0) == 0.0
    assert solar_available_w(20 * HOUR, 5000.0) == 0.0


def test_peak_at_solar_noon_and_symmetric() -> None:
    assert solar_available_w(12 * HOUR, 5000.0) == pytest.approx(5000.0)
    assert solar_available_w(9 * HOUR, 5000.0) == pytest.approx(
        solar_available_w(15 * HOUR, 5000.0)
    )
    assert 0 < solar_available_w(9 * HOUR, 5000.0) < 5000.0


def test_utc_offset_moves_the_local_day() -> None:
    # 02:00 UTC is noon at UTC+10.
    assert local_hour(2 * HOUR, 10.0) == pytest.approx(12.0)
    assert solar_available_w(2 * HOUR, 5000.0, utc_offset_h=10.0) == pytest.approx(5000.0)


def test_house_load_peaks_in_the_evening() -> None:
    assert house_load_w(3 * HOUR, 300.0, 1000.0) == pytest.approx(300.0, abs=1.0)
    assert house_load_w(19 * HOUR, 300.0, 1000.0) == pytest.approx(1300.0)
