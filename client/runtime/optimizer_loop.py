"""The optimizer in the running gateway: plan inside the envelope, dispatch the plan.

:class:`OptimizerLoop` keeps the inflexible-load history (in memory) and the EV sessions,
makes the forecasts, reads the engine's :class:`~openderms.client.envelope.GridEnvelope`
over the horizon and re-plans on :class:`~openderms.client.optimizer.ReplanSchedule`
(every ``replan_s``, at every scheduled change of the envelope, and at once when the
envelope, a car's plug state or a battery's state of charge changes). The solve runs in a
thread executor, so the event loop keeps serving (Notifications, Modbus).

The loop is the :class:`~openderms.client.dispatch.dispatcher.TargetsProvider` of a
:class:`~openderms.client.dispatch.Dispatcher`: asked for the current interval's targets on
every cycle, which the dispatcher clamps into the envelope (the DLM sets the EV currents)
before writing. Whenever there is no usable plan (no plan yet, the solve failed, or it is
still running after ``solve_wait_s``), dispatch is envelope-only, as without an optimizer,
and the reason is logged. :func:`openderms.client.runtime.app.devices_site` composes the
two when ``[optimizer] enabled = true``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from openderms.client.devices.kinds import DeviceKind
from openderms.client.devices.site import Site
from openderms.client.devices.telemetry import SiteTelemetry
from openderms.client.dispatch.site_targets import SiteTargets
from openderms.client.envelope import EnvelopeSegment, GridEnvelope
from openderms.client.events import FALLBACK_SOURCE
from openderms.client.forecast import ForecastError, PvArraySpec, PvForecaster
from openderms.client.optimizer import (
    OptimizerError,
    Plan,
    PlanInputs,
    Planner,
    PlannerConfig,
    ReplanSchedule,
    Tariff,
    TariffRate,
    load_tariff_csv,
)
from openderms.client.optimizer.site_inputs import (
    EvSessions,
    LoadHistory,
    SiteModel,
    battery_states,
    inflexible_load_w,
    planner_site,
    targets_from_plan,
)
from openderms.client.optimizer_settings import OptimizerSettings

__all__ = ["EnvelopeSource", "OptimizerLoop"]

log = logging.getLogger(__name__)

EnvelopeSource = Callable[[float, float], GridEnvelope]
"""``(now, horizon_s) -> GridEnvelope``: the event engine's ``envelope`` method."""
PlannerFactory = Callable[[PlannerConfig, bool], Planner]


@dataclass(frozen=True, slots=True)
class _Solve:
    """A solve in flight, and what it was made from."""

    future: asyncio.Future[Plan]
    started_s: float
    signature: object


