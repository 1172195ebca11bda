"""From a live site to planner inputs, and from a plan to dispatcher targets. Pure.

What the runtime's optimizer loop (:mod:`openderms.client.runtime.optimizer_loop`) needs
besides the solver: the planner's model of the site from telemetry
(:func:`planner_config`), a load history that feeds the load forecast
(:class:`LoadHistory`), EV sessions from the chargers' plug state (:class:`EvSessions`),
and the interval of the plan in force as :class:`~openderms.client.dispatch.SiteTargets`
(:func:`targets_from_plan`). Time is passed in.

The inflexible load is what the meter shows with every device taken out:
``site_w + sum(DER active_power_w)`` (DER power is positive generating, so a charger's or
heat pump's negative power adds back as load).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from openderms.client.devices.kinds import DeviceKind
from openderms.client.devices.telemetry import SiteTelemetry
from openderms.client.dispatch.site_targets import SiteTargets
from openderms.client.forecast import ForecastError, forecast_load
from openderms.client.optimizer.battery import BatterySpec, BatteryState
from openderms.client.optimizer.envelope_constraints import SiteSpec
from openderms.client.optimizer.ev import EvChargerSpec, EvSession
from openderms.client.optimizer.mpc import ev_targets_a
from openderms.client.optimizer.plan import Plan
from openderms.client.optimizer.pv import PvSpec

__all__ = [
    "EvSessions",
    "LoadHistory",
    "SiteModel",
    "battery_states",
    "inflexible_load_w",
    "planner_site",
    "targets_from_plan",
]

_Array = npt.NDArray[np.float64]
_EV_NO_CAR = 1
"""evcharger-generic status 1: no car (IEC 61851-1 state A)."""


def inflexible_load_w(telemetry: SiteTelemetry) -> float | None:
    """The site's load without any controlled device [W]; None without a meter reading."""
    site_w = telemetry.site_power_w
    if site_w is None:
        return None
    return site_w + sum(p or 0.0 for p in telemetry.der_power_w().values())


@dataclass(frozen=True, slots=True)
class SiteModel:
    """The planner's view of the site's devices (what :class:`PlannerConfig` is built from)."""

    pv: tuple[PvSpec, ...] = ()
    batteries: tuple[BatterySpec, ...] = ()
    chargers: tuple[EvChargerSpec, ...] = ()
    site: SiteSpec = field(default_factory=SiteSpec)


def planner_site(
    telemetry: SiteTelemetry,
    capabilities: Mapping[str, frozenset[str]],
    phases: Mapping[str, int],
    phase_limit_a: float = 63.0,
    voltage_v: float = 230.0,
) -> SiteModel:
    """The devices the planner can plan, from their telemetry.

    A battery is planned only if it reports capacity and ratings and has charge and
    discharge controls; a charger only if it has a current limit; PV only with a rating.
    Heat pumps are not planned (no indoor temperature is measured): the dispatcher's
    SG-Ready policy drives them.

    Parameters
    ----------
    telemetry : SiteTelemetry
    capabilities : mapping
        Capabilities per device name.
    phases : mapping
        AC phases per device name.
    phase_limit_a : float
        The connection's per-phase limit [A]; import and export limits of the site.
    voltage_v : float
        Phase-to-neutral voltage [V].
    """
    pv: list[PvSpec] = []
    batteries: list[BatterySpec] = []
    chargers: list[EvChargerSpec] = []
    for name, device in sorted(telemetry.devices.items()):
        if device.error is not None:
            continue
        caps = capabilities.get(name, frozenset())
        if device.kind == DeviceKind.PV:
            rated = device.get("rated_power_w")
            if rated:
                pv.append(PvSpec(name, rated))
        elif device.kind == DeviceKind.BATTERY:
            capacity = device.get("capacity_wh")
            charge = device.get("max_charge_w")
            discharge = device.get("max_discharge_w")
            if (
                capacity
                and charge is not None
                and discharge is not None
                and {"charge_limit_w", "discharge_limit_w"} <= caps
            ):
                batteries.append(BatterySpec(name, capacity, charge, discharge))
        elif device.kind == DeviceKind.EV_CHARGER and "current_limit_a" in caps:
            max_a = device.get("max_current_a") or 16.0
            chargers.append(
                EvChargerSpec(
                    name,
                    min_current_a=min(6.0, max_a),
                    max_current_a=max_a,
                    phases=max(1, min(3, phases.get(name, 3))),
                    voltage_v=voltage_v,
                )
            )
    connection_w = 3 * phase_limit_a * voltage_v
    return SiteModel(
        tuple(pv), tuple(batteries), tuple(chargers), SiteSpec(connection_w, connection_w)
    )


