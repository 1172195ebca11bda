"""Plotly figures of the dashboard: windows fit the data, axes hold every value, limits drawn."""

from __future__ import annotations

from openderms.server.dashboard.charts import nice_ticks
from openderms.server.dashboard.plots import device_figures, fit_window, limit_traces

NOW = 1_800_000_000  # 2027-01-15T08:00:00Z


def _control(name: str, start: int, end: int, **modes: float) -> dict[str, object]:
    return {
        "status": {"name": name},
        "start": start,
        "end": end,
        "modes": modes,
        "description": "cap",
        "mrid": "AB" * 16,
    }


def test_a_fresh_site_gets_a_window_of_its_data_not_a_sliver() -> None:
    since, until = NOW - 86400, NOW
    assert fit_window([[(NOW - 1200, 1.0), (NOW, 2.0)]], since, until) == (NOW - 1200, NOW)
    assert fit_window([[(NOW - 60, 1.0)]], since, until) == (NOW - 600, NOW)  # at least 10 min
    assert fit_window([[(since - 5, 1.0)]], since, until) == (since, until)
    assert fit_window([], since, until) == (since, until)


def test_state_of_charge_axis_is_0_to_100_and_svg_ticks_hold_the_maximum() -> None:
    data = {
        "since": NOW - 86400,
        "until": NOW,
        "controls": [],
        "telemetry": [
            {
                "quantity": "soc_pct",
                "site": False,
                "mirror": "battery",
                "points": [(NOW - 60, 49.0)],
            }
        ],
    }
    (figure,) = device_figures(data)
    assert figure["layout"]["yaxis"]["range"] == [0, 100]
    assert figure["layout"]["xaxis"]["type"] == "date"
    assert nice_ticks(0.0, 49.0)[-1] >= 49.0  # the SVG fallback drew 49 % above a 40 top


def test_limits_are_drawn_where_their_controls_ran() -> None:
    window = (NOW - 3600, NOW)
    traces = limit_traces(
        [
            _control("active", NOW - 600, NOW + 600, op_mod_exp_lim_w=1500, op_mod_imp_lim_w=8000),
            _control("cancelled", NOW - 900, NOW, op_mod_exp_lim_w=0),
            _control("completed", NOW - 7200, NOW - 3000, op_mod_exp_lim_w=2500),
        ],
        window,
    )
    drawn = sorted((t["name"].split(" cap")[0], tuple(t["y"]), tuple(t["x"])) for t in traces)
    assert drawn == [
        ("export limit", (-2500.0, -2500.0), ("2027-01-15T07:00:00Z", "2027-01-15T07:10:00Z")),
        ("export limit", (-1500.0, -1500.0), ("2027-01-15T07:50:00Z", "2027-01-15T08:00:00Z")),
        ("import limit", (8000.0, 8000.0), ("2027-01-15T07:50:00Z", "2027-01-15T08:00:00Z")),
    ]


def test_a_single_reading_is_drawn_as_a_marker() -> None:
    data = {
        "since": NOW - 86400,
        "until": NOW,
        "controls": [],
        "telemetry": [
            {"quantity": "power_w", "site": True, "mirror": "site", "points": [(NOW - 30, -900.0)]}
        ],
    }
    (figure,) = device_figures(data)
    assert figure["data"][0]["mode"] == "lines+markers"
    assert figure["data"][0]["y"] == [-900.0]
