"""Wire-value conversions: power multipliers, mRIDs, time, links, list paging."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.errors import InvalidValueError
from openderms.schemas.sep2.values import (
    ListQuery,
    active_power,
    from_time_type,
    link,
    list_link,
    mrid_from_hex,
    mrid_to_hex,
    mrid_with_pen,
    page_bounds,
    parse_list_query,
    scaled,
    time_type,
    to_quantity,
    to_watts,
)


def test_to_watts_applies_the_power_of_ten() -> None:
    power = sep.ActivePower(multiplier=sep.PowerOfTenMultiplierType(value=3), value=5)

    assert to_watts(power) == 5000.0


def test_to_watts_negative_multiplier() -> None:
    power = sep.ActivePower(multiplier=sep.PowerOfTenMultiplierType(value=-1), value=15)

    assert to_watts(power) == pytest.approx(1.5)


def test_active_power_keeps_watts_when_they_fit_int16() -> None:
    power = active_power(5000.0)

    assert (power.value, power.multiplier.value) == (5000, 0)


def test_active_power_scales_up_when_watts_overflow_int16() -> None:
    power = active_power(100_000.0)

    assert (power.value, power.multiplier.value) == (10_000, 1)


def test_active_power_negative_values() -> None:
    power = active_power(-40_000.0)

    assert (power.value, power.multiplier.value) == (-4000, 1)


def test_active_power_min_multiplier_keeps_fractions() -> None:
    power = active_power(1.5, min_multiplier=-1)

    assert (power.value, power.multiplier.value) == (15, -1)


def test_active_power_builds_csip_aus_subclass() -> None:
    limit = active_power(3000.0, sep.opModExpLimW)

    assert isinstance(limit, sep.opModExpLimW)


@pytest.mark.parametrize("watts", [math.inf, math.nan, 1e20])
def test_active_power_refuses_unrepresentable(watts: float) -> None:
    with pytest.raises(InvalidValueError):
        active_power(watts)


@given(st.floats(min_value=-3.2e13, max_value=3.2e13, allow_nan=False))
def test_active_power_round_trip_error_is_within_half_a_step(watts: float) -> None:
    power = active_power(watts)

    assert -32_768 <= power.value <= 32_767
    assert abs(to_watts(power) - watts) <= 0.5 * 10.0**power.multiplier.value * (1 + 1e-9)


def test_mrid_hex_round_trip_is_upper_case() -> None:
    mrid = mrid_from_hex("0123456789abcdef0123456789abcdef")

    assert mrid_to_hex(mrid) == "0123456789ABCDEF0123456789ABCDEF"


@pytest.mark.parametrize("text", ["xyz", "00" * 17])
def test_mrid_from_hex_refuses_bad_input(text: str) -> None:
    with pytest.raises(InvalidValueError):
        mrid_from_hex(text)


def test_mrid_with_pen_puts_the_pen_in_the_low_32_bits() -> None:
    """sep.xsd mRIDType: the IANA PEN is bits 0-31."""
    mrid = mrid_with_pen(1, 40732)

    assert mrid_to_hex(mrid) == "000000000000000000000001" + f"{40732:08X}"


def test_mrid_with_pen_refuses_oversized_parts() -> None:
    with pytest.raises(InvalidValueError):
        mrid_with_pen(2**96, 1)


def test_time_type_rounds_down_to_whole_seconds() -> None:
    assert time_type(1_700_000_000.9) == sep.TimeType(value=1_700_000_000)
    assert from_time_type(sep.TimeType(value=42)) == 42


def test_link_helpers_build_the_requested_link_type() -> None:
    assert link("/tm", sep.TimeLink) == sep.TimeLink(href="/tm")
    assert link("/x") == sep.Link(href="/x")
    assert list_link("/edev", 3) == sep.ListLink(href="/edev", all=3)


def test_list_query_defaults_limit_to_one() -> None:
    """IEEE 2030.5 list queries: an absent l means one item."""
    assert parse_list_query({}) == ListQuery(start=0, after=None, limit=1)


def test_list_query_reads_s_a_l_and_clamps_the_limit() -> None:
    query = parse_list_query({"s": "5", "a": "1700000000", "l": "1000"}, max_limit=100)

    assert query == ListQuery(start=5, after=1_700_000_000, limit=100)


@pytest.mark.parametrize("value", ["-1", "1.5", "abc", " 1", ""])
def test_list_query_refuses_non_counts(value: str) -> None:
    with pytest.raises(InvalidValueError):
        parse_list_query({"l": value})


def test_page_bounds_slice_the_list() -> None:
    assert page_bounds(10, ListQuery(start=8, limit=5)) == (8, 10)
    assert page_bounds(10, ListQuery(start=20, limit=5)) == (10, 10)
    assert page_bounds(0, ListQuery()) == (0, 0)


def test_scaled_uses_the_xsd_range_of_the_target_type() -> None:
    """VoltageRMS.value is a UInt16: 230 V fits unscaled, 66 kV needs 10^1."""
    low_voltage = scaled(230.0, sep.VoltageRMS)
    high_voltage = scaled(66_000.0, sep.VoltageRMS)

    assert (low_voltage.value, low_voltage.multiplier.value) == (230, 0)
    assert (high_voltage.value, high_voltage.multiplier.value) == (6600, 1)


def test_scaled_refuses_negative_for_an_unsigned_type() -> None:
    with pytest.raises(InvalidValueError, match="cannot be negative"):
        scaled(-1.0, sep.ApparentPower)


def test_to_quantity_reads_any_scaled_type() -> None:
    reactive = sep.ReactivePower(multiplier=sep.PowerOfTenMultiplierType(value=2), value=-15)

    assert to_quantity(reactive) == -1500.0