class LoadHistory:
    """Average inflexible load per interval, kept for ``keep_s`` [s].

    Parameters
    ----------
    step_s : float
        Interval length [s]; must divide a day for the load forecast.
    keep_s : float
        History kept [s].
    """

    def __init__(self, step_s: float, keep_s: float) -> None:
        self.step_s = step_s
        self.keep_steps = max(1, int(keep_s // step_s))
        self._sums: dict[int, tuple[float, int]] = {}
        self._latest_w: float | None = None

    def add(self, now: float, load_w: float) -> None:
        """Record ``load_w`` [W] measured at ``now`` [s since epoch]."""
        if not math.isfinite(load_w):
            return
        index = int(now // self.step_s)
        total, count = self._sums.get(index, (0.0, 0))
        self._sums[index] = (total + load_w, count + 1)
        self._latest_w = load_w
        for old in [i for i in self._sums if i <= index - self.keep_steps]:
            del self._sums[old]

    def forecast_w(self, now: float, steps: int) -> _Array:
        """Load forecast for ``steps`` intervals from ``now`` [W].

        With a day or more of complete intervals, the load forecast
        (:func:`openderms.client.forecast.forecast_load`); before that, the last hour's
        average held flat (persistence). Gaps in the history are filled with the mean.
        """
        current = int(now // self.step_s)
        complete = sorted(i for i in self._sums if i < current)
        latest = self._latest_w if self._latest_w is not None else 0.0
        if complete:
            first = complete[0]
            series = np.array(
                [
                    self._sums[i][0] / self._sums[i][1] if i in self._sums else math.nan
                    for i in range(first, current)
                ]
            )
            mean = float(np.nanmean(series))
            series = np.where(np.isnan(series), mean, series)
            try:
                return forecast_load(series, current * self.step_s, self.step_s, steps).as_array()
            except ForecastError:
                hour = max(1, int(3600 // self.step_s))
                latest = float(series[-hour:].mean())
        return np.full(steps, max(latest, 0.0))


@dataclass(slots=True)
class _Plugged:
    since_s: float
    energy_wh: float | None


class EvSessions:
    """Charging sessions from the chargers' plug state (no driver input yet).

    A car plugged in asks for ``target_energy_wh`` within ``session_s`` of plug-in; energy
    the charger's meter has counted since then is subtracted.
    """

    def __init__(
        self, target_energy_wh: float, session_s: float, surplus_value_per_kwh: float
    ) -> None:
        self.target_energy_wh = target_energy_wh
        self.session_s = session_s
        self.surplus_value_per_kwh = surplus_value_per_kwh
        self._plugged: dict[str, _Plugged] = {}

    def observe(self, telemetry: SiteTelemetry, chargers: Sequence[str]) -> bool:
        """Note plug-ins and unplugs at ``telemetry.now``; True when any changed."""
        changed = False
        for name in chargers:
            device = telemetry.devices.get(name)
            if device is None or device.error is not None:
                continue
            status = device.get("status")
            plugged = status is None or status != _EV_NO_CAR
            if plugged and name not in self._plugged:
                self._plugged[name] = _Plugged(telemetry.now, device.get("energy_imported_wh"))
                changed = True
            elif not plugged and name in self._plugged:
                del self._plugged[name]
                changed = True
        return changed

    def sessions(
        self, telemetry: SiteTelemetry, chargers: Sequence[EvChargerSpec], step_s: float
    ) -> dict[str, EvSession | None]:
        """The session of every charger at ``telemetry.now`` (None: no car)."""
        now = telemetry.now
        result: dict[str, EvSession | None] = {}
        for spec in chargers:
            plugged = self._plugged.get(spec.asset_id)
            if plugged is None:
                result[spec.asset_id] = None
                continue
            device = telemetry.devices.get(spec.asset_id)
            energy = device.get("energy_imported_wh") if device is not None else None
            delivered_wh = 0.0
            if energy is not None and plugged.energy_wh is not None:
                delivered_wh = max(0.0, energy - plugged.energy_wh) * spec.efficiency
            departure = max(plugged.since_s + self.session_s, now + step_s)
            result[spec.asset_id] = EvSession(
                arrival_s=min(plugged.since_s, now),
                departure_s=departure,
                target_energy_wh=max(0.0, self.target_energy_wh - delivered_wh),
                surplus_value_per_kwh=self.surplus_value_per_kwh,
                max_energy_wh=None,
            )
        return result


def battery_states(
    telemetry: SiteTelemetry, batteries: Sequence[BatterySpec]
) -> dict[str, BatteryState]:
    """State of charge of every planned battery (unknown reads as its minimum)."""
    states: dict[str, BatteryState] = {}
    for spec in batteries:
        device = telemetry.devices.get(spec.asset_id)
        soc = device.get("soc_pct") if device is not None else None
        states[spec.asset_id] = BatteryState(soc_pct=soc if soc is not None else spec.soc_min_pct)
    return states


def targets_from_plan(plan: Plan, now: float) -> SiteTargets | None:
    """The plan's setpoints for the interval containing ``now``; None outside the plan.

    Battery power is the batteries' sum, positive discharging [W]; EV currents are the
    DLM caps (:func:`~openderms.client.optimizer.mpc.ev_targets_a`) [A]; heat pump power
    is the planned electric power [W].
    """
    index = plan.interval_at(now)
    if index is None:
        return None
    battery_w: float | None = None
    if plan.battery_charge_w:
        battery_w = sum(
            plan.battery_discharge_w[asset][index] - charge[index]
            for asset, charge in plan.battery_charge_w.items()
        )
    return SiteTargets(
        battery_power_w=battery_w,
        ev_current_a=ev_targets_a(plan, now),
        heat_pump_w={asset: values[index] for asset, values in plan.heat_pump_w.items()},
        source="optimizer",
    )
