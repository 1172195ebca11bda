"""Site-limit arithmetic, by value (sign convention: site power + import)."""

from __future__ import annotations

import pytest

from openderms.client.dispatch.site_limits import (
    battery_charge_w,
    charge_limit_w,
    pv_limit_w,
    split_by_rating,
    to_percent,
)


def test_export_limit_curtails_pv_when_the_battery_is_full() -> None:
    # House 400 W, PV 9500 W, site exports 9100 W; limit 5 kW -> PV may cover 400 + 5000.
    assert pv_limit_w(5000.0, site_power_w=-9100.0, pv_power_w=9500.0) == pytest.approx(5400.0)


def test_battery_charging_raises_the_pv_limit() -> None:
    # The battery already charges 3 kW and can keep it up: PV covers house, export, battery.
    limit = pv_limit_w(5000.0, -6100.0, 9500.0, battery_power_w=-3000.0, battery_charge_w=3000.0)
    assert limit == pytest.approx(8400.0)


def test_battery_about_to_fill_lowers_the_pv_limit() -> None:
    """Counting on a battery that fills before the next dispatch would overshoot export."""
    limit = pv_limit_w(5000.0, -6100.0, 9500.0, battery_power_w=-3000.0, battery_charge_w=500.0)
    assert limit == pytest.approx(5900.0)


def test_discharge_target_counts_against_export() -> None:
    # A 2 kW discharge target adds to export: PV gets 2 kW less.
    limit = pv_limit_w(5000.0, -9100.0, 9500.0, battery_charge_w=-2000.0)
    assert limit == pytest.approx(3400.0)


def test_battery_charge_over_the_horizon() -> None:
    # 1 % of 10 kWh is 100 Wh: 30 s of 12 kW, so a 5 kW rating holds.
    assert battery_charge_w(99.0, 5000.0, 10000.0, horizon_s=30.0) == 5000.0
    # ... but not for 5 minutes: 100 Wh over 300 s is 1.2 kW.
    assert battery_charge_w(99.0, 5000.0, 10000.0, horizon_s=300.0) == pytest.approx(1200.0)
    assert battery_charge_w(100.0, 5000.0, 10000.0, horizon_s=30.0) == 0.0
    assert battery_charge_w(None, 5000.0, 10000.0, horizon_s=30.0) == 0.0
    assert battery_charge_w(50.0, 5000.0, None, horizon_s=30.0) == 5000.0


def test_pv_limit_is_stable_once_curtailed() -> None:
    """After curtailment the meter shows the limit held; the answer must not drift."""
    assert pv_limit_w(5000.0, site_power_w=-5000.0, pv_power_w=5400.0) == pytest.approx(5400.0)


def test_zero_export_covers_only_the_house() -> None:
    assert pv_limit_w(0.0, site_power_w=-2000.0, pv_power_w=2500.0) == pytest.approx(500.0)


def test_pv_limit_never_goes_negative() -> None:
    # Importing 1 kW with a big battery discharge while exporting is forbidden: PV off at worst.
    assert pv_limit_w(0.0, site_power_w=-3000.0, pv_power_w=0.0) == 0.0


def test_generation_limit_counts_battery_discharge() -> None:
    assert (
        pv_limit_w(None, 0.0, 4000.0, battery_power_w=2000.0, generation_limit_w=5000.0) == 3000.0
    )


def test_max_generation_pct_uses_the_rating_and_clips_to_it() -> None:
    assert pv_limit_w(None, 0.0, 0.0, pv_rated_w=8000.0, max_generation_pct=25.0) == 2000.0
    assert pv_limit_w(50000.0, 0.0, 0.0, pv_rated_w=8000.0) == 8000.0


def test_margin_keeps_below_the_limit() -> None:
    assert pv_limit_w(5000.0, -9100.0, 9500.0, margin_w=50.0) == pytest.approx(5350.0)


def test_no_limit_means_no_pv_limit() -> None:
    assert pv_limit_w(None, -9100.0, 9500.0) is None


def test_import_limit_bounds_charging() -> None:
    # Site imports 3 kW of which the battery charges 2 kW; limit 4 kW -> charge up to 3 kW.
    assert charge_limit_w(4000.0, site_power_w=3000.0, battery_power_w=-2000.0) == pytest.approx(
        3000.0
    )


def test_charge_limit_takes_the_tighter_of_import_and_load_limits() -> None:
    assert charge_limit_w(4000.0, 3000.0, -2000.0, load_limit_w=1000.0) == 1000.0
    assert charge_limit_w(None, 3000.0, -2000.0, max_charge_w=5000.0) is None
    assert charge_limit_w(0.0, 3000.0, 0.0) == 0.0


def test_split_by_rating_and_percent() -> None:
    assert split_by_rating(6000.0, [10000.0, 5000.0]) == [4000.0, 2000.0]
    assert to_percent(2500.0, 10000.0) == 25.0
    assert to_percent(20000.0, 10000.0) == 100.0
