"""`openderms plan ...`: the optimizer's commands."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``plan`` and its verbs to the ``openderms`` command."""
    plan = subparsers.add_parser(
        "plan",
        help="local optimizer: plan PV, battery, EV and heat pump inside the grid envelope",
        description="Local optimizer commands.",
    )
    verbs = plan.add_subparsers(dest="plan_verb", metavar="VERB", required=True)
    evaluate = verbs.add_parser(
        "evaluate",
        help="run one week of real data through four control strategies and print a table",
        description=(
            "Simulate one week (pvlib's TMY3 weather for Greensboro NC, demandlib's BDEW H0 "
            "household load, a synthetic dynamic tariff, an export envelope) under (a) no "
            "control, (b) rule-based self-consumption, (c) the optimizer re-planning every "
            "15 minutes from forecasts, (d) the optimizer with perfect foresight. Prints net "
            "cost and self-consumption. Takes about half a minute."
        ),
    )
    evaluate.add_argument(
        "--week-start",
        default="2023-04-10",
        help="first day of the week, YYYY-MM-DD (local midnight at the site; default %(default)s)",
    )
    evaluate.add_argument(
        "--days", type=int, default=7, help="days simulated (default %(default)s)"
    )
    evaluate.add_argument(
        "--horizon-hours",
        type=float,
        default=24.0,
        help="planning horizon of strategy (c) (default %(default)s)",
    )
    evaluate.add_argument(
        "--replan-minutes",
        type=int,
        default=15,
        help="how often strategy (c) re-plans, a multiple of 15 (default %(default)s)",
    )
    evaluate.add_argument(
        "--milp-steps",
        type=int,
        default=0,
        help=(
            "strategy (c) solves the MILP with binaries over this many leading intervals "
            "instead of the LP (default %(default)s: LP; 8 takes a few minutes)"
        ),
    )
    evaluate.add_argument(
        "--seed",
        type=int,
        default=2030,
        help="seed of load noise and tariff (default %(default)s)",
    )
    evaluate.set_defaults(handler=_evaluate)


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """HiGHS prints a banner straight to file descriptor 1; keep stdout for the table."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _evaluate(args: argparse.Namespace) -> int:
    from openderms.client.optimizer.evaluation import (
        EvaluationSite,
        format_table,
        run_no_control,
        run_optimizer_forecasts,
        run_optimizer_perfect,
        run_rule_based,
    )
    from openderms.client.optimizer.evaluation_data import load_evaluation_data

    day = datetime.strptime(args.week_start, "%Y-%m-%d").replace(tzinfo=UTC)
    # Local midnight at the UTC-5 site.
    week_start = day.replace(hour=5)
    started = time.monotonic()

    def progress(done: int, total: int) -> None:
        if done % 96 == 0 or done == total:
            sys.stderr.write(f"\r(c) re-planning: {done}/{total} intervals")
            sys.stderr.flush()

    from openderms.client.optimizer.errors import PlanInputError

    try:
        data = load_evaluation_data(week_start, week_days=args.days, seed=args.seed)
    except PlanInputError as error:
        sys.stderr.write(f"openderms plan evaluate: {error}\n")
        return 2
    with _stdout_to_stderr():
        site = EvaluationSite.default()
        results = [run_no_control(data, site), run_rule_based(data, site)]
        results.append(
            run_optimizer_forecasts(
                data,
                site,
                horizon_steps=round(args.horizon_hours * 4),
                progress=progress,
                replan_every=max(args.replan_minutes // 15, 1),
                milp_steps=max(args.milp_steps, 0),
            )
        )
        results.append(run_optimizer_perfect(data, site))
    sys.stderr.write("\n")
    sys.stdout.write(format_table(results, data) + "\n")
    sys.stdout.write(f"\nRun time {time.monotonic() - started:.0f} s\n")
    return 0
