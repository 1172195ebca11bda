"""Simulated devices: register images plus physics, stepped by a clock. Pure.

Each device's ``step(now, ...)`` first applies what the gateway wrote since the last step
(starting revert timers), then runs its physics over the elapsed time and writes the new
measurements into its registers. Nothing here reads a clock or touches a socket.

SunSpec kinds (inverter, battery, meter) write SunSpec points into the models they serve;
raw-register kinds (EV charger, heat pump) read and write *capabilities* through
:class:`~.registers.MapRegisters`, laid out by the same device map the gateway drives them
with, so their addresses live only in YAML.
"""

from __future__ import annotations

from dataclasses import dataclass

from openderms.client.devices.device_map import DeviceMap, load_builtin_map
from openderms.client.devices.sunspec import ModelBlock
from openderms.client.sim.errors import SimConfigError
from openderms.client.sim.physics import solar_available_w
from openderms.client.sim.registers import MapRegisters, SunSpecRegisters

__all__ = [
    "RevertTimer",
    "SimBattery",
    "SimCharger",
    "SimHeatPump",
    "SimInverter",
    "SimMeter",
]

NOMINAL_V = 230.0
NOMINAL_HZ = 50.0


@dataclass(slots=True)
class RevertTimer:
    """A control's revert deadline: armed on a write with a positive time, fires once.

    The simulator learns of writes at its next step, so the timer counts from that step.
    """

    deadline: float | None = None

    def arm(self, now: float, seconds: float | None) -> None:
        self.deadline = now + seconds if seconds else None

    def expired(self, now: float) -> bool:
        if self.deadline is not None and now >= self.deadline:
            self.deadline = None
            return True
        return False


def _num(value: object, default: float = 0.0) -> float:
    return float(value) if isinstance(value, int | float) else default


class _Clocked:
    def __init__(self, start: float) -> None:
        self.last = start

    def _elapsed(self, now: float) -> float:
        dt = max(0.0, now - self.last)
        self.last = max(self.last, now)
        return dt


# -- PV inverter --------------------------------------------------------------------------

INVERTER_MODELS = (1, 701, 702, 703, 704, 103, 120, 123)


