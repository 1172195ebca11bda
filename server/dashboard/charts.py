"""Inline SVG line charts, rendered on the server (pure; no browser library, no network).

`line_chart` returns SVG markup with every text escaped, so templates may mark it safe.
Times on the x axis are UTC.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from openderms.server.dashboard.times import civil

__all__ = ["PALETTE", "ChartSeries", "line_chart", "nice_ticks", "time_ticks"]

#: Line colours (colour-blind safe, Okabe-Ito).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 12, 24, 36


@dataclass(frozen=True, slots=True)
class ChartSeries:
    """One line: a label and (time [s], value or None for a gap) points in time order."""

    label: str
    points: Sequence[tuple[int, float | None]]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (steps of 1, 2 or 5 times a power of ten)."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0]
    if high <= low:
        high = low + 1.0
    raw = (high - low) / max(1, count - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = [round(first, 10)]
    # Up to the first tick at or above high: the frame holds every value (49 % -> 60).
    while ticks[-1] < high:
        ticks.append(round(first + len(ticks) * step, 10))
    return ticks


def _fmt(value: float, step: float) -> str:
    """A tick label with as many decimals as the tick step needs (1.5k, 240.5, 2k)."""
    if abs(value) >= 1000 and step >= 100:
        scaled, scaled_step = value / 1000, step / 1000
        decimals = 0 if scaled_step >= 1 else max(0, -math.floor(math.log10(scaled_step)))
        return f"{scaled:.{decimals}f}k"
    decimals = 0 if step >= 1 else max(0, -math.floor(math.log10(step)))
    return f"{value:.{decimals}f}"


#: Time tick steps [s]: minutes to weeks.
_TIME_STEPS = (60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800)


def time_ticks(since: int, until: int, count: int = 6) -> tuple[list[int], int]:
    """Round UTC times within [since, until] at most ``count`` of them, and their step [s]."""
    span = max(1, until - since)
    step = next((s for s in _TIME_STEPS if span / s <= count), _TIME_STEPS[-1])
    first = -(-since // step) * step
    return list(range(first, until + 1, step)), step


def _time_label(time_s: int, step_s: int) -> str:
    _, month, day, hour, minute, _ = civil(time_s)
    if step_s >= 86400 or (hour == 0 and minute == 0):
        return f"{month:02d}-{day:02d}"
    return f"{hour:02d}:{minute:02d}"


def line_chart(
    series: Sequence[ChartSeries],
    *,
    since: int,
    until: int,
    unit: str,
    title: str,
    width: int = 640,
    height: int = 220,
) -> str:
    """An SVG line chart of ``series`` over [since, until) [s].

    Parameters
    ----------
    series
        The lines; None values break a line.
    unit
        Shown on the y axis.
    title
        Shown above the plot and as the SVG's accessible name.
    """
    plot_w, plot_h = width - _LEFT - _RIGHT, height - _TOP - _BOTTOM
    values = [v for s in series for _, v in s.points if v is not None and math.isfinite(v)]
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f'<text class="chart-title" x="{_LEFT}" y="15">{escape(title)} [{escape(unit)}]</text>',
    ]
    if not values:
        parts.append(
            f'<text class="chart-empty" x="{width / 2:.0f}" y="{height / 2:.0f}" '
            'text-anchor="middle">no readings in this window</text></svg>'
        )
        return "".join(parts)
    low, high = min(values), max(values)
    if low > 0 and unit in ("W", "var", "%", "Wh"):
        low = 0.0  # power and energy charts read best from zero
    ticks = nice_ticks(low, high)
    y_low, y_high = ticks[0], ticks[-1] if ticks[-1] > ticks[0] else ticks[0] + 1
    span = max(1, until - since)

    def x(time_s: int) -> float:
        return _LEFT + (time_s - since) / span * plot_w

    def y(value: float) -> float:
        return _TOP + plot_h - (value - y_low) / (y_high - y_low) * plot_h

    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    for tick in ticks:
        parts.append(
            f'<line class="grid" x1="{_LEFT}" x2="{_LEFT + plot_w}" y1="{y(tick):.1f}" '
            f'y2="{y(tick):.1f}"/><text class="tick" x="{_LEFT - 6}" y="{y(tick) + 4:.1f}" '
            f'text-anchor="end">{escape(_fmt(tick, step))}</text>'
        )
    if y_low < 0 < y_high:
        parts.append(
            f'<line class="zero" x1="{_LEFT}" x2="{_LEFT + plot_w}" '
            f'y1="{y(0):.1f}" y2="{y(0):.1f}"/>'
        )
    times, time_step = time_ticks(since, until)
    for time_s in times:
        parts.append(
            f'<line class="grid" x1="{x(time_s):.1f}" x2="{x(time_s):.1f}" y1="{_TOP}" '
            f'y2="{_TOP + plot_h}"/><text class="tick" x="{x(time_s):.1f}" '
            f'y="{height - _BOTTOM + 16}" text-anchor="middle">'
            f"{escape(_time_label(time_s, time_step))}</text>"
        )
    for number, line in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        segments: list[list[str]] = [[]]
        for time_s, value in line.points:
            if value is None or not math.isfinite(value) or not since <= time_s < until:
                if segments[-1]:
                    segments.append([])
                continue
            segments[-1].append(f"{x(time_s):.1f},{y(value):.1f}")
        for segment in segments:
            if len(segment) == 1:
                cx, cy = segment[0].split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{colour}"/>')
            elif segment:
                parts.append(
                    f'<polyline fill="none" stroke="{colour}" stroke-width="1.8" '
                    f'points="{" ".join(segment)}"/>'
                )
        parts.append(
            f'<text class="legend" x="{_LEFT + 8 + 150 * number}" y="{_TOP + 12}" '
            f'fill="{colour}">{escape(line.label[:24])}</text>'
        )
    parts.append(
        f'<rect class="frame" x="{_LEFT}" y="{_TOP}" width="{plot_w}" height="{plot_h}" '
        'fill="none"/></svg>'
    )
    return "".join(parts)
