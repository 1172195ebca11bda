"""Procedures as data: the schema, the loader's error messages, lint, expressions."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from openderms.conformance.catalog import ACTIONS, CHECKS
from openderms.conformance.checks import CHECK_FUNCTIONS
from openderms.conformance.expressions import ExpressionError, evaluate, names_in, substitute
from openderms.conformance.lint import lint
from openderms.conformance.loader import ProcedureError, load_file, load_procedures
from openderms.conformance.model import Role
from openderms.conformance.server_runner import ServerRunner
from openderms.conformance.xml import find_xsd_dir, xsd_names

GOOD = """\
id: SRV-TEST-001
title: A procedure for the tests
role: server
profiles: [csip-aus-1.2]
area: testing
steps:
  - id: get
    action: request
    with: {client: device, href: /dcap}
    checks:
      - {check: status, equals: 200, cites: ["xsd: DeviceCapability"]}
"""


def _write(tmp_path: Path, text: str, name: str = "p.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_the_shipped_suite_loads_and_lints_clean() -> None:
    procedures = load_procedures()
    xsd = find_xsd_dir()
    assert lint(procedures, xsd_names(xsd) if xsd else None) == []
    servers = [p for p in procedures if p.role is Role.SERVER]
    assert len(servers) >= 60
    assert all(check.cites for p in procedures for check in p.checks())


def test_a_schema_error_names_file_line_and_key(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        GOOD.replace(
            '      - {check: status, equals: 200, cites: ["xsd: DeviceCapability"]}',
            "      - {check: status, equals: 200}",
        ),
    )
    with pytest.raises(ProcedureError) as error:
        load_file(path)
    assert error.value.line == 11
    assert error.value.key == "steps[0].checks[0]"
    assert "'cites' is a required property" in str(error.value)
    assert str(error.value).startswith(f"{path}:11:")


def test_a_bad_id_and_unknown_key_are_schema_errors(tmp_path: Path) -> None:
    with pytest.raises(ProcedureError, match="id"):
        load_file(_write(tmp_path, GOOD.replace("SRV-TEST-001", "test 1")))
    with pytest.raises(ProcedureError, match="Additional properties"):
        load_file(_write(tmp_path, GOOD + "extra: 1\n"))
    with pytest.raises(ProcedureError, match="not YAML"):
        load_file(_write(tmp_path, "id: [unclosed\n"))


def _findings(tmp_path: Path, text: str) -> list[str]:
    xsd = find_xsd_dir()
    return [
        f.message
        for f in lint([load_file(_write(tmp_path, text))], xsd_names(xsd) if xsd else None)
    ]


def test_lint_finds_unknown_actions_checks_and_parameters(tmp_path: Path) -> None:
    text = GOOD.replace("action: request", "action: fetch").replace(
        "check: status", "check: statuss"
    )
    messages = _findings(tmp_path, text)
    assert any("unknown action 'fetch'" in m for m in messages)
    assert any("unknown check 'statuss'" in m for m in messages)
    text = GOOD.replace("equals: 200", "equal: 200").replace(
        "href: /dcap", "href: /dcap, verb: GET"
    )
    messages = _findings(tmp_path, text)
    assert any("check 'status' takes no 'equal'" in m for m in messages)
    assert any("action 'request' takes no 'verb'" in m for m in messages)


def test_lint_finds_checks_citing_nothing_and_unknown_xsd_names(tmp_path: Path) -> None:
    messages = _findings(tmp_path, GOOD.replace('cites: ["xsd: DeviceCapability"]', "cites: []"))
    assert any("cites nothing" in m for m in messages)
    if find_xsd_dir() is not None:
        messages = _findings(
            tmp_path, GOOD.replace("xsd: DeviceCapability", "xsd: DeviceCapabilty")
        )
        assert any("'DeviceCapabilty', which the XSDs do not define" in m for m in messages)


def test_lint_finds_unreachable_steps_bad_jumps_duplicates_and_unset_variables(
    tmp_path: Path,
) -> None:
    extra = (
        "  - {id: jump, action: wait, with: {seconds: 1}, goto: last}\n"
        "  - {id: skipped, action: wait, with: {seconds: 1}}\n"
        '  - {id: last, action: request, with: {client: device, href: "${nowhere}"}}\n'
        "  - {id: back, action: wait, with: {seconds: 1}, goto: get}\n"
        '  - {id: last, action: wait, with: {seconds: "later * 2"}}\n'
    )
    messages = _findings(tmp_path, GOOD + extra)
    assert any("unreachable" in m for m in messages), messages
    assert any("jumps backwards" in m for m in messages)
    assert any("duplicate step id" in m for m in messages)
    assert any("'nowhere' is read before any step sets it" in m for m in messages)
    assert any("'later' is read before any step sets it" in m for m in messages)


def test_duplicate_procedure_ids_are_found(tmp_path: Path) -> None:
    first = load_file(_write(tmp_path, GOOD, "a.yaml"))
    second = load_file(_write(tmp_path, GOOD, "b.yaml"))
    assert any("duplicate id" in f.message for f in lint([first, second]))


def test_expressions_with_units_variables_and_conditions() -> None:
    assert evaluate("now + 5 min", {"now": 1000}) == 1300
    assert evaluate("pollRate * 2", {"pollRate": 900}) == 1800
    assert evaluate("(1 h - 10 s) / 2", {}) == 1795
    assert evaluate("results >= 1", {"results": 0}) is False
    assert evaluate("profile == 'csip'", {"profile": "csip"}) is True
    assert names_in("start + pollRate * 2 min") == ["start", "pollRate"]
    with pytest.raises(ExpressionError, match="not set"):
        evaluate("later + 1", {})
    with pytest.raises(ExpressionError):
        evaluate("__import__('os')", {})
    assert substitute({"href": "${a}/x", "n": "${b}"}, {"a": "/edev/1", "b": 7}) == {
        "href": "/edev/1/x",
        "n": 7,
    }


def test_the_catalog_and_the_server_runner_implement_the_same_names() -> None:
    assert set(CHECK_FUNCTIONS) == set(CHECKS)
    server_actions = {name for name, spec in ACTIONS.items() if Role.SERVER in spec.roles}
    implemented = {name[4:] for name in dir(ServerRunner) if name.startswith("_do_")}
    assert implemented == server_actions