class SimInverter(_Clocked):
    """A three-phase PV inverter with SunSpec 1, 701-704 and legacy 103/120/123.

    Output is the solar profile capped by the most restrictive enabled power limit (704
    WMaxLimPct, 123 WMaxLimPct) and zero when disconnected (123 Conn, 703 ES). Revert timers
    (704 WMaxLimPctRvrtTms, 123 WMaxLimPct_RvrtTms, 123 Conn_RvrtTms) return the inverter to
    its defaults when the gateway stops refreshing them.
    """

    def __init__(
        self,
        rated_w: float,
        start: float,
        peak_w: float | None = None,
        utc_offset_h: float = 0.0,
        models: tuple[int, ...] = INVERTER_MODELS,
        serial: str = "SIMPV0001",
    ) -> None:
        super().__init__(start)
        self.rated_w = rated_w
        self.peak_w = rated_w if peak_w is None else peak_w
        self.utc_offset_h = utc_offset_h
        self.regs = SunSpecRegisters(models)
        self.power_w = 0.0
        self.energy_wh = 1000.0  # accumulators read 0 as "unimplemented" (SunSpec)
        self.timers = {
            "704": RevertTimer(),
            "wset": RevertTimer(),
            "123": RevertTimer(),
            "conn": RevertTimer(),
        }
        b = self.regs.blocks
        _common(b.get(1), "SimPV", serial)
        if 702 in b:
            for sf in ("W_SF", "PF_SF", "VA_SF", "Var_SF", "V_SF", "A_SF", "S_SF"):
                b[702].set(sf, 0)
            b[702].set("WMaxRtg", rated_w)
            b[702].set("WMax", rated_w)
            b[702].set("VAMaxRtg", rated_w)
        if 120 in b:
            b[120].set("WRtg_SF", 0)
            b[120].set("WRtg", rated_w)
            b[120].set("DERTyp", 4)  # PV
        if 704 in b:
            b[704].set("WMaxLimPct_SF", -1)
            b[704].set("WSet_SF", 0)
            b[704].set("WMaxLimPct", 100.0)
            b[704].set("WMaxLimPctRvrt", 100.0)
            b[704].set("WMaxLimPctEna", 0)
            b[704].set("WMaxLimPctEnaRvrt", 0)
            b[704].set("WMaxLimPctRvrtTms", 0)
            b[704].set("WSetPct_SF", -1)
            b[704].set("WSetMod", 1)  # WATTS
            b[704].set("WSet", rated_w)
            b[704].set("WSetRvrt", rated_w)
            b[704].set("WSetEna", 0)
            b[704].set("WSetEnaRvrt", 0)
            b[704].set("WSetRvrtTms", 0)
        if 703 in b:
            b[703].set("ES", 1)
        if 123 in b:
            b[123].set("WMaxLimPct_SF", 0)
            b[123].set("OutPFSet_SF", -3)
            b[123].set("VArPct_SF", 0)
            b[123].set("WMaxLimPct", 100)
            b[123].set("WMaxLim_Ena", 0)
            b[123].set("Conn", 1)
            b[123].set("WMaxLimPct_RvrtTms", 0)
            b[123].set("Conn_RvrtTms", 0)
        for model in (701, 101, 103):
            if model in b:
                _measurement_sfs(b[model])
        self.step(start)

    def _apply_writes(self, now: float) -> None:
        b, r = self.regs.blocks, self.regs
        if r.written(704, "WMaxLimPct", "WMaxLimPctEna", "WMaxLimPctRvrtTms"):
            self.timers["704"].arm(now, _num(b[704].get("WMaxLimPctRvrtTms")))
        if r.written(704, "WSet", "WSetPct", "WSetMod", "WSetEna", "WSetRvrtTms"):
            self.timers["wset"].arm(now, _num(b[704].get("WSetRvrtTms")))
        if r.written(123, "WMaxLimPct", "WMaxLim_Ena", "WMaxLimPct_RvrtTms"):
            self.timers["123"].arm(now, _num(b[123].get("WMaxLimPct_RvrtTms")))
        if r.written(123, "Conn", "Conn_RvrtTms"):
            self.timers["conn"].arm(now, _num(b[123].get("Conn_RvrtTms")))
        r.clear_pending()
        # SunSpec 704: on expiry the enable and limit take their *Rvrt values.
        if self.timers["704"].expired(now):
            b[704].set("WMaxLimPctEna", b[704].raw("WMaxLimPctEnaRvrt") or 0)
            b[704].set("WMaxLimPct", b[704].get("WMaxLimPctRvrt"))
        if self.timers["wset"].expired(now):
            b[704].set("WSetEna", b[704].raw("WSetEnaRvrt") or 0)
            b[704].set("WSet", b[704].get("WSetRvrt"))
        # SunSpec 123: the limit is disabled and the connection restored on expiry.
        if self.timers["123"].expired(now):
            b[123].set("WMaxLim_Ena", 0)
        if self.timers["conn"].expired(now):
            b[123].set("Conn", 1)

    def limit_pct(self) -> float:
        """The most restrictive enabled active power limit [% of rated power]."""
        b = self.regs.blocks
        limits = [100.0]
        if 704 in b and b[704].raw("WMaxLimPctEna") == 1:
            limits.append(_num(b[704].get("WMaxLimPct"), 100.0))
        if 704 in b and b[704].raw("WSetEna") == 1:
            # A PV inverter cannot make more than the sun gives: WSet acts as a cap.
            if b[704].raw("WSetMod") == 1:
                limits.append(_num(b[704].get("WSet"), self.rated_w) / self.rated_w * 100.0)
            else:
                limits.append(_num(b[704].get("WSetPct"), 100.0))
        if 123 in b and b[123].raw("WMaxLim_Ena") == 1:
            limits.append(_num(b[123].get("WMaxLimPct"), 100.0))
        return max(0.0, min(limits))

    def connected(self) -> bool:
        b = self.regs.blocks
        conn = 123 not in b or b[123].raw("Conn") == 1
        permit = 703 not in b or b[703].raw("ES") == 1
        return conn and permit

    def step(self, now: float) -> float:
        """Advance to ``now`` [s]; returns the AC output [W]."""
        self._apply_writes(now)
        dt = self._elapsed(now)
        available = solar_available_w(now, self.peak_w, self.utc_offset_h)
        cap = self.rated_w * self.limit_pct() / 100.0
        self.power_w = min(available, cap) if self.connected() else 0.0
        self.energy_wh += self.power_w * dt / 3600.0
        self._publish(available)
        return self.power_w

    def _publish(self, available_w: float) -> None:
        b = self.regs.blocks
        w = round(self.power_w)
        state = 4 if w > 0 else (2 if self.connected() else 1)  # MPPT / sleeping / off
        amps = self.power_w / (3 * NOMINAL_V)
        if 701 in b:
            m = b[701]
            m.set("ACType", 3)  # three-phase
            m.set("St", 1 if self.connected() else 0)
            m.set("InvSt", state)
            m.set("ConnSt", 1 if self.connected() else 0)
            m.set("W", w)
            m.set("VA", w)
            m.set("Var", 0)
            # Active power only (Var 0): displacement PF 1, as a ratio in 701.
            m.set("PF", 1.0)
            m.set("A", round(amps, 1))
            m.set("LNV", NOMINAL_V)
            m.set("LLV", 400.0)
            m.set("Hz", NOMINAL_HZ)
            m.set("TotWhInj", round(self.energy_wh))
            m.set("TotWhAbs", 1)
            throttled = available_w > self.power_w + 1 and self.connected()
            m.set("ThrotPct", round(100 * (1 - self.power_w / available_w)) if throttled else 0)
            for phase in ("L1", "L2", "L3"):
                m.set(f"W{phase}", round(self.power_w / 3))
        # Legacy inverter models: 103 three-phase, 101 single-phase (same layout, phase A).
        for model, phases in ((103, ("A", "B", "C")), (101, ("A",))):
            if model not in b:
                continue
            m = b[model]
            m.set("W", w)
            m.set("VA", w)
            m.set("VAr", 0)
            m.set("PF", 100.0)  # 1xx models give PF in percent
            m.set("A", round(self.power_w / NOMINAL_V, 1))
            for phase in phases:
                m.set(f"Aph{phase}", round(self.power_w / NOMINAL_V / len(phases), 1))
                m.set(f"PhVph{phase}", NOMINAL_V)
            m.set("Hz", NOMINAL_HZ)
            m.set("WH", round(self.energy_wh))
            m.set("St", state)


