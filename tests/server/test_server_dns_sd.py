"""`openderms server --advertise`: the 2030.5 listener announced by DNS-SD (IEEE 2030.5 cl. 7).

The end-to-end test runs the real command in a subprocess and finds it with the gateway's
own browser over real mDNS on loopback (two processes, two zeroconf instances).
"""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import pytest

from openderms.certs.pki import PkiPaths
from openderms.client.sep2.discovery import browse_dcap_url, instance_label
from openderms.server.discovery import publishable_addresses, service_properties


def test_txt_record_names_dcap_and_the_tls_port_with_txtvers_first() -> None:
    properties = service_properties(8443)
    assert list(properties) == ["txtvers", "dcap", "https", "level"]
    assert properties["txtvers"] == "1"
    assert (properties["dcap"], properties["https"]) == ("/dcap", "8443")


@pytest.mark.parametrize(("port", "path"), [(0, "/dcap"), (65536, "/dcap"), (443, "dcap")])
def test_bad_port_or_relative_path_is_refused(port: int, path: str) -> None:
    with pytest.raises(ValueError):
        service_properties(port, path)


def test_specific_listen_address_is_published_as_is() -> None:
    assert publishable_addresses("192.0.2.4", ["198.51.100.1"]) == ["192.0.2.4"]


def test_wildcard_publishes_lan_addresses_not_loopback_or_link_local() -> None:
    machine = ["127.0.0.1", "192.0.2.4", "::1", "fe80::1%eth0", "2001:db8::4", "169.254.1.1"]
    assert publishable_addresses("0.0.0.0", machine) == ["192.0.2.4"]
    assert publishable_addresses("::", machine) == ["192.0.2.4", "2001:db8::4"]


async def _read_until(
    stdout: asyncio.StreamReader, pattern: str, deadline: float, log: list[str]
) -> str:
    loop = asyncio.get_running_loop()
    while (remaining := deadline - loop.time()) > 0:
        try:
            line = (await asyncio.wait_for(stdout.readline(), remaining)).decode()
        except TimeoutError:
            break
        if not line:
            break  # the process ended
        log.append(line)
        matched = re.search(pattern, line)
        if matched:
            return matched.group(1)
    raise AssertionError(f"no line matching {pattern!r}:\n" + "".join(log))


async def test_gateway_finds_server_started_with_advertise(
    server_pki: PkiPaths, tmp_path: Path
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "openderms.cli",
        "server",
        "--certs",
        str(server_pki.directory),
        "--db",
        str(tmp_path / "server.db"),
        "--listen",
        "127.0.0.1:0",
        "--advertise",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    log: list[str] = []
    try:
        deadline = asyncio.get_running_loop().time() + 30
        port = await _read_until(
            process.stdout, r"2030\.5 listening on https://127\.0\.0\.1:(\d+)", deadline, log
        )
        name = await _read_until(process.stdout, r"advertised by DNS-SD as (\S+)", deadline, log)
        url = await asyncio.wait_for(
            browse_dcap_url(5.0, instance=instance_label(name), interfaces=["127.0.0.1"]), 10
        )
    finally:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()
    assert url == f"https://127.0.0.1:{port}/dcap"


def test_advertise_is_refused_behind_a_tls_proxy(tmp_path: Path) -> None:
    """The listener speaks plain HTTP then: a TXT https key would send gateways astray."""
    import subprocess

    config = tmp_path / "server.toml"
    config.write_text(
        'tls_terminated_by_proxy = true\ntrusted_proxies = ["127.0.0.1"]\n', encoding="utf-8"
    )
    command = [sys.executable, "-m", "openderms.cli", "server", "--config", str(config)]
    # A subprocess with a timeout: were the check lost, the server would run, not hang us.
    done = subprocess.run(
        [*command, "--listen", "127.0.0.1:0", "--db", str(tmp_path / "s.db"), "--advertise"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "--advertise needs the server's own TLS listener" in done.stderr
