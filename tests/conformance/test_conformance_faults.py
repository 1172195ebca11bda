"""Every check of the server suite fails against at least one deliberately broken server.

Each fault of :mod:`openderms.conformance.faults` makes ``openderms server`` wrong on the
wire in one way; the whole suite runs once per fault. A check instance that no fault
makes fail would be a check that cannot fail, and this test names it.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

import pytest

from openderms.conformance.faults import FAULT_NAMES, make_fault
from openderms.conformance.loader import load_procedures
from openderms.conformance.model import Role
from openderms.conformance.results import RunResult, Verdict
from openderms.conformance.server_runner import ServerRunner, ServerTarget

pytestmark = pytest.mark.slow


async def test_every_server_check_fails_against_some_broken_server(
    make_target: Callable[[str], ServerTarget],
) -> None:
    base = make_target("")
    if base.xsd_dir is None:
        pytest.skip("IEEE 2030.5 XSDs not found: xsd_valid checks cannot fail or pass")
    procedures = [p for p in load_procedures() if p.role is Role.SERVER]
    applicable = {
        (p.id, step.id, index)
        for p in procedures
        if base.profile in p.profiles
        for step in p.steps
        for index, check in enumerate(step.checks)
        if check.applies_to(base.profile)
    }

    async def run_with(name: str) -> RunResult:
        # Each fault has its own devices, so the concurrent runs share no program.
        fault = make_fault(name)
        target = dataclasses.replace(make_target(f"{name}-"), fault=fault, max_wait_s=8.0)
        targeted = [p for p in procedures if fault.targets_any(c.name for c in p.checks())]
        async with ServerRunner(target) as runner:
            return await runner.run(targeted)

    runs = await asyncio.gather(*(run_with(name) for name in FAULT_NAMES))
    failed_by: dict[tuple[str, str, int], list[str]] = {}
    for name, run in zip(FAULT_NAMES, runs, strict=True):
        for result in run.procedures:
            for check in result.checks:
                if check.verdict is Verdict.FAILED:
                    failed_by.setdefault((result.id, check.step, check.index), []).append(name)
        failed = sum(r.verdict is Verdict.FAILED for r in run.procedures)
        slowest = max(run.procedures, key=lambda r: r.duration_s)
        print(
            f"{name:<18} {failed:>3} of {len(run.procedures)} procedures failed, "
            f"{sum(r.duration_s for r in run.procedures):5.1f} s (slowest {slowest.id} "
            f"{slowest.duration_s:.1f} s)"
        )
    never = sorted(applicable - set(failed_by))
    print(f"{len(applicable)} checks, {len(applicable) - len(never)} seen failing")
    assert not never, f"checks no fault makes fail: {never}"
