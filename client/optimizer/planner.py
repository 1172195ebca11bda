"""The planner: every constraint builder assembled once into a parametrized cvxpy problem.

A re-plan (every interval, and whenever the envelope, prices or a device state change) only
writes new parameter values and solves again: cvxpy keeps the compiled problem (DPP) and
passes the previous solution to HiGHS as a start. The MILP and the LP relaxation are two
problems, each built on first use.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np
import numpy.typing as npt

from openderms.client.envelope import EnvelopeLimits, GridEnvelope
from openderms.client.optimizer._terms import Terms
from openderms.client.optimizer.battery import (
    BatteryModel,
    BatterySpec,
    BatteryState,
    build_battery,
    update_battery,
)
from openderms.client.optimizer.envelope_constraints import (
    EnvelopeModel,
    SiteSpec,
    build_envelope,
    envelope_arrays,
    update_envelope,
)
from openderms.client.optimizer.errors import PlanInputError, SolverFailedError
from openderms.client.optimizer.ev import EvChargerSpec, EvModel, EvSession, build_ev, update_ev
from openderms.client.optimizer.heat_pump import (
    HeatPumpModel,
    HeatPumpSpec,
    HeatPumpState,
    build_heat_pump,
    update_heat_pump,
)
from openderms.client.optimizer.objective import (
    ObjectiveModel,
    ObjectiveWeights,
    build_objective,
    grid_coefficients,
    update_objective,
)
from openderms.client.optimizer.plan import MissedTarget, Plan, ProblemKind
from openderms.client.optimizer.pv import PvModel, PvSpec, build_pv, update_pv
from openderms.client.optimizer.tariff import prices_with_signals

__all__ = ["PlanInputs", "Planner", "PlannerConfig"]

logger = logging.getLogger(__name__)

_Array = npt.NDArray[np.float64]
# Below these a slack is solver noise, not a missed target.
_ENERGY_TOLERANCE_WH = 1.0
_COMFORT_TOLERANCE_K_H = 0.01
_POWER_TOLERANCE_W = 1.0


@dataclass(frozen=True, slots=True)
class PlannerConfig:
    """The site as the planner models it, fixed for the planner's life."""

    site: SiteSpec = field(default_factory=SiteSpec)
    pv: tuple[PvSpec, ...] = ()
    batteries: tuple[BatterySpec, ...] = ()
    chargers: tuple[EvChargerSpec, ...] = ()
    heat_pumps: tuple[HeatPumpSpec, ...] = ()
    step_s: float = 900.0
    """Interval length [s]."""
    steps: int = 96
    """Number of intervals; 96 x 15 min is 24 h."""
    weights: ObjectiveWeights = field(default_factory=ObjectiveWeights)
    mip_rel_gap: float = 1e-2
    """Relative optimality gap at which branch and bound stops [unitless]. 1 % of a day's
    objective is cents, and the plan is redone in 15 minutes; 0.1 % costs 3-5x the time
    on the benchmark site (benchmarks/bench_optimizer.py)."""
    integer_steps: int | None = None
    """How many intervals, from the start, the MILP models with binaries; later ones are
    relaxed. None means all. Binaries matter most where the plan is executed next (and
    it is redone every interval), so 16-48 intervals keep long horizons solvable."""
    mip_time_limit_s: float = 20.0
    """Wall time after which the MILP gives up and the LP relaxation is solved [s]."""

    def __post_init__(self) -> None:
        if self.step_s <= 0 or self.steps <= 0:
            raise PlanInputError("step_s and steps must be positive")
        if self.integer_steps is not None and self.integer_steps < 0:
            raise PlanInputError("integer_steps must be >= 0")
        ids = self.asset_ids()
        if len(set(ids)) != len(ids):
            raise PlanInputError(f"asset ids must be unique: {ids}")

    def asset_ids(self) -> list[str]:
        """Every asset's id, PV first, then batteries, chargers, heat pumps."""
        return [
            *(a.asset_id for a in self.pv),
            *(a.asset_id for a in self.batteries),
            *(a.asset_id for a in self.chargers),
            *(a.asset_id for a in self.heat_pumps),
        ]

    @property
    def horizon_s(self) -> float:
        """Length of the horizon [s]."""
        return self.step_s * self.steps

    @classmethod
    def for_horizon(
        cls, horizon_s: float, step_s: float = 900.0, **kwargs: object
    ) -> PlannerConfig:
        """A config whose horizon covers ``horizon_s`` in steps of ``step_s`` [s]."""
        steps = math.ceil(horizon_s / step_s - 1e-9)
        return cls(step_s=step_s, steps=steps, **kwargs)  # type: ignore[arg-type]  # dataclass fields


