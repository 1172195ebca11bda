"""`openderms demo` runs with nothing but the package, issues its controls, stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from openderms.demo import DemoOptions, run_demo


@pytest.mark.slow  # a real server, sites and gateways for a few wall-clock seconds
async def test_bounded_demo_runs_its_scenario_and_the_fleet_follows(tmp_path: Path) -> None:
    report = await run_demo(
        DemoOptions(sites=2, duration_s=9.0, data_dir=tmp_path, step_s=1.5, status_every_s=0.5)
    )
    assert len(report.actions) == 3
    assert report.dcap_url.startswith("https://127.0.0.1:")
    for sources in report.limits_seen.values():
        # The program's default, then the fleet export-limit control.
        assert any(s.startswith("default:") for s in sources)
        assert any(s and not s.startswith("default:") and s != "none" for s in sources)
    assert report.responses > 0


@pytest.mark.slow
def test_ctrl_c_stops_the_demo_cleanly(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "openderms.cli",
            "demo",
            "--sites",
            "1",
            "--step",
            "1",
            "--data-dir",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    for line in process.stdout:
        lines.append(line)
        if "scenario done" in line or time.monotonic() > deadline:
            break
    process.send_signal(signal.SIGINT)
    try:
        rest, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    output = "".join(lines) + rest
    assert process.returncode == 0, output
    assert "admin token:" in output and "/dcap" in output
    assert "demo stopped" in output
    assert "Traceback" not in output
