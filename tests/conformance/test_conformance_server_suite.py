"""The server suite against ``openderms server``: every server procedure must pass."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from openderms.conformance.loader import load_procedures
from openderms.conformance.model import Role
from openderms.conformance.reports import write_html, write_json, write_junit
from openderms.conformance.results import Verdict
from openderms.conformance.server_runner import ServerRunner, ServerTarget


async def test_openderms_server_passes_the_server_suite(
    server_target: ServerTarget, tmp_path: Path
) -> None:
    if server_target.xsd_dir is None:
        if os.environ.get("CI") == "true":
            pytest.fail(
                "CI=true but the IEEE XSDs are not at ../shared/schemas or $OPENDERMS_XSD_DIR"
            )
        pytest.skip("IEEE 2030.5 XSDs not found (OPENDERMS_XSD_DIR): xsd_valid checks cannot run")
    procedures = [p for p in load_procedures() if p.role is Role.SERVER]
    async with ServerRunner(server_target) as runner:
        run = await runner.run(procedures)
    write_junit(run, tmp_path / "server-suite.xml")
    write_json(run, tmp_path / "server-suite.json")
    write_html(run, tmp_path / "server-suite.html")
    report = "\n".join(f"{r.verdict.value:<15} {r.id:<16} {r.reason}" for r in run.procedures)
    print(report)
    print(f"JUnit: {tmp_path / 'server-suite.xml'}")
    not_passed = [
        r for r in run.procedures if r.verdict not in (Verdict.PASSED, Verdict.NOT_APPLICABLE)
    ]
    assert not not_passed, report
    assert sum(r.verdict is Verdict.PASSED for r in run.procedures) >= len(procedures) // 2