def _common(block: ModelBlock | None, model_name: str, serial: str) -> None:
    if block is not None:
        block.set("Mn", "openderms")
        block.set("Md", model_name)
        block.set("Vr", "0.1")
        block.set("SN", serial)
        block.set("DA", 1)


def _measurement_sfs(block: ModelBlock) -> None:
    exponents = {"A_SF": -1, "V_SF": -1, "Hz_SF": -2, "W_SF": 0, "VA_SF": 0, "PF_SF": -2}
    exponents.update({"Var_SF": 0, "VAr_SF": 0, "TotWh_SF": 0, "WH_SF": 0, "TotVarh_SF": 0})
    exponents.update({"Tmp_SF": -1, "DCA_SF": -1, "DCV_SF": -1, "DCW_SF": 0})
    for name, value in exponents.items():
        if name in block.layout.slots:
            block.set(name, value)


# -- battery ------------------------------------------------------------------------------

BATTERY_MODELS = (1, 713, 802, 124)


class SimBattery(_Clocked):
    """A battery (SunSpec 1, 713, 802, 124) whose state of charge integrates its power.

    Without a command it runs self-consumption: it absorbs the site's surplus and covers its
    deficit within its ratings. SunSpec 124 StorCtl_Mod bit 0 bounds charging to InWRte %
    of WChaMax, bit 1 bounds discharging to OutWRte %; negative rates force the other way.
    InOutWRte_RvrtTms clears StorCtl_Mod on expiry. 802 SetOp DISCONNECT (2) stops it.
    Power is positive when discharging.
    """

    def __init__(
        self,
        capacity_wh: float,
        max_charge_w: float,
        max_discharge_w: float,
        soc_pct: float,
        start: float,
        soc_min_pct: float = 5.0,
        soc_max_pct: float = 100.0,
        models: tuple[int, ...] = BATTERY_MODELS,
        serial: str = "SIMBAT0001",
    ) -> None:
        super().__init__(start)
        self.capacity_wh = capacity_wh
        self.max_charge_w = max_charge_w
        self.max_discharge_w = max_discharge_w
        self.soc_pct = soc_pct
        self.soc_min_pct = soc_min_pct
        self.soc_max_pct = soc_max_pct
        self.power_w = 0.0
        self.timer = RevertTimer()
        self.regs = SunSpecRegisters(models)
        b = self.regs.blocks
        _common(b.get(1), "SimBattery", serial)
        if 802 in b:
            m = b[802]
            for sf, value in (("AHRtg_SF", 0), ("WHRtg_SF", 0), ("WChaDisChaMax_SF", 0)):
                m.set(sf, value)
            for sf, value in (("DisChaRte_SF", 0), ("SoC_SF", -1), ("DoD_SF", -1), ("SoH_SF", 0)):
                m.set(sf, value)
            for sf, value in (("V_SF", -1), ("CellV_SF", -3), ("A_SF", -1), ("AMax_SF", 0)):
                m.set(sf, value)
            m.set("W_SF", 0)
            m.set("WHRtg", capacity_wh)
            m.set("AHRtg", round(capacity_wh / 400.0))
            m.set("WChaRteMax", max_charge_w)
            m.set("WDisChaRteMax", max_discharge_w)
            m.set("SoCMax", soc_max_pct)
            m.set("SoCMin", soc_min_pct)
            m.set("SetOp", 1)
            m.set("Typ", 4)  # lithium-ion
        if 713 in b:
            b[713].set("WH_SF", 0)
            b[713].set("Pct_SF", -1)
            b[713].set("WHRtg", capacity_wh)
        if 124 in b:
            m = b[124]
            for sf, value in (("WChaMax_SF", 0), ("WChaDisChaGra_SF", 0), ("VAChaMax_SF", 0)):
                m.set(sf, value)
            for sf, value in (("MinRsvPct_SF", 0), ("ChaState_SF", -1), ("StorAval_SF", 0)):
                m.set(sf, value)
            m.set("InBatV_SF", -1)
            m.set("InOutWRte_SF", -1)
            m.set("WChaMax", max_charge_w)
            m.set("StorCtl_Mod", 0)
            m.set("InWRte", 100.0)
            m.set("OutWRte", 100.0)
            m.set("InOutWRte_RvrtTms", 0)
            m.set("MinRsvPct", soc_min_pct)
        self._publish()

    def _apply_writes(self, now: float) -> None:
        if self.regs.written(124, "StorCtl_Mod", "InWRte", "OutWRte", "InOutWRte_RvrtTms"):
            self.timer.arm(now, _num(self.regs.blocks[124].get("InOutWRte_RvrtTms")))
        self.regs.clear_pending()
        if self.timer.expired(now):
            self.regs.blocks[124].set("StorCtl_Mod", 0)

    def charge_bounds_w(self) -> tuple[float, float]:
        """(least, most) charging power the controls allow [W]; negative means discharge."""
        low, high = -self.max_discharge_w, self.max_charge_w
        b = self.regs.blocks
        if 124 in b:
            mode = int(b[124].raw("StorCtl_Mod") or 0)
            if mode & 1:
                high = _num(b[124].get("InWRte"), 100.0) / 100.0 * self.max_charge_w
            if mode & 2:
                low = -_num(b[124].get("OutWRte"), 100.0) / 100.0 * self.max_discharge_w
        if 802 in b and b[802].raw("SetOp") == 2:
            return 0.0, 0.0
        return low, high

    def headroom_w(self) -> float:
        """Charge power the battery could still absorb now [W]."""
        return 0.0 if self.soc_pct >= self.soc_max_pct else self.max_charge_w

    def step(self, now: float, site_without_battery_w: float) -> float:
        """Advance to ``now`` [s] given the site power without the battery (+ import) [W];
        returns the battery power [W], positive when discharging."""
        self._apply_writes(now)
        dt = self._elapsed(now)
        wanted_charge = -site_without_battery_w  # self-consumption: soak up the surplus
        low, high = self.charge_bounds_w()
        charge = min(max(wanted_charge, min(low, high)), high)
        charge = max(-self.max_discharge_w, min(self.max_charge_w, charge))
        if charge > 0 and self.soc_pct >= self.soc_max_pct:
            charge = 0.0
        if charge < 0 and self.soc_pct <= self.soc_min_pct:
            charge = 0.0
        if dt > 0 and charge:
            room_wh = (self.soc_max_pct - self.soc_pct) / 100 * self.capacity_wh
            left_wh = (self.soc_pct - self.soc_min_pct) / 100 * self.capacity_wh
            # Never overshoot the SoC limits within one step.
            charge = (
                min(charge, room_wh * 3600 / dt)
                if charge > 0
                else max(charge, -left_wh * 3600 / dt)
            )
            self.soc_pct += charge * dt / 3600 / self.capacity_wh * 100
            self.soc_pct = min(self.soc_max_pct, max(self.soc_min_pct, self.soc_pct))
        self.power_w = -charge
        self._publish()
        return self.power_w

    def _publish(self) -> None:
        b = self.regs.blocks
        soc = round(self.soc_pct, 1)
        full = self.soc_pct >= self.soc_max_pct
        status = 5 if full else (4 if self.power_w < 0 else (3 if self.power_w > 0 else 6))
        if 802 in b:
            m = b[802]
            # 802 State follows SetOp: the bank opens its contactor on DISCONNECT (2).
            m.set("State", 1 if m.raw("SetOp") == 2 else 3)  # DISCONNECTED / CONNECTED
            m.set("SoC", soc)
            m.set("W", round(self.power_w))
            m.set("V", 400.0)
            m.set("A", round(self.power_w / 400.0, 1))
            m.set("ChaSt", status)
        if 713 in b:
            b[713].set("SoC", soc)
            b[713].set("WHAvail", round(self.soc_pct / 100 * self.capacity_wh))
        if 124 in b:
            b[124].set("ChaState", soc)
            b[124].set("ChaSt", status)


