"""Re-planning policy and plan-to-DLM targets."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from openderms.client.envelope import EnvelopeLimits, EnvelopeSegment, GridEnvelope
from openderms.client.optimizer import (
    EvChargerSpec,
    EvSession,
    PlanInputs,
    Planner,
    PlannerConfig,
)
from openderms.client.optimizer.mpc import ReplanSchedule, ev_targets_a


def test_first_plan_is_due_at_once() -> None:
    assert ReplanSchedule().is_due(None, 1000.0)


def test_plan_is_due_every_interval() -> None:
    schedule = ReplanSchedule(900.0)

    assert not schedule.is_due(0.0, 899.0)
    assert schedule.is_due(0.0, 900.0)


def test_changed_inputs_force_a_plan() -> None:
    assert ReplanSchedule(900.0).is_due(0.0, 10.0, inputs_changed=True)


def test_envelope_change_brings_the_plan_forward() -> None:
    envelope = GridEnvelope.from_segments(
        [EnvelopeSegment(300.0, 600.0, EnvelopeLimits(export_limit_w=0.0))]
    )

    assert ReplanSchedule(900.0).next_replan_s(0.0, 10.0, envelope) == 300.0


def test_ev_targets_come_from_the_interval_containing_now(
    make_inputs: Callable[..., PlanInputs],
) -> None:
    charger = EvChargerSpec("ev", phases=1, max_current_a=32.0)
    planner = Planner(PlannerConfig(chargers=(charger,), steps=4), integer=False)
    # Only the third interval is cheap: the car charges there.
    prices = np.array([0.5, 0.5, 0.1, 0.5])
    plan = planner.plan(
        1000.0,
        make_inputs(
            4,
            import_price_per_kwh=prices,
            ev_sessions={"ev": EvSession(0.0, 1000.0 + 4 * 900.0, 1000.0)},
        ),
    )

    assert ev_targets_a(plan, 1000.0 + 2 * 900.0 + 10.0)["ev"] == pytest.approx(
        1000.0 / 0.9 / 0.25 / 230.0, rel=1e-4
    )
    assert ev_targets_a(plan, 1000.0)["ev"] == pytest.approx(0.0, abs=1e-6)
    assert ev_targets_a(plan, 1000.0 + 4 * 900.0) == {}
