"""From envelope limits and a telemetry snapshot to device commands. Pure.

Policy, in order:

1. ``connect``/``energize`` false: every DER with ``connect`` is told to disconnect
   (123 Conn / 703 ES), batteries open their contactor when they offer it; true reconnects,
   and so does the end of the constraint for a device that reports itself disconnected.
2. PV: export, generation and max-generation limits become one PV limit
   (:func:`~.site_limits.pv_limit_w`), shared by rating, written as ``power_limit_pct``
   (704 WMaxLimPct or 123 WMaxLimPct), or as ``power_limit_w`` (704 WSet) for an inverter
   that only has that. No limit writes 100 % so an earlier curtailment lifts.
3. Battery: ``target_w`` forces a charge/discharge setpoint (124 InWRte/OutWRte); otherwise
   import and load limits bound charging and the generation limit bounds discharging.
4. EV chargers: the import limit's headroom becomes a current limit; below 6 A charging
   stops (IEC 61851-1 minimum).
5. Heat pumps (SG-Ready): blocked (1) when the import limit is exceeded, "recommended on"
   (3) while PV is being curtailed, normal (2) otherwise.

With a :class:`~.site_targets.TargetDecision` (a planner's wishes already clamped by
:func:`~.targets.decide_targets`), the batteries are pinned at its setpoint (reason
"plan"), the chargers get the DLM's currents (reason "dlm") and the heat pumps its SG-Ready
states; PV curtailment counts the battery setpoint and the chargers' change, so export
stays inside its limit.

Fields the site cannot honour (an export limit without a site meter, fixed_w_pct...) come
back as :class:`~.report.Unmet`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from openderms.client.devices.kinds import DeviceKind
from openderms.client.devices.telemetry import SiteTelemetry
from openderms.client.dispatch.report import Command, Unmet
from openderms.client.dispatch.site_limits import (
    battery_charge_w,
    charge_limit_w,
    pv_limit_w,
    split_by_rating,
    to_percent,
)
from openderms.client.dispatch.site_targets import TargetDecision
from openderms.client.envelope import EnvelopeLimits

__all__ = ["DeviceInfo", "DispatchPlan", "plan_commands"]

NOMINAL_V = 230.0
MIN_EV_CURRENT_A = 6.0
SOC_FULL_PCT = 99.5


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """What the planner needs to know of a device besides its telemetry."""

    name: str
    kind: DeviceKind
    capabilities: frozenset[str]
    phases: int = 3


@dataclass(frozen=True, slots=True)
class DispatchPlan:
    """The commands of one dispatch cycle and the envelope fields it cannot honour (not
    :class:`openderms.client.optimizer.plan.Plan`, the optimizer's schedule)."""

    commands: tuple[Command, ...]
    unmet: tuple[Unmet, ...]


def _value(telemetry: SiteTelemetry, device: str, capability: str) -> float | None:
    d = telemetry.devices.get(device)
    return None if d is None else d.get(capability)


def plan_commands(
    limits: EnvelopeLimits,
    telemetry: SiteTelemetry,
    devices: Sequence[DeviceInfo],
    margin_w: float = 50.0,
    horizon_s: float = 30.0,
    decision: TargetDecision | None = None,
) -> DispatchPlan:
    """Commands that keep the site inside ``limits`` given the latest ``telemetry``.

    Parameters
    ----------
    limits : EnvelopeLimits
        The limits in force now.
    telemetry : SiteTelemetry
        The latest readings.
    devices : sequence of DeviceInfo
        Devices that answered, with their capabilities.
    margin_w : float
        Kept below export and import limits for meter lag [W].
    horizon_s : float
        Time until the next dispatch [s]: a battery counts as a PV sink only for what it
        can absorb that long.
    decision : TargetDecision, optional
        A planner's setpoints, already inside the envelope (:func:`.targets.decide_targets`).
    """
    by_kind: dict[DeviceKind, list[DeviceInfo]] = {}
    for info in devices:
        by_kind.setdefault(info.kind, []).append(info)
    pvs, batteries = by_kind.get(DeviceKind.PV, []), by_kind.get(DeviceKind.BATTERY, [])
    site_w = telemetry.site_power_w
    plan_battery_w = (
        decision.battery_power_w
        if decision is not None and limits.target_w is None and connect_allowed(limits)
        else None
    )
    unmet = _meter_unmet(limits, site_w)
    # 1. connect / energize (2030.5 opModConnect, opModEnergize)
    connect, commands, connect_unmet = _connect_commands(limits, telemetry, devices)
    unmet += connect_unmet
    # 2. PV curtailment, counting what the batteries will absorb
    expected_charge = _expected_battery_charge_w(
        limits, telemetry, batteries, plan_battery_w, connect, horizon_s
    )
    pv_commands, pv_unmet, curtailing = _pv_commands(
        limits,
        telemetry,
        pvs,
        batteries,
        expected_charge,
        connect,
        margin_w,
        decision.load_change_w if decision is not None else 0.0,
    )
    commands += pv_commands
    unmet += pv_unmet
    # 3. batteries
    commands += _battery_commands(
        limits, telemetry, batteries, site_w, margin_w, connect, plan_battery_w
    )
    if limits.fixed_w_pct is not None:
        unmet.append(Unmet("fixed_w_pct", "fixed active power is not supported by the dispatcher"))
    # 4. EV chargers and 5. heat pumps share the import headroom.
    headroom = None
    if limits.import_limit_w is not None and site_w is not None:
        headroom = limits.import_limit_w - site_w - margin_w
    for info in by_kind.get(DeviceKind.EV_CHARGER, []):
        if decision is not None and info.name in decision.ev_current_a:
            commands += _dlm_commands(info, decision.ev_current_a[info.name])
        else:
            commands += _charger_commands(info, telemetry, headroom, limits.load_limit_w)
    for info in by_kind.get(DeviceKind.HEAT_PUMP, []):
        commands += _heat_pump_commands(info, headroom, curtailing, decision)
    return DispatchPlan(tuple(commands), tuple(unmet))


def _meter_unmet(limits: EnvelopeLimits, site_w: float | None) -> list[Unmet]:
    """Import and export limits are measured at the connection point: without a site meter
    reading they cannot be enforced (PV then holds the export limit on its own)."""
    if site_w is not None:
        return []
    unmet = []
    if limits.export_limit_w is not None:
        unmet.append(Unmet("export_limit_w", "no site meter reading: PV held at the limit itself"))
    if limits.import_limit_w is not None:
        unmet.append(Unmet("import_limit_w", "no site meter reading: cannot be enforced"))
    return unmet


def _connect_commands(
    limits: EnvelopeLimits, telemetry: SiteTelemetry, devices: Sequence[DeviceInfo]
) -> tuple[bool | None, list[Command], list[Unmet]]:
    """Step 1: (the connect state the envelope asks for or None, commands, unmet).

    With a connect/energize constraint every DER that can is told so, battery banks
    included. Without one (a disconnect control ended) 2030.5 returns the DER to normal,
    connected operation: only what reports itself disconnected is reconnected, so a healthy
    device is not rewritten every cycle.
    """
    commands: list[Command] = []
    if limits.connect is None and limits.energize is None:
        for info in devices:
            device = telemetry.devices.get(info.name)
            if device is None or device.values.get("connected") is not False:
                continue
            if "connect" in info.capabilities:
                commands.append(Command(info.name, "connect", True, "connect restored"))
            if "battery_connect" in info.capabilities:
                # The disconnect opened the bank's contactor: close it, or the battery sits
                # at 0 W after the control ends, its SoC frozen.
                commands.append(Command(info.name, "battery_connect", True, "connect restored"))
        return None, commands, []
    connect = limits.connect is not False and limits.energize is not False
    reason = "connect" if limits.connect is not None else "energize"
    targets = [d for d in devices if "connect" in d.capabilities]
    for info in targets:
        commands.append(Command(info.name, "connect", connect, reason))
    for info in devices:
        if info.kind == DeviceKind.BATTERY and "battery_connect" in info.capabilities:
            commands.append(Command(info.name, "battery_connect", connect, reason))
    unmet = [Unmet(reason, "no device can disconnect")] if not connect and not targets else []
    return connect, commands, unmet


def _expected_battery_charge_w(
    limits: EnvelopeLimits,
    telemetry: SiteTelemetry,
    batteries: Sequence[DeviceInfo],
    plan_battery_w: float | None,
    connect: bool | None,
    horizon_s: float,
) -> float:
    """What the batteries will charge until the next dispatch [W]: their target, the plan's
    setpoint, or the room they have (bounded by the load limit)."""
    if limits.target_w is not None:
        return -limits.target_w  # the batteries follow their target
    if plan_battery_w is not None and batteries:
        return -plan_battery_w  # pinned at the plan's (clamped) setpoint
    if connect is False:
        return 0.0
    expected = 0.0
    for info in batteries:
        expected += battery_charge_w(
            _value(telemetry, info.name, "soc_pct"),
            _value(telemetry, info.name, "max_charge_w") or 0.0,
            _value(telemetry, info.name, "capacity_wh"),
            horizon_s,
            SOC_FULL_PCT,
        )
    if limits.load_limit_w is not None:
        expected = min(expected, limits.load_limit_w)
    return expected


def _pv_commands(
    limits: EnvelopeLimits,
    telemetry: SiteTelemetry,
    pvs: Sequence[DeviceInfo],
    batteries: Sequence[DeviceInfo],
    expected_charge_w: float,
    connect: bool | None,
    margin_w: float,
    load_change_w: float,
) -> tuple[list[Command], list[Unmet], bool]:
    """Step 2: one PV limit from the export, generation and max-generation limits, shared
    by rating; returns (commands, unmet, whether PV is being curtailed)."""
    commands: list[Command] = []
    unmet: list[Unmet] = []
    if not pvs or connect is False:
        if limits.generation_limit_w is not None and not pvs and not batteries:
            unmet.append(Unmet("generation_limit_w", "no controllable generation"))
        return commands, unmet, False
    site_w = telemetry.site_power_w
    battery_power = sum(_value(telemetry, b.name, "active_power_w") or 0.0 for b in batteries)
    pv_w = sum(_value(telemetry, p.name, "active_power_w") or 0.0 for p in pvs)
    ratings = [_value(telemetry, p.name, "rated_power_w") or 0.0 for p in pvs]
    # Without a meter reading, assume no load and no battery: PV alone stays within the
    # export limit (safe, if wasteful, until the meter answers again).
    metered = site_w is not None
    limit = pv_limit_w(
        limits.export_limit_w,
        # Chargers about to draw more or less change the load PV may cover.
        site_w + load_change_w if site_w is not None else -pv_w,
        pv_w,
        battery_power_w=battery_power if metered else 0.0,
        battery_charge_w=expected_charge_w if metered else min(0.0, expected_charge_w),
        generation_limit_w=limits.generation_limit_w,
        pv_rated_w=sum(ratings) or None,
        max_generation_pct=limits.max_generation_pct,
        margin_w=margin_w,
    )
    reason = _pv_reason(limits)
    shares = split_by_rating(limit, ratings) if limit is not None else [None] * len(pvs)
    curtailing = False
    for info, rated, share in zip(pvs, ratings, shares, strict=True):
        why = reason if share is not None else "release"
        if "power_limit_pct" not in info.capabilities:
            if "power_limit_w" in info.capabilities and (share is not None or rated > 0):
                watts = math.floor(share) if share is not None else rated
                curtailing = curtailing or watts < rated
                commands.append(Command(info.name, "power_limit_w", watts, why))
            elif share is not None:
                unmet.append(Unmet(reason, f"{info.name} has no power limit control"))
            continue
        if share is not None and rated <= 0:
            unmet.append(Unmet(reason, f"{info.name} reports no rated power"))
            continue
        pct = 100.0 if share is None else math.floor(to_percent(share, rated) * 10) / 10
        curtailing = curtailing or pct < 100.0
        commands.append(Command(info.name, "power_limit_pct", pct, why))
    return commands, unmet, curtailing


def _heat_pump_commands(
    info: DeviceInfo, headroom_w: float | None, curtailing: bool, decision: TargetDecision | None
) -> list[Command]:
    """Step 5: SG-Ready blocked (1) over the import limit, "recommended on" (3) while PV is
    curtailed, normal (2) otherwise; a plan's state where it has one."""
    if "sg_ready_mode" not in info.capabilities:
        return []
    mode = 1 if headroom_w is not None and headroom_w < 0 else (3 if curtailing else 2)
    reason = "import_limit_w" if mode == 1 else "policy"
    if decision is not None and info.name in decision.heat_pump_mode:
        planned = decision.heat_pump_mode[info.name]
        # PV being curtailed is free energy: "normal" becomes "recommended on".
        mode = 3 if planned == 2 and curtailing else planned
        reason = "import_limit_w" if mode == 1 else "plan"
    return [Command(info.name, "sg_ready_mode", mode, reason)]


def _pv_reason(limits: EnvelopeLimits) -> str:
    for name in ("export_limit_w", "generation_limit_w", "max_generation_pct"):
        if getattr(limits, name) is not None:
            return name
    return "release"


def _battery_commands(
    limits: EnvelopeLimits,
    telemetry: SiteTelemetry,
    batteries: Sequence[DeviceInfo],
    site_w: float | None,
    margin_w: float,
    connect: bool | None,
    plan_battery_w: float | None = None,
) -> list[Command]:
    controllable = [
        b for b in batteries if {"charge_limit_w", "discharge_limit_w"} <= b.capabilities
    ]
    if connect is False or not controllable:
        return []
    max_charges = [_value(telemetry, b.name, "max_charge_w") for b in controllable]
    max_discharges = [_value(telemetry, b.name, "max_discharge_w") for b in controllable]
    pinned_w, pin_reason = limits.target_w, "target_w"
    if pinned_w is None and plan_battery_w is not None:
        pinned_w, pin_reason = plan_battery_w, "plan"
    if pinned_w is not None:
        # 124: charge limit -x with discharge limit x pins a battery at x discharging.
        shares = split_by_rating(pinned_w, [m or 0.0 for m in max_discharges])
        commands: list[Command] = []
        for info, share in zip(controllable, shares, strict=True):
            commands.append(Command(info.name, "charge_limit_w", -share, pin_reason))
            commands.append(Command(info.name, "discharge_limit_w", share, pin_reason))
        return commands
    # Site-wide bounds on charging (import, load limits) and discharging (generation limit).
    power_w = sum(_value(telemetry, b.name, "active_power_w") or 0.0 for b in controllable)
    total_charge_w = charge_limit_w(
        limits.import_limit_w if site_w is not None else None,
        site_w or 0.0,
        power_w,
        load_limit_w=limits.load_limit_w,
        margin_w=margin_w,
    )
    charge_reason = "import_limit_w" if limits.import_limit_w is not None else "load_limit_w"
    charge_shares = (
        split_by_rating(total_charge_w, [m or 0.0 for m in max_charges])
        if total_charge_w is not None
        else [None] * len(controllable)
    )
    discharge_shares = (
        split_by_rating(limits.generation_limit_w, [m or 0.0 for m in max_discharges])
        if limits.generation_limit_w is not None
        else [None] * len(controllable)
    )
    commands = []
    rows = zip(
        controllable, max_charges, max_discharges, charge_shares, discharge_shares, strict=True
    )
    for info, max_charge, max_discharge, charge, discharge in rows:
        # Without a limit, "release" writes the rating (100 %); a battery that does not
        # report its rating is left alone rather than guessed at.
        if charge is not None:
            value = charge if max_charge is None else min(charge, max_charge)
            commands.append(Command(info.name, "charge_limit_w", value, charge_reason))
        elif max_charge is not None:
            commands.append(Command(info.name, "charge_limit_w", max_charge, "release"))
        if discharge is not None:
            value = discharge if max_discharge is None else min(discharge, max_discharge)
            commands.append(Command(info.name, "discharge_limit_w", value, "generation_limit_w"))
        elif max_discharge is not None:
            commands.append(Command(info.name, "discharge_limit_w", max_discharge, "release"))
    return commands


def _charger_commands(
    info: DeviceInfo,
    telemetry: SiteTelemetry,
    headroom_w: float | None,
    load_limit_w: float | None,
) -> list[Command]:
    if "current_limit_a" not in info.capabilities:
        return []
    drawn = -(_value(telemetry, info.name, "active_power_w") or 0.0)  # a load: negative power
    max_a = _value(telemetry, info.name, "max_current_a") or 32.0
    allowed_w = None
    if headroom_w is not None:
        allowed_w = drawn + headroom_w
    if load_limit_w is not None:
        allowed_w = load_limit_w if allowed_w is None else min(allowed_w, load_limit_w)
    if allowed_w is None:
        release = [Command(info.name, "current_limit_a", max_a, "release")]
        if "charge_enable" in info.capabilities:
            release.append(Command(info.name, "charge_enable", True, "release"))
        return release
    amps = math.floor(max(0.0, allowed_w) / (NOMINAL_V * info.phases) * 10) / 10
    commands = [Command(info.name, "current_limit_a", min(max_a, amps), "import_limit_w")]
    if "charge_enable" in info.capabilities:
        commands.append(
            Command(info.name, "charge_enable", amps >= MIN_EV_CURRENT_A, "import_limit_w")
        )
    return commands


def _dlm_commands(info: DeviceInfo, current_a: float) -> list[Command]:
    amps = math.floor(max(0.0, current_a) * 10) / 10
    commands = [Command(info.name, "current_limit_a", amps, "dlm")]
    if "charge_enable" in info.capabilities:
        commands.append(Command(info.name, "charge_enable", amps >= MIN_EV_CURRENT_A, "dlm"))
    return commands


def connect_allowed(limits: EnvelopeLimits) -> bool:
    """False when the envelope tells the DER to disconnect or not energize."""
    return limits.connect is not False and limits.energize is not False