# -- site meter ---------------------------------------------------------------------------

METER_MODELS = (1, 203)


class SimMeter(_Clocked):
    """A three-phase site meter (SunSpec 203) at the connection point; + imports."""

    def __init__(
        self, start: float, models: tuple[int, ...] = METER_MODELS, serial: str = "SIMMTR0001"
    ) -> None:
        super().__init__(start)
        self.regs = SunSpecRegisters(models)
        self.power_w = 0.0
        self.imported_wh = 1000.0
        self.exported_wh = 1000.0
        self.model_id = next(m for m in models if m in (201, 202, 203, 204))
        _common(self.regs.blocks.get(1), "SimMeter", serial)
        m = self.regs.blocks[self.model_id]
        for sf, value in (("A_SF", -1), ("V_SF", -1), ("Hz_SF", -2), ("W_SF", 1), ("VA_SF", 1)):
            m.set(sf, value)
        for sf, value in (("VAR_SF", 1), ("PF_SF", 0), ("TotWh_SF", 0), ("TotVAh_SF", 0)):
            m.set(sf, value)
        m.set("TotVArh_SF", 0)
        self._publish()

    def step(self, now: float, site_w: float) -> float:
        """Advance to ``now`` [s] with the site power (+ import) [W]; returns it."""
        self.regs.clear_pending()
        dt = self._elapsed(now)
        self.power_w = site_w
        if site_w > 0:
            self.imported_wh += site_w * dt / 3600
        else:
            self.exported_wh += -site_w * dt / 3600
        self._publish()
        return site_w

    def _publish(self) -> None:
        m = self.regs.blocks[self.model_id]
        w = self.power_w
        m.set("W", round(w, -1))
        m.set("VA", round(abs(w), -1))
        m.set("VAR", 0)
        m.set("PF", 100 if w >= 0 else -100)
        m.set("Hz", NOMINAL_HZ)
        m.set("A", round(abs(w) / NOMINAL_V, 1))
        for phase in ("A", "B", "C"):
            m.set(f"Wph{phase}", round(w / 3, -1))
            m.set(f"PhVph{phase}", NOMINAL_V)
            m.set(f"Aph{phase}", round(abs(w) / 3 / NOMINAL_V, 1))
        m.set("PhV", NOMINAL_V)
        m.set("TotWhImp", round(self.imported_wh))
        m.set("TotWhExp", round(self.exported_wh))


