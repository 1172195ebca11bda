"""Results for machines (JSON, JUnit XML) and for a test lab (one HTML file)."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

from jinja2 import Environment, PackageLoader, select_autoescape

from openderms.conformance.results import RunResult, Verdict

__all__ = ["write_html", "write_json", "write_junit"]


def write_json(run: RunResult, path: Path) -> None:
    path.write_text(json.dumps(run.as_json(), indent=2), encoding="utf-8")


def write_junit(run: RunResult, path: Path) -> None:
    """One testsuite per run, one testcase per procedure; skipped and not-applicable
    procedures are <skipped/> with their reason, never passes."""
    counts = run.counts()
    suite = ET.Element(
        "testsuite",
        name=f"openderms conformance {run.role} ({run.profile})",
        tests=str(len(run.procedures)),
        failures=str(counts[str(Verdict.FAILED)]),
        skipped=str(counts[str(Verdict.SKIPPED)] + counts[str(Verdict.NOT_APPLICABLE)]),
        errors="0",
    )
    for result in run.procedures:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{run.role}.{result.area}",
            name=f"{result.id} {result.title}",
            time=f"{result.duration_s:.3f}",
        )
        if result.verdict is Verdict.FAILED:
            ET.SubElement(case, "failure", message=result.reason).text = "\n".join(
                f"{c.step}/{c.check} [{'; '.join(c.cites)}]: {c.verdict}: {c.reason}"
                for c in result.checks
            )
        elif result.verdict in (Verdict.SKIPPED, Verdict.NOT_APPLICABLE):
            ET.SubElement(case, "skipped", message=f"{result.verdict}: {result.reason}")
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def write_html(run: RunResult, path: Path) -> None:
    env = Environment(
        loader=PackageLoader("openderms.conformance", "templates"),
        autoescape=select_autoescape(["html"]),
    )
    page = env.get_template("report.html").render(run=run, counts=run.counts())
    path.write_text(page, encoding="utf-8")
