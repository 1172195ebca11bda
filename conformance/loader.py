"""Load procedure YAML files, validated against the JSON Schema shipped in the package.

Every error names the file, the line and the key (``procedures/server/dcap.yaml:12:
steps[1].checks[0]: 'cites' is a required property``), so a procedure author finds the
mistake without reading a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from openderms.conformance.model import Check, Procedure, Profile, Role, Step

__all__ = [
    "PROCEDURES_DIR",
    "ProcedureError",
    "load_file",
    "load_procedures",
    "procedure_files",
]

PROCEDURES_DIR = Path(str(resources.files("openderms.conformance"))) / "procedures"


class ProcedureError(ValueError):
    """A procedure file that cannot be used, with where in it."""

    def __init__(self, path: Path, line: int, key: str, message: str) -> None:
        self.path, self.line, self.key, self.message = path, line, key, message
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {key + ': ' if key else ''}{message}")


@cache
def _validator() -> jsonschema.Draft202012Validator:
    text = resources.files("openderms.conformance").joinpath("procedure.schema.json")
    schema = json.loads(text.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _key(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _lines(
    node: yaml.Node, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], int]]:
    """(path, 1-based line) of every node in a composed YAML document."""
    yield path, node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            yield from _lines(value_node, (*path, str(key_node.value)))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _lines(item, (*path, index))


def _line_of(lines: dict[tuple[str | int, ...], int], path: tuple[str | int, ...]) -> int:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def load_file(path: Path) -> Procedure:
    """One procedure file, schema-checked; raises :class:`ProcedureError`."""
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise ProcedureError(path, 0, "", f"cannot read: {exc}") from exc
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise ProcedureError(path, line, "", f"not YAML: {exc.problem}") from exc
    if node is None or not isinstance(data, dict):
        raise ProcedureError(path, 1, "", "a procedure is a YAML mapping")
    lines = dict(_lines(node))
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        first = errors[0]
        where = tuple(first.absolute_path)
        raise ProcedureError(path, _line_of(lines, where), _key(where), first.message)
    return _procedure(data, lines, path)


def _procedure(
    data: dict[str, Any], lines: dict[tuple[str | int, ...], int], path: Path
) -> Procedure:
    def steps(key: str) -> tuple[Step, ...]:
        return tuple(
            _step(raw, lines, (key, index)) for index, raw in enumerate(data.get(key, []))
        )

    return Procedure(
        id=data["id"],
        title=data["title"],
        role=Role(data["role"]),
        profiles=tuple(Profile(p) for p in data["profiles"]),
        area=data["area"],
        description=data.get("description", ""),
        preconditions=steps("preconditions"),
        steps=steps("steps"),
        source=path,
    )


def _step(
    raw: dict[str, Any], lines: dict[tuple[str | int, ...], int], where: tuple[str | int, ...]
) -> Step:
    checks = []
    for index, check in enumerate(raw.get("checks", [])):
        params = {k: v for k, v in check.items() if k not in ("check", "cites", "profiles")}
        checks.append(
            Check(
                name=check["check"],
                params=params,
                cites=tuple(check["cites"]),
                profiles=tuple(Profile(p) for p in check.get("profiles", [])),
                line=_line_of(lines, (*where, "checks", index)),
            )
        )
    return Step(
        id=raw["id"],
        action=raw["action"],
        params=dict(raw.get("with", {})),
        checks=tuple(checks),
        save=dict(raw.get("save", {})),
        when=raw.get("when"),
        goto=raw.get("goto"),
        line=_line_of(lines, where),
    )


def procedure_files(paths: Iterable[Path] = ()) -> list[Path]:
    """The YAML files under ``paths`` (files or folders); the shipped suite when empty."""
    roots = list(paths) or [PROCEDURES_DIR]
    found: list[Path] = []
    for root in roots:
        if root.is_dir():
            found.extend(sorted(root.rglob("*.yaml")))
        else:
            found.append(root)
    return found


def load_procedures(paths: Iterable[Path] = ()) -> list[Procedure]:
    """Every procedure under ``paths``; the first unusable file raises."""
    return [load_file(path) for path in procedure_files(paths)]