# -- EV charger ---------------------------------------------------------------------------


class SimCharger(_Clocked):
    """An EV charger on any raw-register map of kind ``evcharger`` (by default
    ``evcharger-generic.yaml``); its registers are where that map puts them.

    Controls: ``current_limit_a`` and, if the map has it, ``charge_enable``; when the
    gateway set a revert time and stops writing, the limit returns to ``fallback_current_a``
    and charging is enabled again. Shows ``status`` (1 no car, 2 car connected, 3
    charging), ``active_power_w`` (a load: negative, in the DER convention),
    ``energy_imported_wh`` and ``max_current_a``.
    """

    CONTROLS = ("current_limit_a", "charge_enable")

    def __init__(
        self,
        start: float,
        max_current_a: float = 16.0,
        phases: int = 3,
        fallback_current_a: float = 6.0,
        car_connected: bool = True,
        device_map: DeviceMap | None = None,
    ) -> None:
        super().__init__(start)
        self.max_current_a = max_current_a
        self.phases = phases
        self.fallback_current_a = fallback_current_a
        self.car_connected = car_connected
        self.power_w = 0.0
        self.energy_wh = 1.0
        self.timer = RevertTimer()
        self.regs = MapRegisters(device_map or load_builtin_map("evcharger-generic"))
        _require(self.regs, "current_limit_a")
        self.regs.put("current_limit_a", max_current_a)
        self.regs.put("charge_enable", True)
        self.regs.put("max_current_a", max_current_a)
        self._publish()

    def step(self, now: float) -> float:
        """Advance to ``now`` [s]; returns the charging power drawn [W] (positive)."""
        regs = self.regs
        if regs.written(*self.CONTROLS):
            self.timer.arm(now, regs.revert_s("current_limit_a"))
        regs.pending.clear()
        if self.timer.expired(now):
            regs.put("current_limit_a", self.fallback_current_a)
            regs.put("charge_enable", True)
        dt = self._elapsed(now)
        current = min(_num(regs.get("current_limit_a")), self.max_current_a)
        enabled = not regs.has("charge_enable") or regs.get("charge_enable") is True
        # IEC 61851-1: below 6 A the car cannot charge.
        charging = self.car_connected and enabled and current >= 6.0
        self.power_w = current * NOMINAL_V * self.phases if charging else 0.0
        self.energy_wh += self.power_w * dt / 3600
        self._publish()
        return self.power_w

    def _publish(self) -> None:
        status = 3 if self.power_w > 0 else (2 if self.car_connected else 1)
        self.regs.put("status", status)
        self.regs.put("active_power_w", -round(self.power_w))
        self.regs.put("energy_imported_wh", round(self.energy_wh))


