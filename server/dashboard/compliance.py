"""Did a site stay inside a control's limits? (pure: readings in, verdict out).

Site power is + import, − export. An export limit ``E`` holds while power ≥ −E, an import
limit ``I`` while power ≤ I. Each reading holds until the next one, for at most
``max_hold_s`` (a silent gateway is "no data", never "inside"). The CSIP-AUS dynamic
operating envelope is a limit at the connection point, so the site meter is what counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Compliance", "site_compliance"]


@dataclass(frozen=True, slots=True)
class Compliance:
    """One site's record against one control's limits over the control's window."""

    covered_s: int  #: seconds of the window with a reading in force
    outside_s: int  #: seconds of those with the site outside a limit
    worst_excess_w: float  #: largest amount beyond a limit [W] (0 when always inside)
    excess_wh: float  #: energy beyond the limits [Wh]
    window_s: int  #: length of the window checked [s]

    @property
    def verdict(self) -> str:
        """``inside``, ``outside`` or ``no data``."""
        if self.covered_s == 0:
            return "no data"
        return "outside" if self.outside_s > 0 else "inside"


def _excess_w(power_w: float, export_limit_w: float | None, import_limit_w: float | None) -> float:
    excess = 0.0
    if export_limit_w is not None and power_w < -export_limit_w:
        excess = max(excess, -export_limit_w - power_w)
    if import_limit_w is not None and power_w > import_limit_w:
        excess = max(excess, power_w - import_limit_w)
    return excess


def site_compliance(
    points: Sequence[tuple[int, float]],
    *,
    since: int,
    until: int,
    export_limit_w: float | None,
    import_limit_w: float | None,
    max_hold_s: int,
) -> Compliance:
    """Check site power ``points`` [(time s, W)] in time order against the limits in
    [since, until) [s]."""
    covered = outside = 0
    worst = energy = 0.0
    for index, (time_s, power_w) in enumerate(points):
        end = time_s + max_hold_s
        if index + 1 < len(points):
            end = min(end, points[index + 1][0])
        start, end = max(time_s, since), min(end, until)
        if end <= start:
            continue
        covered += end - start
        excess = _excess_w(power_w, export_limit_w, import_limit_w)
        if excess > 0:
            outside += end - start
            worst = max(worst, excess)
            energy += excess * (end - start) / 3600.0
    return Compliance(covered, outside, worst, energy, max(0, until - since))
