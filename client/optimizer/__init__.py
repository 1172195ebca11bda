"""The local optimizer: plans PV, batteries, EV chargers and heat pumps inside the grid
envelope (model-predictive control with cvxpy; HiGHS for LP/MILP, Clarabel for QP).

One optimizer term per module (``pv``, ``battery``, ``ev``, ``heat_pump``,
``envelope_constraints``, ``objective``); :class:`Planner` assembles them once with cvxpy
Parameters and re-solves on every change; :class:`Plan` is the result.

Typical use by the gateway runtime (``now`` from its clock, forecasts from
:mod:`openderms.client.forecast`, the envelope from the event engine)::

    planner = Planner(PlannerConfig(pv=(PvSpec("pv", 6000),),
                                    batteries=(BatterySpec("bat", 10_000, 5000, 5000),),
                                    chargers=(EvChargerSpec("ev"),)), integer=True)
    imp, exp = tariff.prices_over(now, 900, 96)
    plan = planner.plan(now, PlanInputs(load_forecast_w=load.as_array(),
                                        import_price_per_kwh=imp, export_price_per_kwh=exp,
                                        envelope=envelope,
                                        pv_forecast_w={"pv": pv.as_array()},
                                        batteries={"bat": BatteryState(soc_pct=57)},
                                        ev_sessions={"ev": EvSession(arr_s, dep_s, 12_000)}))
    plan.setpoints(0); plan.missed; ev_targets_a(plan, now)  # -> DLM targets

``ReplanSchedule`` says when the next plan is due. ``openderms plan evaluate`` runs the
evaluation week (:mod:`.evaluation`).
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openderms.client.optimizer.battery import BatterySpec, BatteryState
    from openderms.client.optimizer.envelope_constraints import SiteSpec
    from openderms.client.optimizer.errors import OptimizerError, PlanInputError, SolverFailedError
    from openderms.client.optimizer.ev import EvChargerSpec, EvSession
    from openderms.client.optimizer.heat_pump import HeatPumpSpec, HeatPumpState
    from openderms.client.optimizer.mpc import ReplanSchedule, ev_targets_a
    from openderms.client.optimizer.objective import ObjectiveWeights
    from openderms.client.optimizer.plan import MissedTarget, Plan, ProblemKind
    from openderms.client.optimizer.planner import PlanInputs, Planner, PlannerConfig
    from openderms.client.optimizer.pv import PvSpec
    from openderms.client.optimizer.tariff import Tariff, TariffRate, load_tariff_csv

# cvxpy takes seconds and ~100 MiB to import: load the planner only when a name is used,
# so that `openderms --help` and the gateway without an optimizer never pay for it.
_LAZY = {
    "BatterySpec": "openderms.client.optimizer.battery",
    "BatteryState": "openderms.client.optimizer.battery",
    "EvChargerSpec": "openderms.client.optimizer.ev",
    "EvSession": "openderms.client.optimizer.ev",
    "HeatPumpSpec": "openderms.client.optimizer.heat_pump",
    "HeatPumpState": "openderms.client.optimizer.heat_pump",
    "MissedTarget": "openderms.client.optimizer.plan",
    "ObjectiveWeights": "openderms.client.optimizer.objective",
    "OptimizerError": "openderms.client.optimizer.errors",
    "Plan": "openderms.client.optimizer.plan",
    "PlanInputError": "openderms.client.optimizer.errors",
    "PlanInputs": "openderms.client.optimizer.planner",
    "Planner": "openderms.client.optimizer.planner",
    "PlannerConfig": "openderms.client.optimizer.planner",
    "ProblemKind": "openderms.client.optimizer.plan",
    "PvSpec": "openderms.client.optimizer.pv",
    "ReplanSchedule": "openderms.client.optimizer.mpc",
    "SiteSpec": "openderms.client.optimizer.envelope_constraints",
    "SolverFailedError": "openderms.client.optimizer.errors",
    "Tariff": "openderms.client.optimizer.tariff",
    "TariffRate": "openderms.client.optimizer.tariff",
    "ev_targets_a": "openderms.client.optimizer.mpc",
    "load_tariff_csv": "openderms.client.optimizer.tariff",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "BatterySpec",
    "BatteryState",
    "EvChargerSpec",
    "EvSession",
    "HeatPumpSpec",
    "HeatPumpState",
    "MissedTarget",
    "ObjectiveWeights",
    "OptimizerError",
    "Plan",
    "PlanInputError",
    "PlanInputs",
    "Planner",
    "PlannerConfig",
    "ProblemKind",
    "PvSpec",
    "ReplanSchedule",
    "SiteSpec",
    "SolverFailedError",
    "Tariff",
    "TariffRate",
    "ev_targets_a",
    "load_tariff_csv",
]
