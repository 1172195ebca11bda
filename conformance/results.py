"""Verdicts and their evidence: every check's outcome, with the exchanges it judged.

A procedure passes only when every check that applies passed; a skipped check makes the
procedure skipped (never passed), a failed one failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["CheckResult", "Exchange", "ProcedureResult", "RunResult", "Verdict"]


class Verdict(StrEnum):
    PASSED = "pass"
    FAILED = "fail"
    SKIPPED = "skipped"
    NOT_APPLICABLE = "not applicable"


@dataclass
class Exchange:
    """One HTTP request and its answer (or a Notification the tester received)."""

    id: int
    client: str
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    sent_at: float
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""
    received_at: float | None = None
    error: str | None = None
    direction: str = "tester→server"

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class CheckResult:
    step: str
    check: str
    verdict: Verdict
    reason: str
    cites: tuple[str, ...]
    exchanges: tuple[int, ...] = ()
    index: int = 0  # position of the check in its step

    def as_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "check": self.check,
            "verdict": str(self.verdict),
            "reason": self.reason,
            "cites": list(self.cites),
            "exchanges": list(self.exchanges),
        }


@dataclass
class ProcedureResult:
    id: str
    title: str
    area: str
    verdict: Verdict = Verdict.PASSED
    reason: str = ""
    checks: list[CheckResult] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    started_at: float = 0.0
    duration_s: float = 0.0

    def conclude(self) -> None:
        """The procedure's verdict from its checks (unless already decided)."""
        if self.verdict is not Verdict.PASSED:
            return
        failed = [c for c in self.checks if c.verdict is Verdict.FAILED]
        skipped = [c for c in self.checks if c.verdict is Verdict.SKIPPED]
        if failed:
            self.verdict = Verdict.FAILED
            self.reason = f"{failed[0].step}/{failed[0].check}: {failed[0].reason}"
        elif skipped:
            self.verdict = Verdict.SKIPPED
            self.reason = f"{skipped[0].step}/{skipped[0].check}: {skipped[0].reason}"
        elif not any(c.verdict is Verdict.PASSED for c in self.checks):
            self.verdict = Verdict.SKIPPED
            self.reason = "no check applied"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "area": self.area,
            "verdict": str(self.verdict),
            "reason": self.reason,
            "started_at": self.started_at,
            "duration_s": round(self.duration_s, 3),
            "checks": [c.as_json() for c in self.checks],
            "exchanges": [e.as_json() for e in self.exchanges],
        }


@dataclass
class RunResult:
    role: str
    target: str
    profile: str
    procedures: list[ProcedureResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {str(v): 0 for v in Verdict}
        for result in self.procedures:
            out[str(result.verdict)] += 1
        return out

    @property
    def ok(self) -> bool:
        return all(r.verdict in (Verdict.PASSED, Verdict.NOT_APPLICABLE) for r in self.procedures)

    def as_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "target": self.target,
            "profile": self.profile,
            "counts": self.counts(),
            "procedures": [p.as_json() for p in self.procedures],
        }