@dataclass(frozen=True, slots=True)
class PlanInputs:
    """Everything that changes between plans. Arrays have one value per interval."""

    load_forecast_w: Sequence[float] | _Array
    """Inflexible load forecast [W]."""
    import_price_per_kwh: Sequence[float] | _Array
    """Tariff import price [currency/kWh]; an envelope price signal overrides it."""
    export_price_per_kwh: Sequence[float] | _Array
    """Tariff export price [currency/kWh]; an envelope price signal overrides it."""
    envelope: GridEnvelope | Sequence[EnvelopeLimits] = field(default_factory=GridEnvelope)
    """The grid envelope, or already one EnvelopeLimits per interval."""
    pv_forecast_w: Mapping[str, Sequence[float] | _Array] = field(default_factory=dict)
    co2_g_per_kwh: Sequence[float] | _Array | None = None
    outdoor_temp_c: Sequence[float] | _Array | None = None
    batteries: Mapping[str, BatteryState] = field(default_factory=dict)
    ev_sessions: Mapping[str, EvSession | None] = field(default_factory=dict)
    heat_pumps: Mapping[str, HeatPumpState] = field(default_factory=dict)
    weights: ObjectiveWeights | None = None
    """Objective weights for this plan; None uses the config's. The quadratic peak weight
    is fixed when the problem is built and is ignored here."""


@dataclass(slots=True)
class _Built:
    problem: cp.Problem
    kind: ProblemKind
    integer_steps: int
    pv: list[PvModel]
    batteries: list[BatteryModel]
    chargers: list[EvModel]
    heat_pumps: list[HeatPumpModel]
    envelope: EnvelopeModel
    objective: ObjectiveModel
    load_w: cp.Parameter


def _assemble(config: PlannerConfig, integer: bool) -> _Built:
    steps, step_s = config.steps, config.step_s
    pv = [build_pv(spec, steps) for spec in config.pv]
    k = (steps if config.integer_steps is None else config.integer_steps) if integer else 0
    batteries = [build_battery(spec, steps, step_s, k) for spec in config.batteries]
    chargers = [build_ev(spec, steps, step_s, k) for spec in config.chargers]
    heat_pumps = [build_heat_pump(spec, steps, step_s, k) for spec in config.heat_pumps]
    terms: list[Terms] = [
        *(m.terms for m in pv),
        *(m.terms for m in batteries),
        *(m.terms for m in chargers),
        *(m.terms for m in heat_pumps),
    ]
    load_w = cp.Parameter(steps, nonneg=True, name="load_forecast_w")
    zero = cp.Constant(np.zeros(steps))
    site_w = load_w + sum((t.site_w for t in terms), start=zero)
    generation_w = sum((t.der_generation_w for t in terms), start=zero)
    der_load_w = sum((t.der_load_w for t in terms), start=zero)
    der_output_w = sum((t.der_output_w for t in terms), start=zero)
    envelope = build_envelope(steps, step_s, site_w, generation_w, der_load_w, der_output_w)
    objective = build_objective(
        envelope.import_w, envelope.export_w, step_s, config.weights.peak_per_kw2_h
    )
    total = (
        objective.expression
        + envelope.penalty
        + sum((t.cost + t.penalty for t in terms), start=cp.Constant(0.0))
    )
    constraints = envelope.constraints + [c for t in terms for c in t.constraints]
    problem = cp.Problem(cp.Minimize(total), constraints)
    if integer:
        kind = ProblemKind.MILP
    else:
        kind = ProblemKind.QP if objective.quadratic else ProblemKind.LP
    return _Built(
        problem, kind, k, pv, batteries, chargers, heat_pumps, envelope, objective, load_w
    )


