"""``openderms conformance``: list, lint and run as a user types them."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

from openderms.conformance.drivers import OpenDermsAdminDriver
from openderms.conformance.server_runner import ServerTarget
from openderms.testing.xsd import xsd_dir

OPENDERMS = [sys.executable, "-m", "openderms.cli"]


def _admin_args(target: ServerTarget) -> list[str]:
    """The openderms driver's options for the server under test."""
    driver = target.driver
    assert isinstance(driver, OpenDermsAdminDriver)
    return [
        "--admin-url",
        driver.base_url,
        "--admin-token",
        driver.token,
        "--admin-ca",
        str(target.ca),
    ]


async def _run_cli(args: list[str]) -> tuple[int, bytes, bytes]:
    """Run the command beside the test's own server (the event loop keeps serving)."""
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return int(process.returncode or 0), out, err


def test_list_shows_the_server_procedures() -> None:
    out = subprocess.run(
        [*OPENDERMS, "conformance", "list", "--role", "server"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    lines = out.splitlines()
    assert len(lines) >= 60
    assert all(line.startswith("SRV-") for line in lines)


def test_lint_exits_non_zero_on_a_broken_procedure(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "id: SRV-X-001\ntitle: broken one\nrole: server\nprofiles: [csip]\narea: x\n"
        "steps:\n  - {id: a, action: teleport, checks: [{check: status, cites: []}]}\n"
    )
    result = subprocess.run(
        [*OPENDERMS, "conformance", "lint", str(broken)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "unknown action 'teleport'" in result.stdout
    assert "cites nothing" in result.stdout


async def test_run_against_our_server_writes_junit(
    server_target: ServerTarget, tmp_path: Path
) -> None:
    clients = server_target.clients
    args = [
        *OPENDERMS,
        "conformance",
        "run",
        "SRV-DCAP-001",
        "SRV-EDEV-004",
        "--server",
        server_target.dcap_url,
        "--ca",
        str(server_target.ca),
        "--cert",
        str(clients["device"].cert),
        "--key",
        str(clients["device"].key),
        "--client",
        f"device2={clients['device2'].cert},{clients['device2'].key}",
        "--driver",
        "openderms",
        *_admin_args(server_target),
        "--junit",
        str(tmp_path / "junit.xml"),
        "--html",
        str(tmp_path / "report.html"),
    ]
    if xsd_dir() is not None:
        args += ["--xsd-dir", str(xsd_dir())]
    returncode, out, err = await _run_cli(args)
    assert returncode == 0, out.decode() + err.decode()
    suite = ET.parse(tmp_path / "junit.xml").getroot()
    assert suite.get("tests") == "2" and suite.get("failures") == "0"
    assert "SRV-EDEV-004" in (tmp_path / "report.html").read_text()


async def test_load_runs_a_small_fleet_without_errors(
    server_target: ServerTarget, tmp_path: Path
) -> None:
    pki_dir = server_target.ca.parent
    args = [
        *OPENDERMS,
        "conformance",
        "load",
        "--server",
        server_target.dcap_url,
        "--ca",
        str(server_target.ca),
        "--pki",
        str(pki_dir),
        "--clients",
        "4",
        "--poll",
        "1",
        "--post",
        "1",
        "--duration",
        "3",
        *_admin_args(server_target),
    ]
    returncode, out, err = await _run_cli(args)
    text = out.decode()
    assert returncode == 0, text + err.decode()
    assert "4 clients" in text and "0 errors" in text
    for kind in ("dcap", "edev", "fsa", "post"):  # no program is assigned: no derp
        assert f"  {kind} " in text, text
