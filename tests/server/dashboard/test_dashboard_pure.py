"""The dashboard's pure helpers: parameters, session cookies, telemetry arithmetic, charts."""

from __future__ import annotations

import itertools
import re

import pytest

from openderms.server.dashboard.charts import ChartSeries, line_chart, nice_ticks, time_ticks
from openderms.server.dashboard.errors import DashboardBadRequestError
from openderms.server.dashboard.params import MAX_WINDOW_S, int_param, parse_time, time_range
from openderms.server.dashboard.session import parse_cookie, sign_session
from openderms.server.dashboard.telemetry import (
    bucket_sums,
    integrate_energy_wh,
    is_site_mirror,
    quantity_of,
)
from openderms.server.dashboard.views import modes_summary

NOW = 1_800_000_000  # 2027-01-15T08:00:00Z
SECRET = b"k" * 32
TOKEN_HASH = "ab" * 32


# --- parameters -----------------------------------------------------------------------


def test_times_parse_as_epoch_seconds_or_iso_8601_in_utc() -> None:
    assert parse_time("since", "1800000000") == NOW
    assert parse_time("since", "2027-01-15T08:00:00Z") == NOW
    assert parse_time("since", "2027-01-15T08:00:00") == NOW  # no offset: UTC
    assert parse_time("since", "2027-01-15T10:00:00+02:00") == NOW


@pytest.mark.parametrize("text", ["", "tomorrow", "-5", "2027-13-01", "1" * 13])
def test_malformed_times_are_refused_naming_the_parameter(text: str) -> None:
    with pytest.raises(DashboardBadRequestError, match=r"^since"):
        parse_time("since", text)


def test_the_default_range_ends_after_now_on_a_whole_minute() -> None:
    rng = time_range({}, now=NOW + 30)
    assert rng.until == NOW + 60
    assert rng.span_s == 86400


def test_a_range_longer_than_the_maximum_is_refused() -> None:
    with pytest.raises(DashboardBadRequestError, match="longer than"):
        time_range({"since": "0", "until": str(MAX_WINDOW_S + 1)}, now=NOW)


def test_an_empty_or_reversed_range_is_refused() -> None:
    with pytest.raises(DashboardBadRequestError, match="before until"):
        time_range({"since": str(NOW), "until": str(NOW)}, now=NOW)


@pytest.mark.parametrize("text", ["0", "501", "1.5", "1e3", " 7 x"])
def test_integer_parameters_stay_in_their_bounds(text: str) -> None:
    with pytest.raises(DashboardBadRequestError, match=r"^limit"):
        int_param({"limit": text}, "limit", 100, 1, 500)


# --- session cookies ------------------------------------------------------------------


def test_a_signed_session_verifies_until_it_expires() -> None:
    claim = parse_cookie(sign_session(SECRET, token_id=7, token_sha256=TOKEN_HASH, now=NOW))
    assert claim is not None and claim.token_id == 7
    assert claim.verify(SECRET, TOKEN_HASH, now=NOW + 60)
    assert not claim.verify(SECRET, TOKEN_HASH, now=claim.expires)


def test_a_session_is_bound_to_its_secret_and_its_token() -> None:
    claim = parse_cookie(sign_session(SECRET, token_id=7, token_sha256=TOKEN_HASH, now=NOW))
    assert claim is not None
    assert not claim.verify(b"other secret", TOKEN_HASH, now=NOW)
    assert not claim.verify(SECRET, "cd" * 32, now=NOW)  # a re-issued token has a new hash


def test_a_tampered_cookie_does_not_verify() -> None:
    value = sign_session(SECRET, token_id=7, token_sha256=TOKEN_HASH, now=NOW)
    token_id, expires, mac = value.split(".")
    longer = parse_cookie(f"{token_id}.{int(expires) + 86400}.{mac}")
    other = parse_cookie(f"8.{expires}.{mac}")
    assert longer is not None and not longer.verify(SECRET, TOKEN_HASH, now=NOW)
    assert other is not None and not other.verify(SECRET, TOKEN_HASH, now=NOW)
    assert parse_cookie("7.123.not-a-mac") is None
    assert parse_cookie(None) is None


# --- telemetry ------------------------------------------------------------------------


def test_quantities_come_from_the_gateways_names_or_the_reading_type() -> None:
    assert quantity_of("soc_pct", 0, None) == "soc_pct"
    assert quantity_of("", 38, 1) == "power_w"
    assert quantity_of("", 29, None) == "voltage_v"
    assert quantity_of("", 72, 1) == "energy_import_wh"
    assert quantity_of("", 72, 19) == "energy_export_wh"
    assert quantity_of("", 72, None) is None
    assert quantity_of("mystery", None, None) is None


def test_the_site_mirror_is_the_premises_aggregation_point() -> None:
    assert is_site_mirror("anything", 0b11)  # isMirror | isPremisesAggregationPoint
    assert not is_site_mirror("der:pv", 0b1001001)  # isMirror | isDER | isSubmeter