def _vector(name: str, values: Sequence[float] | _Array | None, steps: int) -> _Array:
    if values is None:
        raise PlanInputError(f"{name} is required")
    array = np.asarray(values, dtype=float)
    if array.shape != (steps,):
        raise PlanInputError(f"{name} must have {steps} values, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise PlanInputError(f"{name} must be finite")
    return array


def _values(variable: cp.Expression) -> tuple[float, ...]:
    value = variable.value
    if value is None:
        return ()
    return tuple(float(v) for v in np.atleast_1d(value))


class Planner:
    """Plans a site inside its grid envelope (model-predictive control: call :meth:`plan`
    again every interval and on every change; each call re-solves the built problem).

    Parameters
    ----------
    config : PlannerConfig
    integer : bool
        Solve the MILP (True) or its LP relaxation (False) by default.
    """

    def __init__(self, config: PlannerConfig, integer: bool = True) -> None:
        if integer and config.weights.peak_per_kw2_h > 0:
            raise PlanInputError(
                "a quadratic peak term makes a MIQP, which HiGHS does not solve; "
                "use integer=False (QP, Clarabel) or peak_per_kw2_h=0"
            )
        self.config = config
        self.integer = integer
        self._built: dict[bool, _Built] = {}

    def problem(self, integer: bool | None = None) -> cp.Problem:
        """The cvxpy problem for the MILP or the LP, built on first use."""
        return self._get(self.integer if integer is None else integer).problem

    def _get(self, integer: bool) -> _Built:
        if integer not in self._built:
            self._built[integer] = _assemble(self.config, integer)
        return self._built[integer]

    def plan(self, now: float, inputs: PlanInputs, integer: bool | None = None) -> Plan:
        """Plan ``config.steps`` intervals starting at ``now``.

        Parameters
        ----------
        now : float
            Start of the first interval [s since epoch].
        inputs : PlanInputs
        integer : bool, optional
            Override the planner's default problem for this call.

        Returns
        -------
        Plan

        Raises
        ------
        PlanInputError
            Inputs of the wrong length, or states for unknown assets.
        SolverFailedError
            The solver returned no solution (the model itself is always feasible).
        """
        want_integer = self.integer if integer is None else integer
        built = self._get(want_integer)
        prices = self._set_parameters(built, now, inputs)
        fallback: str | None = None
        status = self._solve(built)
        if built.kind is ProblemKind.MILP and status not in cp.settings.SOLUTION_PRESENT:
            fallback = f"MILP returned {status}; solved the LP relaxation"
            logger.warning("%s", fallback)
            built = self._get(False)
            self._set_parameters(built, now, inputs)
            status = self._solve(built)
        if status not in cp.settings.SOLUTION_PRESENT:
            raise SolverFailedError(f"{built.kind.value} solve returned {status}", status)
        return self._read(built, now, prices, status, fallback)

    def _solve(self, built: _Built) -> str:
        options: dict[str, bool | float]
        if built.kind is ProblemKind.QP:
            solver, options = cp.CLARABEL, {}
        else:
            solver = cp.HIGHS
            # output_flag off: HiGHS otherwise prints its banner on stdout, which is the
            # CLI's table.
            options = {"output_flag": False}
            if built.kind is ProblemKind.MILP:
                options |= {
                    "mip_rel_gap": self.config.mip_rel_gap,
                    "time_limit": self.config.mip_time_limit_s,
                }
        try:
            with warnings.catch_warnings():
                # A MILP stopped at its time limit is "inaccurate" to cvxpy; the plan says
                # so in its status, which is where the caller looks.
                warnings.filterwarnings("ignore", message="Solution may be inaccurate")
                built.problem.solve(solver=solver, warm_start=True, **options)
        except cp.SolverError as error:
            logger.warning("solver %s failed: %s", solver, error)
            return "solver_error"
        return str(built.problem.status)

    def _set_parameters(
        self, built: _Built, now: float, inputs: PlanInputs
    ) -> tuple[_Array, _Array]:
        config = self.config
        steps, step_s = config.steps, config.step_s
        limits = (
            inputs.envelope.over(now, step_s, steps)
            if isinstance(inputs.envelope, GridEnvelope)
            else list(inputs.envelope)
        )
        if len(limits) != steps:
            raise PlanInputError(f"envelope must have {steps} intervals, got {len(limits)}")
        known = set(config.asset_ids())
        for mapping in (inputs.pv_forecast_w, inputs.batteries, inputs.ev_sessions):
            unknown = set(mapping) - known
            if unknown:
                raise PlanInputError(f"inputs name unknown assets: {sorted(unknown)}")
        rated_generation_w = sum(p.rated_w for p in config.pv) + sum(
            b.max_discharge_w for b in config.batteries
        )
        rated_load_w = (
            sum(b.max_charge_w for b in config.batteries)
            + sum(c.max_w for c in config.chargers)
            + sum(h.max_w for h in config.heat_pumps)
        )
        arrays = envelope_arrays(limits, config.site, rated_generation_w, rated_load_w)
        load_w = np.maximum(_vector("load_forecast_w", inputs.load_forecast_w, steps), 0.0)
        built.load_w.value = load_w
        update_envelope(built.envelope, arrays, load_w)
        imp, exp = prices_with_signals(
            limits,
            _vector("import_price_per_kwh", inputs.import_price_per_kwh, steps),
            _vector("export_price_per_kwh", inputs.export_price_per_kwh, steps),
        )
        co2 = (
            None
            if inputs.co2_g_per_kwh is None
            else _vector("co2_g_per_kwh", inputs.co2_g_per_kwh, steps)
        )
        weights = inputs.weights or config.weights
        update_objective(built.objective, grid_coefficients(weights, step_s, imp, exp, co2))
        for pv_model in built.pv:
            asset_id = pv_model.spec.asset_id
            forecast = _vector(
                f"pv_forecast_w[{asset_id}]", inputs.pv_forecast_w.get(asset_id), steps
            )
            update_pv(pv_model, forecast, arrays.der_connected)
        for battery in built.batteries:
            state = inputs.batteries.get(battery.spec.asset_id)
            if state is None:
                raise PlanInputError(f"no state for battery {battery.spec.asset_id}")
            update_battery(battery, state, arrays.der_connected)
        for charger in built.chargers:
            update_ev(charger, inputs.ev_sessions.get(charger.spec.asset_id), now, step_s)
        if built.heat_pumps:
            outdoor = _vector("outdoor_temp_c", inputs.outdoor_temp_c, steps)
            for heat_pump in built.heat_pumps:
                hp_state = inputs.heat_pumps.get(heat_pump.spec.asset_id)
                if hp_state is None:
                    raise PlanInputError(f"no state for heat pump {heat_pump.spec.asset_id}")
                update_heat_pump(heat_pump, hp_state, outdoor, now, step_s)
        return imp, exp

    def _read(
        self,
        built: _Built,
        now: float,
        prices: tuple[_Array, _Array],
        status: str,
        fallback: str | None,
    ) -> Plan:
        step_s = self.config.step_s
        hours = step_s / 3600.0
        env = built.envelope
        imp_w = np.asarray(env.import_w.value, dtype=float)
        exp_w = np.asarray(env.export_w.value, dtype=float)
        energy_cost = float(hours / 1000.0 * (prices[0] @ imp_w - prices[1] @ exp_w))
        missed: list[MissedTarget] = []
        excess = np.asarray(env.import_excess_w.value, dtype=float)
        fixed_error = np.asarray(env.fixed_error_w.value, dtype=float)
        for name, values in (("import_limit", excess), ("fixed_power", fixed_error)):
            over = np.flatnonzero(values > _POWER_TOLERANCE_W)
            if over.size:
                missed.append(
                    MissedTarget("site", name, float(values.sum() * hours), "Wh", int(over[0]))
                )
        batteries_soc: dict[str, tuple[float, ...]] = {}
        for battery in built.batteries:
            spec = battery.spec
            energy = np.asarray(battery.energy_wh.value, dtype=float)
            batteries_soc[spec.asset_id] = tuple(float(v) for v in energy / spec.capacity_wh * 100)
            short = np.asarray(battery.reserve_shortfall_wh.value, dtype=float)
            below = np.flatnonzero(short > _ENERGY_TOLERANCE_WH)
            if below.size:
                missed.append(
                    MissedTarget(
                        spec.asset_id, "battery_reserve", float(short.max()), "Wh", int(below[0])
                    )
                )
        ev_current: dict[str, tuple[float, ...]] = {}
        ev_energy: dict[str, float] = {}
        for charger in built.chargers:
            ev_spec = charger.spec
            power = np.maximum(np.asarray(charger.power_w.value, dtype=float), 0.0)
            ev_current[ev_spec.asset_id] = tuple(float(ev_spec.current_a(p)) for p in power)
            ev_energy[ev_spec.asset_id] = float(ev_spec.efficiency * hours * power.sum())
            shortfall = float(charger.shortfall_wh.value or 0.0)
            if shortfall > _ENERGY_TOLERANCE_WH:
                missed.append(MissedTarget(ev_spec.asset_id, "ev_energy", shortfall, "Wh"))
        for heat_pump in built.heat_pumps:
            if heat_pump.run_cut_short is not None:
                cut = np.asarray(heat_pump.run_cut_short.value, dtype=float)
                cut_at = np.flatnonzero(cut > 0.5)
                if cut_at.size:
                    missed.append(
                        MissedTarget(
                            heat_pump.spec.asset_id,
                            "min_run",
                            float(cut.sum() * step_s),
                            "s",
                            int(cut_at[0]),
                        )
                    )
            discomfort = np.asarray(heat_pump.too_cold_k.value, dtype=float) + np.asarray(
                heat_pump.too_warm_k.value, dtype=float
            )
            outside = np.flatnonzero(discomfort * hours > _COMFORT_TOLERANCE_K_H / 10)
            total_k_h = float(discomfort.sum() * hours)
            if total_k_h > _COMFORT_TOLERANCE_K_H and outside.size:
                missed.append(
                    MissedTarget(
                        heat_pump.spec.asset_id, "comfort", total_k_h, "K h", int(outside[0])
                    )
                )
        solve_time = built.problem.solver_stats.solve_time if built.problem.solver_stats else None
        gap = _optimality_gap(built, status)
        return Plan(
            start_s=now,
            step_s=step_s,
            problem=built.kind,
            solver=built.problem.solver_stats.solver_name if built.problem.solver_stats else "",
            status=status,
            solve_time_s=None if solve_time is None else float(solve_time),
            objective=float(built.problem.value),
            energy_cost=energy_cost,
            site_w=tuple(float(v) for v in imp_w - exp_w),
            grid_import_w=tuple(float(v) for v in imp_w),
            grid_export_w=tuple(float(v) for v in exp_w),
            pv_w={m.spec.asset_id: _values(m.power_w) for m in built.pv},
            pv_available_w={m.spec.asset_id: _values(m.available_w) for m in built.pv},
            battery_charge_w={m.spec.asset_id: _values(m.charge_w) for m in built.batteries},
            battery_discharge_w={m.spec.asset_id: _values(m.discharge_w) for m in built.batteries},
            battery_soc_pct=batteries_soc,
            ev_w={m.spec.asset_id: _values(m.power_w) for m in built.chargers},
            ev_current_a=ev_current,
            ev_energy_wh=ev_energy,
            heat_pump_w={m.spec.asset_id: _values(m.power_w) for m in built.heat_pumps},
            indoor_temp_c={m.spec.asset_id: _values(m.indoor_temp_c) for m in built.heat_pumps},
            missed=tuple(missed),
            fallback_reason=fallback,
            integer_steps=built.integer_steps,
            optimality_gap=gap,
        )


def _optimality_gap(built: _Built, status: str) -> float | None:
    """The solver's relative optimality gap for this solve (see ``Plan.optimality_gap``)."""
    if built.kind is not ProblemKind.MILP:
        return 0.0 if status == cp.OPTIMAL else None
    stats = built.problem.solver_stats
    gap = getattr(stats.extra_stats, "mip_gap", None) if stats is not None else None
    if gap is None or not math.isfinite(float(gap)):
        return None
    return float(gap)
