"""`openderms openadr ...` against `openderms server` (admin API and VTN over real HTTPS)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from openderms.cli import main
from openderms.testing.openadr_vtn import RunningVtn

pytestmark = pytest.mark.slow


async def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    # The CLI is synchronous; the server runs on this test's event loop.
    code = await asyncio.to_thread(main, list(argv))
    out, err = capsys.readouterr()
    text = out if code == 0 else err
    try:
        return code, json.loads(text)
    except ValueError:
        return code, text


async def test_business_logic_verbs_end_to_end(
    running_vtn: RunningVtn, capsys: pytest.CaptureFixture[str]
) -> None:
    vtn = running_vtn
    admin = ["--url", vtn.admin_url, "--token", vtn.admin_token, "--ca", vtn.ca_file]
    code, made = await _run(
        capsys, "openadr", "clients", "create", *admin, "--id", "utility", "--role", "bl"
    )
    assert code == 0 and made["client_id"] == "utility" and "read_all" in made["scopes"]
    bl = ["--vtn", vtn.base_url, "--ca", vtn.ca_file, "--client-id", "utility"]
    bl += ["--client-secret", made["client_secret"]]

    code, program = await _run(
        capsys, "openadr", "programs", "create", *bl, "ResTOU", "--target", "feeder-1"
    )
    assert code == 0 and program["programName"] == "ResTOU" and program["targets"] == ["feeder-1"]
    code, event = await _run(
        capsys,
        "openadr", "events", "create", *bl,
        "--program", program["id"], "--type", "EXPORT_CAPACITY_LIMIT",
        "--value", "5", "--units", "KW", "--duration", "PT30M",
    )  # fmt: skip
    assert code == 0
    assert event["intervals"][0]["payloads"] == [
        {"type": "EXPORT_CAPACITY_LIMIT", "values": [5.0]}
    ]
    assert event["intervalPeriod"] == {"start": "0001-01-01T00:00:00Z", "duration": "PT30M"}
    code, events = await _run(capsys, "openadr", "events", "list", *bl, "--program", program["id"])
    assert code == 0 and [e["id"] for e in events] == [event["id"]]
    code, vens = await _run(capsys, "openadr", "vens", "list", *bl)
    assert code == 0 and vens == []
    code, reports = await _run(capsys, "openadr", "reports", "list", *bl, "--event", event["id"])
    assert code == 0 and reports == []
    code, deleted = await _run(capsys, "openadr", "events", "delete", *bl, event["id"])
    assert code == 0 and deleted["id"] == event["id"]

    code, clients = await _run(capsys, "openadr", "clients", "list", *admin)
    assert code == 0 and "utility" in [c["client_id"] for c in clients]
    code, _ = await _run(capsys, "openadr", "clients", "disable", *admin, "utility")
    assert code == 0
    code, refused = await _run(capsys, "openadr", "programs", "list", *bl)
    assert code == 1 and refused["status"] == 401


async def test_admin_api_refuses_without_a_utility_token(
    running_vtn: RunningVtn, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = await _run(
        capsys, "openadr", "clients", "list", "--url", running_vtn.admin_url,
        "--token", "od_wrong", "--ca", running_vtn.ca_file,
    )  # fmt: skip
    assert code == 1


def test_every_openadr_verb_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["openadr"],
        ["openadr", "clients"],
        ["openadr", "clients", "create"],
        ["openadr", "programs", "create"],
        ["openadr", "events", "create"],
        ["openadr", "events", "list"],
        ["openadr", "vens", "list"],
        ["openadr", "reports", "list"],
    ):
        with pytest.raises(SystemExit) as exit_info:
            main([*argv, "--help"])
        assert exit_info.value.code == 0
        assert "usage: openderms openadr" in capsys.readouterr().out