class OptimizerLoop:
    """Plans the site and says what the plan asks for now.

    Parameters
    ----------
    settings : OptimizerSettings
    site : Site
        The gateway's devices (for capabilities and phases).
    envelope_source : callable
        ``(now, horizon_s) -> GridEnvelope`` (the event engine's ``envelope``).
    executor : concurrent.futures.Executor, optional
        Where solves run; the event loop's default executor when None.
    planner_factory : callable, optional
        Builds the planner from its config; :class:`Planner` by default.
    """

    def __init__(
        self,
        settings: OptimizerSettings,
        site: Site,
        envelope_source: EnvelopeSource,
        executor: concurrent.futures.Executor | None = None,
        planner_factory: PlannerFactory = Planner,
    ) -> None:
        self.settings = settings
        self.site = site
        self.envelope_source = envelope_source
        self.executor = executor
        self.planner_factory = planner_factory
        self.schedule = ReplanSchedule(settings.replan_s)
        self.history = LoadHistory(settings.step_s, settings.history_days * 86_400.0)
        self.sessions = EvSessions(
            settings.ev_target_energy_wh, settings.ev_session_s, settings.ev_surplus_value_per_kwh
        )
        self.tariff: Tariff = (
            load_tariff_csv(settings.tariff)
            if settings.tariff is not None
            else Tariff(
                (TariffRate(0.0, settings.import_price_per_kwh, settings.export_price_per_kwh),)
            )
        )
        self.plan: Plan | None = None
        """The plan being followed, if any."""
        self.plan_signature: object = None
        self.last_error: str | None = None
        """Why the last plan attempt gave no plan (None after a success)."""
        self.plans_made = 0
        self._last_attempt_s: float | None = None
        self._solve: _Solve | None = None
        self._model: SiteModel | None = None
        self._planner: Planner | None = None
        self._changed = False
        self._pv_forecasters: dict[str, PvForecaster] = {}

    # ------------------------------------------------------------ observing

    def observe(self, telemetry: SiteTelemetry) -> None:
        """Record the load and the chargers' plug state of one telemetry snapshot."""
        load_w = inflexible_load_w(telemetry)
        if load_w is not None:
            self.history.add(telemetry.now, load_w)
        chargers = [n for n in self.site.drivers if self.site.kind(n) == DeviceKind.EV_CHARGER]
        if self.sessions.observe(telemetry, chargers):
            self._changed = True

    def _site_model(self, telemetry: SiteTelemetry) -> SiteModel:
        capabilities = {
            name: frozenset(driver.capabilities) for name, driver in self.site.drivers.items()
        }
        phases = {name: config.phases for name, config in self.site.configs.items()}
        return planner_site(telemetry, capabilities, phases, self.settings.phase_limit_a)

    def _planner_for(self, model: SiteModel) -> Planner:
        if self._planner is None or model != self._model:
            settings = self.settings
            config = PlannerConfig(
                site=model.site,
                pv=model.pv,
                batteries=model.batteries,
                chargers=model.chargers,
                step_s=settings.step_s,
                steps=settings.steps,
                integer_steps=settings.integer_steps,
                mip_time_limit_s=settings.solve_time_limit_s,
            )
            self._planner = self.planner_factory(config, settings.integer)
            self._model = model
            log.info(
                "optimizer plans %d PV, %d batteries, %d chargers over %d x %.0f s",
                len(model.pv),
                len(model.batteries),
                len(model.chargers),
                settings.steps,
                settings.step_s,
            )
        return self._planner

    def _pv_forecast_w(
        self, telemetry: SiteTelemetry, model: SiteModel, now: float
    ) -> dict[str, npt.NDArray[np.float64]]:
        settings = self.settings
        result: dict[str, npt.NDArray[np.float64]] = {}
        for spec in model.pv:
            if settings.latitude_deg is not None and settings.longitude_deg is not None:
                forecaster = self._pv_forecasters.get(spec.asset_id)
                if forecaster is None:
                    forecaster = PvForecaster(
                        PvArraySpec(
                            settings.latitude_deg,
                            settings.longitude_deg,
                            dc_capacity_w=spec.rated_w * 1.1,
                            ac_capacity_w=spec.rated_w,
                        )
                    )
                    self._pv_forecasters[spec.asset_id] = forecaster
                try:
                    values = forecaster.forecast(now, settings.step_s, settings.steps).as_array()
                    result[spec.asset_id] = np.clip(values, 0.0, spec.rated_w)
                    continue
                except ForecastError as exc:
                    log.warning("PV forecast of %s failed (%s): persistence", spec.asset_id, exc)
            device = telemetry.devices.get(spec.asset_id)
            now_w = (device.get("active_power_w") if device is not None else None) or 0.0
            result[spec.asset_id] = np.full(settings.steps, min(max(now_w, 0.0), spec.rated_w))
        return result

    def _inputs(
        self, telemetry: SiteTelemetry, model: SiteModel, envelope: GridEnvelope, now: float
    ) -> PlanInputs:
        settings = self.settings
        imp, exp = self.tariff.prices_over(now, settings.step_s, settings.steps)
        return PlanInputs(
            load_forecast_w=self.history.forecast_w(now, settings.steps),
            import_price_per_kwh=imp,
            export_price_per_kwh=exp,
            envelope=envelope,
            pv_forecast_w=self._pv_forecast_w(telemetry, model, now),
            batteries=battery_states(telemetry, model.batteries),
            ev_sessions=self.sessions.sessions(telemetry, model.chargers, settings.step_s),
        )

    # ------------------------------------------------------------- planning

    def _signature(self, envelope: GridEnvelope, now: float) -> object:
        """What the plan depends on in the envelope, independent of ``now`` moving on.

        The engine clips segments to [now, now + horizon), so clipped edges are left out;
        a control starting or ending changes the signature the first time it is seen
        after the edge, which is when the plan must change. Adjacent segments with equal
        limits are one (the engine splits at the comms-loss deadline), and the start of
        the comms-loss fallback is left out: every server contact moves it, and re-planning
        on each contact would gain nothing.
        """
        end = now + self.settings.horizon_s
        merged: list[EnvelopeSegment] = []
        for seg in envelope.segments:
            if merged and (merged[-1].source, merged[-1].limits) == (seg.source, seg.limits):
                merged[-1] = replace(merged[-1], end=seg.end)
            else:
                merged.append(seg)
        return (
            envelope.baseline,
            tuple(
                (
                    seg.source,
                    seg.limits,
                    seg.start if seg.start > now and seg.source != FALLBACK_SOURCE else None,
                    seg.end if seg.end < end else None,
                )
                for seg in merged
            ),
        )

    def _soc_drifted(self, telemetry: SiteTelemetry, now: float) -> bool:
        plan = self.plan
        if plan is None:
            return False
        index = plan.interval_at(now)
        if index is None:
            return False
        for asset, socs in plan.battery_soc_pct.items():
            device = telemetry.devices.get(asset)
            soc = device.get("soc_pct") if device is not None else None
            if soc is not None and abs(soc - socs[index]) > self.settings.soc_replan_pct:
                return True
        return False

    def _start(self, telemetry: SiteTelemetry, envelope: GridEnvelope, now: float) -> None:
        model = self._site_model(telemetry)
        planner = self._planner_for(model)
        inputs = self._inputs(telemetry, model, envelope, now)
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.executor, planner.plan, now, inputs)
        self._solve = _Solve(future, now, self._signature(envelope, now))

    def _failed(self, exc: BaseException, what: str) -> None:
        self.plan = None
        self.last_error = f"{type(exc).__name__}: {exc}"
        # Expected faults (no solution, bad inputs) are a warning; anything else is a bug
        # worth a traceback, but still only costs the plan, never the dispatch.
        expected = isinstance(exc, OptimizerError | ForecastError | ValueError)
        log.warning("%s, envelope-only dispatch: %s", what, self.last_error, exc_info=not expected)

    def _collect(self) -> None:
        solve = self._solve
        assert solve is not None and solve.future.done()
        self._solve = None
        try:
            plan = solve.future.result()
        except Exception as exc:  # any planner fault must cost the plan, not the dispatch
            self._failed(exc, "optimizer failed")
            return
        self.plan, self.plan_signature = plan, solve.signature
        self.last_error = None
        self.plans_made += 1
        log.info(
            "plan %s (%s, %s, solver %.3f s): cost %.2f, missed %s",
            self.plans_made,
            plan.problem.value,
            plan.status,
            plan.solve_time_s or 0.0,
            plan.energy_cost,
            [f"{m.asset_id}:{m.target}" for m in plan.missed] or "none",
        )

    async def targets(self, now: float, telemetry: SiteTelemetry) -> SiteTargets | None:
        """The plan's wishes for ``now`` [s since epoch]; None: dispatch envelope-only.

        Records ``telemetry``, starts a solve when one is due, and waits up to
        ``solve_wait_s`` for a solve in flight.
        """
        self.observe(telemetry)
        settings = self.settings
        try:
            envelope = self.envelope_source(now, settings.horizon_s)
        except Exception as exc:  # the engine's own errors: planning must not stop dispatch
            log.warning("no envelope for the optimizer (%s): envelope-only dispatch", exc)
            return None
        if self._solve is None:
            changed = (
                self._changed
                or (
                    self.plan is not None and self._signature(envelope, now) != self.plan_signature
                )
                or self._soc_drifted(telemetry, now)
            )
            # The envelope's own edges are in the signature; the engine's clipped envelope
            # would make ReplanSchedule see a "change" at every ``now``.
            if self.schedule.is_due(self._last_attempt_s, now, changed):
                self._changed = False
                self._last_attempt_s = now
                try:
                    self._start(telemetry, envelope, now)
                except Exception as exc:  # as in _collect
                    self._failed(exc, "cannot plan")
                    return None
        if self._solve is not None:
            await asyncio.wait({self._solve.future}, timeout=settings.solve_wait_s)
            if self._solve.future.done():
                self._collect()
            else:
                log.warning(
                    "plan started at %.0f not ready after waiting %.1f s: envelope-only "
                    "dispatch until it is",
                    self._solve.started_s,
                    settings.solve_wait_s,
                )
                return None
        plan = self.plan
        if plan is None or now - plan.start_s > settings.max_plan_age_s:
            return None
        return targets_from_plan(plan, now)
