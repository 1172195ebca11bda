"""Clamp a planner's wishes into the envelope and the site limits. Pure.

The optimizer plans 15-minute averages from forecasts; the dispatcher acts on the meter
reading of now. So every wish is re-checked here against the limits in force and the
latest telemetry, and cut where it would leave them (the envelope is a hard limit, the plan
only a wish):

1. ``connect``/``energize`` false, or an envelope ``target_w``: the plan is ignored; the
   envelope-only policy (:mod:`.plan`) decides everything (``None`` is returned).
2. Battery: the plan's setpoint is bounded by the ratings, the generation and load limits,
   the export limit (discharge may not push export over it) and the import limit (charging
   may not pull import over it; import already over it makes the battery discharge).
   Without a meter reading, a limit at the connection point forbids that direction.
3. EV chargers: the DLM (:func:`openderms.client.dlm.allocate`) allocates currents from the
   meter reading, with the plan's currents as caps and the import limit (and the load
   limit left after the battery) as the site limit.
4. The battery is clamped once more with the chargers' new draw, which only tightens the
   bound the chargers did not already account for (see :func:`decide_targets`).
5. Heat pumps (SG-Ready): blocked (1) when import is over its limit; recommended on (3)
   when the plan wants them on and the import headroom covers the planned power; else
   normal (2), the heat pump's own thermostat.

Conventions are the envelope's: site power positive importing, battery power positive
discharging [W]; EV currents per phase [A].
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from openderms.client.devices.kinds import DeviceKind
from openderms.client.devices.telemetry import SiteTelemetry
from openderms.client.dispatch.plan import DeviceInfo
from openderms.client.dispatch.site_targets import SiteTargets, TargetDecision
from openderms.client.dlm import ChargerReading, DlmLimits, allocate
from openderms.client.envelope import EnvelopeLimits

__all__ = [
    "BatteryBounds",
    "battery_bounds_w",
    "clamp_battery_w",
    "decide_targets",
    "ev_currents_a",
    "heat_pump_mode",
]

NOMINAL_V = 230.0
SG_BLOCKED, SG_NORMAL, SG_RECOMMENDED = 1, 2, 3
_EV_STATUS_NO_CAR = 1
"""evcharger-generic status: 1 no car, 2 connected, 3 charging (IEC 61851-1 A, B, C)."""


@dataclass(frozen=True, slots=True)
class BatteryBounds:
    """The range of battery power the envelope and site allow now, positive discharging."""

    lowest_w: float
    """Lowest battery power allowed [W]: the most charging (negative), or the least
    discharging the import limit needs (positive)."""
    highest_w: float
    """Highest battery power allowed [W]: the most discharging, or (negative) the least
    charging the export limit needs."""
    lowest_reason: str
    highest_reason: str


def battery_bounds_w(
    limits: EnvelopeLimits,
    site_power_w: float | None,
    battery_power_w: float,
    max_charge_w: float | None = None,
    max_discharge_w: float | None = None,
    margin_w: float = 0.0,
) -> BatteryBounds:
    """Battery power range inside the envelope, given the meter reading of now.

    Parameters
    ----------
    limits : EnvelopeLimits
        The limits in force.
    site_power_w : float or None
        Measured site power, positive importing [W]; None without a site meter.
    battery_power_w : float
        Battery power at the same instant, positive discharging [W].
    max_charge_w, max_discharge_w : float or None
        Ratings of the batteries together [W]; None: not reported (not bounding).
    margin_w : float
        Kept inside the export and import limits [W].

    Returns
    -------
    BatteryBounds
        The device limits (ratings, generation and load limits) always hold. Inside them,
        ``lowest_w`` is positive when the site imports over its limit (the battery must
        discharge, whatever the plan wished: the house load cannot be curtailed) and
        ``highest_w`` negative when it exports over its limit (the battery soaks up the
        surplus before PV is curtailed).

    References
    ----------
    CSIP-AUS v1.2 opModExpLimW, opModImpLimW, opModGenLimW, opModLoadLimW.
    """
    # The battery's own limits: ratings and the DER limits (opModGenLimW, opModLoadLimW).
    device_high, device_high_reason = math.inf, "none"
    device_low, device_low_reason = -math.inf, "none"
    for value, reason in (
        (max_discharge_w, "rating"),
        (limits.generation_limit_w, "generation_limit_w"),
    ):
        if value is not None and value < device_high:
            device_high, device_high_reason = value, reason
    for value, reason in ((max_charge_w, "rating"), (limits.load_limit_w, "load_limit_w")):
        if value is not None and -value > device_low:
            device_low, device_low_reason = -value, reason
    # The connection point. The site without the battery is what the meter would show
    # with the battery idle: site = without - battery.
    without_battery_w = None if site_power_w is None else site_power_w + battery_power_w
    high, high_reason = device_high, device_high_reason
    if limits.export_limit_w is not None:
        if without_battery_w is None:
            site_high, why = 0.0, "export_limit_w (no meter reading)"
        else:  # without - battery >= -export_limit + margin
            site_high, why = without_battery_w + limits.export_limit_w - margin_w, "export_limit_w"
        if site_high < high:
            high, high_reason = max(site_high, device_low), why
    low, low_reason = device_low, device_low_reason
    if limits.import_limit_w is not None:
        if without_battery_w is None:
            site_low, why = 0.0, "import_limit_w (no meter reading)"
        else:  # without - battery <= import_limit - margin
            site_low, why = without_battery_w - limits.import_limit_w + margin_w, "import_limit_w"
        if site_low > low:
            low, low_reason = min(site_low, device_high), why
    if low > high:
        # Only when import and export limits leave less than the two margins between them.
        low = high = (low + high) / 2
    return BatteryBounds(
        lowest_w=low, highest_w=high, lowest_reason=low_reason, highest_reason=high_reason
    )


def clamp_battery_w(target_w: float, bounds: BatteryBounds) -> tuple[float, str | None]:
    """``target_w`` [W, + discharging] inside ``bounds``, with the limit that cut it."""
    if target_w > bounds.highest_w:
        return bounds.highest_w, bounds.highest_reason
    if target_w < bounds.lowest_w:
        return bounds.lowest_w, bounds.lowest_reason
    return target_w, None


def _phases(count: int) -> tuple[int, ...]:
    return (0, 1, 2)[: max(1, min(count, 3))]


def ev_currents_a(
    limits: EnvelopeLimits,
    telemetry: SiteTelemetry,
    chargers: Sequence[DeviceInfo],
    caps_a: Mapping[str, float],
    site_power_w: float | None,
    battery_charge_w: float = 0.0,
    phase_limit_a: float = 63.0,
    margin_w: float = 0.0,
    voltage_v: float = NOMINAL_V,
) -> dict[str, float]:
    """Per-phase currents for the chargers from the DLM, inside the import and load limits.

    Parameters
    ----------
    limits : EnvelopeLimits
    telemetry : SiteTelemetry
        Charger readings (power, maximum current, status).
    chargers : sequence of DeviceInfo
        Chargers that answered.
    caps_a : mapping
        The plan's current per charger [A]; chargers not named are capped by their maximum.
    site_power_w : float or None
        Site power expected before the chargers change, positive importing [W] (the meter
        reading, corrected for a battery setpoint about to be written); None: no reading.
    battery_charge_w : float
        Battery charging expected after dispatch [W], counted against ``load_limit_w``.
    phase_limit_a : float
        The connection's per-phase limit (fuse) [A].
    margin_w : float
        Kept inside the import limit [W].
    voltage_v : float
        Phase-to-neutral voltage [V].

    Returns
    -------
    dict
        Current per phase to offer each charger [A]; 0 pauses it.

    Notes
    -----
    The site meter gives total power only, so the load other than the chargers is assumed
    balanced over the three phases. Without a meter reading and with an import limit in
    force, every charger is paused: the limit cannot be checked.
    """
    if not chargers:
        return {}
    readings: list[ChargerReading] = []
    per_phase_a = [0.0, 0.0, 0.0]
    charger_w = 0.0
    for info in chargers:
        device = telemetry.devices.get(info.name)
        drawn_w = max(0.0, -(device.get("active_power_w") or 0.0)) if device else 0.0
        phases = _phases(info.phases)
        measured_a = drawn_w / (voltage_v * len(phases))
        max_a = (device.get("max_current_a") if device else None) or 16.0
        status = device.get("status") if device else None
        cap = caps_a.get(info.name)
        readings.append(
            ChargerReading(
                charger_id=info.name,
                phases=phases,
                min_current_a=min(6.0, max_a),
                max_current_a=max_a,
                measured_current_a=measured_a,
                wants_energy=status is None or status != _EV_STATUS_NO_CAR,
                target_current_a=None if cap is None else max(0.0, min(cap, max_a)),
                charging=drawn_w > 0.0,
            )
        )
        charger_w += drawn_w
        for phase in phases:
            per_phase_a[phase] += measured_a
    if site_power_w is None:
        if limits.import_limit_w is not None:
            return {r.charger_id: 0.0 for r in readings}
        site_power_w = charger_w  # no meter and no import limit: only the chargers are known
    base_w = site_power_w - charger_w
    meter_a = [base_w / (3 * voltage_v) + extra for extra in per_phase_a]
    import_w: float | None = None
    if limits.import_limit_w is not None:
        import_w = limits.import_limit_w - margin_w
    if limits.load_limit_w is not None:
        # opModLoadLimW bounds the controlled loads together: what the battery's charging
        # leaves of it is all the chargers may draw.
        room_w = base_w + max(0.0, limits.load_limit_w - battery_charge_w)
        import_w = room_w if import_w is None else min(import_w, room_w)
    allocation = allocate(
        readings,
        meter_a,
        DlmLimits(phase_limit_a=phase_limit_a, import_limit_w=import_w, voltage_v=voltage_v),
    )
    return {name: math.floor(a * 10) / 10 for name, a in allocation.current_a.items()}


def heat_pump_mode(
    planned_w: float, drawn_w: float, headroom_w: float | None, min_on_w: float = 1.0
) -> int:
    """SG-Ready state for a heat pump [1 blocked, 2 normal, 3 recommended on].

    Parameters
    ----------
    planned_w : float
        The plan's electric power for the heat pump [W].
    drawn_w : float
        What it draws now [W], positive.
    headroom_w : float or None
        Import limit minus expected site power after dispatch [W]; None: no import limit.
    min_on_w : float
        Planned power above which the plan counts as "on" [W].
    """
    if headroom_w is not None and headroom_w < 0:
        return SG_BLOCKED
    if planned_w >= min_on_w and (headroom_w is None or headroom_w >= planned_w - drawn_w):
        return SG_RECOMMENDED
    return SG_NORMAL


def _sum_known(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def decide_targets(
    limits: EnvelopeLimits,
    telemetry: SiteTelemetry,
    devices: Sequence[DeviceInfo],
    targets: SiteTargets,
    margin_w: float = 50.0,
    phase_limit_a: float = 63.0,
    voltage_v: float = NOMINAL_V,
) -> TargetDecision | None:
    """The plan's wishes, cut to what the envelope and the site allow now.

    Parameters
    ----------
    limits : EnvelopeLimits
        The limits in force.
    telemetry : SiteTelemetry
        The latest readings.
    devices : sequence of DeviceInfo
        Devices that answered.
    targets : SiteTargets
        The plan's wishes for this interval.
    margin_w : float
        Kept inside export and import limits [W].
    phase_limit_a : float
        The connection's per-phase limit [A], for the DLM.
    voltage_v : float
        Phase-to-neutral voltage [V].

    Returns
    -------
    TargetDecision or None
        None when the envelope alone decides: connect or energize false (2030.5
        opModConnect, opModEnergize), or an envelope target power (opModTargetW).
    """
    if limits.connect is False or limits.energize is False or limits.target_w is not None:
        return None
    clamped: list[str] = []
    site_w = telemetry.site_power_w

    def value(name: str, capability: str) -> float | None:
        device = telemetry.devices.get(name)
        return None if device is None else device.get(capability)

    batteries = [
        d
        for d in devices
        if d.kind == DeviceKind.BATTERY
        and {"charge_limit_w", "discharge_limit_w"} <= d.capabilities
    ]
    battery_now_w = sum(value(b.name, "active_power_w") or 0.0 for b in batteries)
    max_charge = _sum_known([value(b.name, "max_charge_w") for b in batteries])
    max_discharge = _sum_known([value(b.name, "max_discharge_w") for b in batteries])

    battery_w: float | None = None
    if targets.battery_power_w is not None and batteries:
        bounds = battery_bounds_w(
            limits, site_w, battery_now_w, max_charge, max_discharge, margin_w
        )
        battery_w, reason = clamp_battery_w(targets.battery_power_w, bounds)
        if reason is not None:
            clamped.append(
                f"battery_power_w {targets.battery_power_w:.0f} -> {battery_w:.0f} ({reason})"
            )

    def site_after_battery(new_w: float | None) -> float | None:
        if site_w is None or new_w is None:
            return site_w
        return site_w + battery_now_w - new_w

    chargers = [
        d
        for d in devices
        if d.kind == DeviceKind.EV_CHARGER and "current_limit_a" in d.capabilities
    ]
    ev_a = ev_currents_a(
        limits,
        telemetry,
        chargers,
        targets.ev_current_a,
        site_after_battery(battery_w),
        battery_charge_w=max(0.0, -(battery_w if battery_w is not None else battery_now_w)),
        phase_limit_a=phase_limit_a,
        margin_w=margin_w,
        voltage_v=voltage_v,
    )
    for name, amps in ev_a.items():
        wished = targets.ev_current_a.get(name)
        if wished is not None and amps + 0.1 < min(wished, value(name, "max_current_a") or wished):
            clamped.append(f"{name} current {wished:.1f} A -> {amps:.1f} A (dlm)")
    ev_now_w = sum(max(0.0, -(value(c.name, "active_power_w") or 0.0)) for c in chargers)
    ev_new_w = sum(
        ev_a[c.name] * voltage_v * len(_phases(c.phases))
        for c in chargers
        if ev_a[c.name] >= min(6.0, value(c.name, "max_current_a") or 6.0)
    )
    load_change_w = ev_new_w - ev_now_w

    if battery_w is not None and site_w is not None:
        # Second pass with the chargers' new draw: only the export bound can tighten here
        # (chargers drawing less), or the import bound (drawing more); either way the
        # battery moves towards less import than the DLM assumed, so the chargers stay safe.
        bounds = battery_bounds_w(
            limits, site_w + load_change_w, battery_now_w, max_charge, max_discharge, margin_w
        )
        second, reason = clamp_battery_w(battery_w, bounds)
        if reason is not None and second != battery_w:
            clamped.append(f"battery_power_w {battery_w:.0f} -> {second:.0f} ({reason})")
            battery_w = second

    modes: dict[str, int] = {}
    heat_pumps = [
        d for d in devices if d.kind == DeviceKind.HEAT_PUMP and "sg_ready_mode" in d.capabilities
    ]
    if heat_pumps:
        after_w = site_after_battery(battery_w)
        headroom: float | None = None
        if limits.import_limit_w is not None and after_w is not None:
            headroom = limits.import_limit_w - margin_w - (after_w + load_change_w)
        for info in heat_pumps:
            drawn_w = max(0.0, -(value(info.name, "active_power_w") or 0.0))
            planned = targets.heat_pump_w.get(info.name, 0.0)
            mode = heat_pump_mode(planned, drawn_w, headroom)
            if planned >= 1.0 and mode != SG_RECOMMENDED:
                clamped.append(f"{info.name} on -> SG-Ready {mode} (import_limit_w)")
            modes[info.name] = mode
    return TargetDecision(
        battery_power_w=battery_w,
        ev_current_a=ev_a,
        heat_pump_mode=modes,
        load_change_w=load_change_w,
        clamped=tuple(clamped),
    )
