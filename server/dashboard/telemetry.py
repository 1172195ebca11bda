"""Telemetry arithmetic of the dashboard: what a mirrored series measures, energy, sums (pure).

Gateways mirror their measurements (IEEE 2030.5-2018 §10.10): one MirrorUsagePoint for
the site (RoleFlags ``isPremisesAggregationPoint``) and one per DER (``isDER``), each with
one MirrorMeterReading per quantity. Site power is positive when importing (flowDirection
1, forward), DER power positive when generating (flowDirection 19, reverse), as the
gateway sends them (`openderms.client.sep2.readings` documents the same convention).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

__all__ = [
    "QUANTITY_UNITS",
    "EnergyTotals",
    "bucket_sums",
    "integrate_energy_wh",
    "is_site_mirror",
    "quantity_of",
]

#: Quantities the dashboard knows, with their display unit.
QUANTITY_UNITS: dict[str, str] = {
    "power_w": "W",
    "reactive_power_var": "var",
    "voltage_v": "V",
    "frequency_hz": "Hz",
    "energy_import_wh": "Wh",
    "energy_export_wh": "Wh",
    "soc_pct": "%",
}
# sep.xsd UomType values: 38 W, 63 var, 29 V, 33 Hz, 72 Wh.
_UOM_QUANTITY = {38: "power_w", 63: "reactive_power_var", 29: "voltage_v", 33: "frequency_hz"}
_UOM_WH = 72
_FORWARD = 1
_REVERSE = 19
_ROLE_PREMISES = 1 << 1
_K = TypeVar("_K", bound=Hashable)


def quantity_of(description: str, uom: int | None, flow_direction: int | None) -> str | None:
    """The quantity a MirrorMeterReading carries, or None when the dashboard cannot tell.

    The gateway names each reading after its quantity (``power_w``, ``soc_pct``); other
    clients are recognised by the ReadingType's unit (uom) and flow direction.
    """
    if description in QUANTITY_UNITS:
        return description
    if uom == _UOM_WH:
        if flow_direction == _FORWARD:
            return "energy_import_wh"
        if flow_direction == _REVERSE:
            return "energy_export_wh"
        return None
    return _UOM_QUANTITY.get(uom) if uom is not None else None


def is_site_mirror(description: str, role_flags: int) -> bool:
    """Whether a MirrorUsagePoint mirrors the site's connection point (not one DER)."""
    return bool(role_flags & _ROLE_PREMISES) or description == "site"


@dataclass(frozen=True, slots=True)
class EnergyTotals:
    """Energy through the connection point over a window [Wh]."""

    import_wh: float
    export_wh: float


def integrate_energy_wh(
    points: Sequence[tuple[int, float]], *, since: int, until: int, max_hold_s: int
) -> EnergyTotals:
    """Import and export energy from site power readings, held until the next reading.

    Parameters
    ----------
    points
        (time [s], site power [W], positive = import) in time order.
    since, until
        The window [s]; energy outside it is not counted.
    max_hold_s
        A reading counts for at most this long [s], so a silent gateway adds no energy.

    Returns
    -------
    EnergyTotals
        Import and export (both non-negative) [Wh].
    """
    import_wh = export_wh = 0.0
    for index, (time_s, power_w) in enumerate(points):
        end = time_s + max_hold_s
        if index + 1 < len(points):
            end = min(end, points[index + 1][0])
        start, end = max(time_s, since), min(end, until)
        if end <= start:
            continue
        energy_wh = power_w * (end - start) / 3600.0
        if energy_wh >= 0:
            import_wh += energy_wh
        else:
            export_wh -= energy_wh
    return EnergyTotals(import_wh, export_wh)


def bucket_sums(
    series: Mapping[_K, Sequence[tuple[int, float]]],
    *,
    since: int,
    until: int,
    buckets: int,
    max_hold_s: int,
) -> list[tuple[int, float | None]]:
    """Sum of several series per time bucket (e.g. the fleet's site power over time).

    Each series contributes the mean of its readings in a bucket, or else its last reading
    if that is at most ``max_hold_s`` old; a bucket where no series has a value is None.

    Returns
    -------
    list of (bucket start [s], sum or None)
    """
    width = max(1, -(-(until - since) // buckets))
    starts = list(range(since, until, width))
    totals: list[float | None] = [None] * len(starts)
    for points in series.values():
        sums = [0.0] * len(starts)
        counts = [0] * len(starts)
        newest: list[tuple[int, float] | None] = [None] * len(starts)
        last: tuple[int, float] | None = None
        for time_s, value in points:
            if since <= time_s < until:
                slot = (time_s - since) // width
                sums[slot] += value
                counts[slot] += 1
                held = newest[slot]
                if held is None or time_s >= held[0]:
                    newest[slot] = (time_s, value)
            elif time_s < since and (last is None or time_s >= last[0]):
                last = (time_s, value)
        for slot, start in enumerate(starts):
            mean: float | None = None
            if counts[slot]:
                mean = sums[slot] / counts[slot]
                last = newest[slot]
            elif last is not None and start - last[0] <= max_hold_s:
                mean = last[1]
            if mean is not None:
                totals[slot] = (totals[slot] or 0.0) + mean
    return list(zip(starts, totals, strict=True))
