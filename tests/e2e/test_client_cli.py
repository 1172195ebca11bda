"""`openderms client --config site.toml` as a user runs it: a separate process, a real
server, real simulated devices."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import select

from openderms.client.sim.server import start_site
from openderms.server.store.models import EndDeviceRow, MirrorReadingRow
from openderms.testing.gateway import make_pki, small_site
from openderms.testing.head_end import running_server


def site_toml(pki_dir: Path, dcap_url: str, devices: list[dict[str, object]]) -> str:
    lines = [
        "[gateway]",
        'name = "gw1"',
        'store = "gw1.sqlite"',
        "[server]",
        f'dcap_url = "{dcap_url}"',
        "[tls]",
        f'cert = "{pki_dir / "gw1.pem"}"',
        f'key = "{pki_dir / "gw1.key"}"',
        f'ca = "{pki_dir / "serca.pem"}"',
        "[registration]",
        'mode = "in-band"',
        "[timing]",
        "sample_s = 1",
        "post_s = 1",
        "[fallback]",
        "export_limit_w = 1500",
    ]
    for device in devices:
        lines.append("[[devices]]")
        lines += [
            f"{key} = {value!r}" if isinstance(value, int) else f'{key} = "{value}"'
            for key, value in device.items()
        ]
    return "\n".join(lines) + "\n"


@pytest.mark.slow  # a separate Python process (imports take seconds)
async def test_client_command_registers_and_posts_readings(tmp_path: Path) -> None:
    pki_dir = make_pki(tmp_path / "pki", "gw1")
    async with (
        running_server(
            pki_dir, tmp_path / "server.sqlite", clock=lambda: int(time.time()), post_rate_s=1
        ) as server,
        start_site(small_site(), start=time.time()) as site,
    ):
        config = tmp_path / "site.toml"
        config.write_text(site_toml(pki_dir, server.dcap_url, site.gateway_config()["devices"]))
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "openderms.cli",
            "client",
            "--config",
            str(config),
            "--duration",
            "6",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
        text = output.decode()
        assert process.returncode == 0, text
        with server.store.session() as session:
            devices = session.exec(select(EndDeviceRow)).all()
            readings = session.exec(select(MirrorReadingRow)).all()
    assert [d.lfdi for d in devices] and "registered EndDevice in band" in text
    assert readings
    assert (tmp_path / "gw1.sqlite").exists()
    assert "Traceback" not in text
