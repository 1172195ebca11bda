"""``openderms conformance lint``: what the JSON Schema cannot see.

Unknown actions or checks and their parameters, actions of the other role, duplicate
ids, jumps to nowhere or backwards (procedures never loop), unreachable steps, variables
read before any step sets them, checks that cite nothing, and ``xsd:`` citations that
name nothing in the XSDs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from openderms.conformance.catalog import ACTIONS, CHECKS
from openderms.conformance.expressions import ExpressionError, names_in, template_names
from openderms.conformance.model import Procedure, Step

__all__ = ["BUILTIN_VARIABLES", "Finding", "lint"]

#: Variables every run sets: the tester's clock and each client's identity.
BUILTIN_VARIABLES = frozenset({"now", "profile", "mrid_base"})
_CLIENT_ATTRIBUTE = re.compile(r"^[a-z][a-z0-9_]*\.(lfdi|sfdi)$")


@dataclass(frozen=True)
class Finding:
    path: Path | None
    line: int
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.where}: {self.message}"


def lint(
    procedures: Iterable[Procedure], xsd_names: frozenset[str] | None = None
) -> list[Finding]:
    findings: list[Finding] = []
    seen: dict[str, Procedure] = {}
    for procedure in procedures:
        if procedure.id in seen:
            findings.append(
                Finding(
                    procedure.source,
                    1,
                    procedure.id,
                    f"duplicate id (also {seen[procedure.id].source})",
                )
            )
        seen[procedure.id] = procedure
        findings.extend(_lint_one(procedure, xsd_names))
    return findings


def _lint_one(procedure: Procedure, xsd_names: frozenset[str] | None) -> list[Finding]:
    out: list[Finding] = []

    def say(step: Step | None, message: str, line: int | None = None) -> None:
        where = f"{procedure.id}/{step.id}" if step else procedure.id
        out.append(Finding(procedure.source, line or (step.line if step else 1), where, message))

    steps = procedure.all_steps()
    index = {}
    for position, step in enumerate(steps):
        if step.id in index:
            say(step, "duplicate step id")
        index[step.id] = position
    defined = set(BUILTIN_VARIABLES)
    reachable = _reachable(steps, index)
    for position, step in enumerate(steps):
        spec = ACTIONS.get(step.action)
        if spec is None:
            say(step, f"unknown action {step.action!r} (known: {', '.join(sorted(ACTIONS))})")
        else:
            if procedure.role not in spec.roles:
                say(step, f"action {step.action!r} is not for the {procedure.role} role")
            given = set(step.params)
            if step.action != "set":
                for missing in sorted(spec.required - given):
                    say(step, f"action {step.action!r} needs {missing!r}")
                for unknown in sorted(given - spec.required - spec.optional):
                    say(step, f"action {step.action!r} takes no {unknown!r}")
        if step.goto is not None:
            if step.goto not in index:
                say(step, f"goto {step.goto!r}: no such step")
            elif index[step.goto] <= position:
                say(step, f"goto {step.goto!r} jumps backwards (procedures never loop)")
        if position not in reachable:
            say(step, "unreachable: an earlier goto always jumps past it")
        used = list(template_names(step.params))
        for expression in [step.when, *(_expressions(step))]:
            if expression is None:
                continue
            try:
                used.extend(names_in(expression))
            except ExpressionError as exc:
                say(step, str(exc))
        for name in used:
            if name not in defined and not _CLIENT_ATTRIBUTE.match(name):
                say(step, f"variable {name!r} is read before any step sets it")
        defined.update(step.save)
        if step.action == "set":
            defined.update(step.params)
        for check in step.checks:
            _lint_check(say, step, check.name, check.params, check.cites, check.line, xsd_names)
            if check.name == "expression" and "that" in check.params:
                try:
                    for name in names_in(check.params["that"]):
                        if name not in defined and not _CLIENT_ATTRIBUTE.match(name):
                            say(step, f"check reads {name!r}, which no step sets", check.line)
                except ExpressionError as exc:
                    say(step, str(exc), check.line)
    return out


def _expressions(step: Step) -> list[str]:
    """Parameters that are evaluated as expressions (timing), not templates."""
    keys = {"seconds", "within", "duration", "start", "randomize_start", "randomize_duration"}
    return [str(v) for k, v in step.params.items() if k in keys and isinstance(v, str)]


def _lint_check(say, step, name, params, cites, line, xsd_names) -> None:  # type: ignore[no-untyped-def]
    spec = CHECKS.get(name)
    if spec is None:
        say(step, f"unknown check {name!r} (known: {', '.join(sorted(CHECKS))})", line)
    else:
        for unknown in sorted(set(params) - spec.params):
            say(step, f"check {name!r} takes no {unknown!r}", line)
    if not cites:
        say(
            step,
            f"check {name!r} cites nothing: say which clause, requirement or element it tests",
            line,
        )
    for cite in cites:
        kind, _, what = cite.partition(":")
        if kind == "xsd" and xsd_names is not None:
            for element in (part.strip() for part in what.split(",")):
                if element not in xsd_names:
                    say(step, f"cites {element!r}, which the XSDs do not define", line)


def _reachable(steps: tuple[Step, ...], index: dict[str, int]) -> set[int]:
    """Positions reached from the first step: each step falls through to the next unless
    it has an unconditional goto; a conditional step may also be skipped (falls through)."""
    reached: set[int] = set()
    frontier = [0] if steps else []
    while frontier:
        position = frontier.pop()
        if position in reached or position >= len(steps):
            continue
        reached.add(position)
        step = steps[position]
        target = index.get(step.goto) if step.goto else None
        if target is not None and target > position:
            frontier.append(target)
            if step.when is not None:  # skipped when false: falls through
                frontier.append(position + 1)
        else:
            frontier.append(position + 1)
    return reached