def test_energy_holds_each_reading_until_the_next_and_splits_import_export() -> None:
    points = [(0, 3600.0), (600, -1800.0), (1200, 0.0)]
    totals = integrate_energy_wh(points, since=0, until=1800, max_hold_s=900)
    assert totals.import_wh == pytest.approx(600.0)  # 3.6 kW for 10 min
    assert totals.export_wh == pytest.approx(300.0)  # 1.8 kW for 10 min


def test_a_silent_gateway_adds_no_energy_after_the_hold_limit() -> None:
    totals = integrate_energy_wh([(0, 3600.0)], since=0, until=86400, max_hold_s=900)
    assert totals.import_wh == pytest.approx(900.0)


def test_energy_counts_only_inside_the_window() -> None:
    totals = integrate_energy_wh([(0, 3600.0)], since=300, until=600, max_hold_s=900)
    assert totals.import_wh == pytest.approx(300.0)


def test_bucket_sums_add_series_and_hold_a_recent_reading() -> None:
    series = {1: [(0, 100.0), (10, 300.0)], 2: [(-60, 50.0)], 3: [(-5000, 7.0)]}
    sums = bucket_sums(series, since=0, until=40, buckets=2, max_hold_s=900)
    # Bucket 0: mean(100, 300) + 50 held; series 3 is too old. Bucket 1: 300 held + 50.
    assert sums == [(0, 250.0), (20, 350.0)]


def test_an_empty_bucket_is_none_not_zero() -> None:
    assert bucket_sums({1: [(100, 5.0)]}, since=0, until=20, buckets=2, max_hold_s=5) == [
        (0, None),
        (10, None),
    ]


# --- charts ---------------------------------------------------------------------------


def test_nice_ticks_cover_the_range_with_round_steps() -> None:
    ticks = nice_ticks(-3000.0, 1234.0)
    assert ticks[0] <= -3000 and ticks[-1] >= 1234
    steps = {round(b - a, 6) for a, b in itertools.pairwise(ticks)}
    assert steps == {2000.0}  # 4234 W over four gaps: the next round step above 1058 W
    assert 0.0 in ticks


def test_time_ticks_fall_on_round_utc_times() -> None:
    ticks, step = time_ticks(NOW - 86400 + 60, NOW + 60)
    assert step == 21600
    assert all(t % step == 0 for t in ticks)


def test_chart_labels_are_escaped() -> None:
    svg = line_chart(
        [ChartSeries("<script>alert(1)</script>", [(NOW, 1.0), (NOW + 60, 2.0)])],
        since=NOW,
        until=NOW + 120,
        unit="W",
        title='a "title" & more',
    )
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert 'aria-label="a &quot;title&quot; &amp; more"' in svg


def test_a_gap_breaks_the_line() -> None:
    points: list[tuple[int, float | None]] = [(NOW, 1.0), (NOW + 60, 2.0), (NOW + 120, None)]
    points += [(NOW + 180, 3.0), (NOW + 240, 4.0)]
    svg = line_chart([ChartSeries("p", points)], since=NOW, until=NOW + 300, unit="W", title="t")
    assert len(re.findall("<polyline", svg)) == 2


def test_a_chart_without_readings_says_so() -> None:
    svg = line_chart([ChartSeries("p", [])], since=NOW, until=NOW + 60, unit="W", title="t")
    assert "no readings in this window" in svg


def test_a_controls_modes_read_as_words() -> None:
    assert modes_summary({"op_mod_exp_lim_w": 1500.0}) == "export ≤ 1.5 kW"
    assert modes_summary({"op_mod_imp_lim_w": 800.0, "op_mod_connect": False}) == (
        "import ≤ 800 W, disconnect"
    )
    assert modes_summary({"ramp_tms": 100}) == "ramp_tms"
    assert modes_summary({}) == "no modes"


def test_coded_der_values_read_as_words() -> None:
    from openderms.server.dashboard.resources import field_words

    assert field_words("modesEnabled", "0050008F") == (
        "charge, discharge, connect, energize, fixed W, max W limit, target W"
    )
    assert field_words("storConnectStatus", "07") == "connected, available, operating"
    assert field_words("genConnectStatus", "00") == "none"
    assert field_words("inverterStatus", 4) == "tracking MPPT"
    assert field_words("operationalModeStatus", 2) == "operational"
    assert field_words("doeModesEnabled", "0F") == (
        "export limit, import limit, generation limit, load limit"
    )
    assert field_words("type_value", 83) == "PV and storage"
    assert field_words("inverterStatus", 99) == "undefined value 99"
    assert field_words("modesEnabled", "80000000") == "undefined bits 0x80000000"
    assert field_words("setMaxW", 5000) is None  # not a coded field
