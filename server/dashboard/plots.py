"""Plotly figures of the dashboard's views (pure: JSON-able dicts for ``Plotly.react``).

The browser draws them with the ``plotly.min.js`` of the installed plotly package (served
by the dashboard, no CDN). Each figure has a real UTC time axis whose window fits the data
(from the first reading, not from an empty start of the asked-for range, up to the end of
the range), a value axis that holds every point (state of charge always 0-100 %), and on
power charts the limits of the controls in the window drawn over the line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openderms.server.dashboard.charts import PALETTE
from openderms.server.dashboard.views import iso

__all__ = ["device_figures", "fit_window", "limit_traces", "time_figure"]

#: Statuses whose limits were or are in force (a cancelled or superseded one never ran
#: through to its end, but it did until it was replaced; drawn all the same when active).
_DRAWN = frozenset({"active", "scheduled", "completed"})
#: Site power is + import, − export: an export limit is a floor at −limit.
_MARKERS_UP_TO = 60
_LIMIT_SIGNS = (
    ("op_mod_exp_lim_w", -1.0, "export limit"),
    ("op_mod_imp_lim_w", 1.0, "import limit"),
)
_DER_LIMITS = (
    ("op_mod_gen_lim_w", 1.0, "generation limit"),
    ("op_mod_load_lim_w", -1.0, "load limit"),
)


def fit_window(
    points: Sequence[Sequence[tuple[int, float | None]]], since: int, until: int
) -> tuple[int, int]:
    """The time window to draw: from the first point (or ``since``) to ``until`` [s].

    A fresh site with ten minutes of data in a 24 h window gets a ten-minute axis, not a
    sliver at the right edge; at least 10 minutes are shown.
    """
    firsts = [line[0][0] for line in points if line]
    start = max(since, min(firsts)) if firsts else since
    return min(start, until - 600), until


def _layout(
    title: str, unit: str, window: tuple[int, int], y_range: list[float] | None
) -> dict[str, Any]:
    yaxis: dict[str, Any] = {"title": {"text": unit}, "zeroline": True, "automargin": True}
    if y_range is not None:
        yaxis["range"] = y_range
    return {
        "title": {"text": title, "font": {"size": 14}, "x": 0.01},
        "xaxis": {
            "type": "date",
            "range": [iso(window[0]), iso(window[1])],
        },
        "yaxis": yaxis,
        "margin": {"l": 60, "r": 16, "t": 36, "b": 44},
        "height": 280,
        "legend": {"orientation": "h", "y": -0.22},
        "hovermode": "x unified",
    }


def _line(label: str, points: Sequence[tuple[int, float | None]], colour: str) -> dict[str, Any]:
    return {
        "type": "scatter",
        # Markers while a line has few points: one reading alone is still seen.
        "mode": "lines" if len(points) > _MARKERS_UP_TO else "lines+markers",
        "marker": {"size": 4},
        "name": label,
        "x": [iso(t) for t, _ in points],
        "y": [v for _, v in points],
        "line": {"color": colour, "width": 1.8},
        "connectgaps": False,
    }


def limit_traces(
    controls: Sequence[dict[str, Any]],
    window: tuple[int, int],
    signs: Sequence[tuple[str, float, str]] = _LIMIT_SIGNS,
) -> list[dict[str, Any]]:
    """Each control's limits as a dashed step over the part of the window it covers."""
    out = []
    for control in controls:
        if control["status"]["name"] not in _DRAWN:
            continue
        start, end = max(control["start"], window[0]), min(control["end"], window[1])
        if start >= end:
            continue
        for mode, sign, word in signs:
            value = control["modes"].get(mode)
            if value is None:
                continue
            label = f"{word} {control['description'] or control['mrid'][:8]}"
            out.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": label,
                    "x": [iso(start), iso(end)],
                    "y": [sign * value, sign * value],
                    "line": {"color": "#B00020", "width": 1.5, "dash": "dash", "shape": "hv"},
                    "hovertemplate": f"{word}: %{{y}} W<extra></extra>",
                }
            )
    return out


def time_figure(
    title: str,
    unit: str,
    lines: Sequence[tuple[str, Sequence[tuple[int, float | None]]]],
    *,
    since: int,
    until: int,
    extra: Sequence[dict[str, Any]] = (),
    y_range: list[float] | None = None,
) -> dict[str, Any]:
    """A time-series figure of ``lines`` [(label, [(time s, value)])] fitted to its data."""
    window = fit_window([p for _, p in lines], since, until)
    traces = [_line(label, pts, PALETTE[i % len(PALETTE)]) for i, (label, pts) in enumerate(lines)]
    return {"data": [*traces, *extra], "layout": _layout(title, unit, window, y_range)}


def device_figures(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Site power (with control limits), DER power, state of charge and voltage."""
    figures = []
    series = data["telemetry"]

    def lines(
        quantity: str, site: bool | None
    ) -> list[tuple[str, list[tuple[int, float | None]]]]:
        return [
            ("site" if s["site"] else s["mirror"], [(t, v) for t, v in s["points"]])
            for s in series
            if s["quantity"] == quantity and (site is None or s["site"] is site)
        ]

    since, until = data["since"], data["until"]
    site = lines("power_w", True)
    if site:
        window = fit_window([p for _, p in site], since, until)
        figures.append(
            time_figure(
                "Site power (+ import, − export)",
                "W",
                site,
                since=since,
                until=until,
                extra=limit_traces(data["controls"], window),
            )
        )
    der = lines("power_w", False)
    if der:
        window = fit_window([p for _, p in der], since, until)
        figures.append(
            time_figure(
                "DER power (+ generation/discharge)",
                "W",
                der,
                since=since,
                until=until,
                extra=limit_traces(data["controls"], window, _DER_LIMITS),
            )
        )
    soc = lines("soc_pct", None)
    if soc:
        figures.append(
            time_figure("State of charge", "%", soc, since=since, until=until, y_range=[0, 100])
        )
    voltage = lines("voltage_v", None)
    if voltage:
        figures.append(time_figure("Voltage", "V", voltage, since=since, until=until))
    return figures