# -- heat pump ----------------------------------------------------------------------------


class SimHeatPump(_Clocked):
    """A heat pump on any raw-register map of kind ``heatpump`` (by default
    ``heatpump-sgready.yaml``) with SG-Ready states in ``sg_ready_mode`` (1 blocked ..
    4 forced on); it returns to state 2 (normal) when its revert time expires. Shows the
    state in ``status``, ``active_power_w`` (a load: negative) and ``energy_imported_wh``."""

    def __init__(
        self,
        start: float,
        nominal_w: float = 2000.0,
        max_w: float = 4000.0,
        device_map: DeviceMap | None = None,
    ) -> None:
        super().__init__(start)
        self.nominal_w = nominal_w
        self.max_w = max_w
        self.power_w = 0.0
        self.energy_wh = 1.0
        self.timer = RevertTimer()
        self.regs = MapRegisters(device_map or load_builtin_map("heatpump-sgready"))
        _require(self.regs, "sg_ready_mode")
        self.regs.put("sg_ready_mode", 2)
        self.regs.put("status", 2)
        self._publish()

    def power_for_mode(self, mode: int) -> float:
        """Electrical power drawn in SG-Ready state ``mode`` [W]."""
        return {
            1: 0.0,
            2: self.nominal_w,
            3: min(self.max_w, 1.5 * self.nominal_w),
            4: self.max_w,
        }.get(mode, self.nominal_w)

    def step(self, now: float) -> float:
        """Advance to ``now`` [s]; returns the power drawn [W] (positive)."""
        regs = self.regs
        if regs.written("sg_ready_mode"):
            self.timer.arm(now, regs.revert_s("sg_ready_mode"))
        regs.pending.clear()
        if self.timer.expired(now):
            regs.put("sg_ready_mode", 2)
        dt = self._elapsed(now)
        mode = int(_num(regs.get("sg_ready_mode"), 2.0))
        self.power_w = self.power_for_mode(mode)
        self.energy_wh += self.power_w * dt / 3600
        regs.put("status", mode)
        self._publish()
        return self.power_w

    def _publish(self) -> None:
        self.regs.put("active_power_w", -round(self.power_w))
        self.regs.put("energy_imported_wh", round(self.energy_wh))


def _require(regs: MapRegisters, capability: str) -> None:
    if not regs.has(capability):
        raise SimConfigError(f"{regs.map.name}: the simulated device needs {capability}")
