"""Gateway footprint: resident memory and idle CPU of ``openderms client`` with 5 devices.

The gateway runs as its own process (``openderms client --config site.toml``) with the
default rates (sample 60 s, dispatch 30 s, post 300 s, server pollRate 900 s, subscribed),
against a server and the default simulated site (PV, battery, meter, EV charger, heat
pump: five Modbus TCP devices) that run in this process. After a warm-up, the gateway's
CPU time (utime + stime from /proc) over an idle window and its resident memory
(VmRSS, peak VmHWM) are read.

Baseline in the same run: a Python process that imports the same gateway modules and
sleeps (what the interpreter and the libraries cost before the gateway does anything).

Linux only (/proc). Usage: python benchmarks/bench_gateway_footprint.py [--window 60]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from openderms.client.sim.config import default_config
from openderms.client.sim.server import start_site
from openderms.testing.gateway import make_pki
from openderms.testing.head_end import running_server

_TICKS_PER_S = os.sysconf("SC_CLK_TCK")
# The gateway verb alone, without the other verbs `openderms` registers (their imports are
# paid by every `openderms ...` command; the third row shows what that adds).
_GATEWAY_ONLY = (
    "import argparse, logging, sys; from openderms.client import cli; "
    "logging.basicConfig(level=logging.WARNING); "
    "p = argparse.ArgumentParser(); cli.register(p.add_subparsers()); "
    "a = p.parse_args(sys.argv[1:]); sys.exit(a.handler(a))"
)
_IMPORTS = (
    "import openderms.client.runtime.app, openderms.client.runtime.devices_site, "
    "openderms.client.cli, time; time.sleep(3600)"
)


def cpu_s(pid: int) -> float:
    """utime + stime of a process [s]."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS_PER_S


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process [KiB]."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


def site_toml(pki_dir: Path, dcap_url: str, devices: list[dict[str, object]]) -> str:
    lines = [
        '[gateway]\nname = "gw1"\nstore = "gw1.sqlite"',
        f'[server]\ndcap_url = "{dcap_url}"',
        f'[tls]\ncert = "{pki_dir / "gw1.pem"}"\nkey = "{pki_dir / "gw1.key"}"\n'
        f'ca = "{pki_dir / "serca.pem"}"',
    ]
    for device in devices:
        entry = "\n".join(
            f"{k} = {v}" if isinstance(v, int) else f'{k} = "{v}"' for k, v in device.items()
        )
        lines.append(f"[[devices]]\n{entry}")
    return "\n".join(lines) + "\n"


async def idle_figures(pid: int, warmup_s: float, window_s: float) -> tuple[float, dict[str, int]]:
    await asyncio.sleep(warmup_s)
    before = cpu_s(pid)
    await asyncio.sleep(window_s)
    return (cpu_s(pid) - before) / window_s * 100.0, memory_kib(pid)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--window", type=float, default=60.0, help="idle window [s]")
    parser.add_argument("--warmup", type=float, default=10.0, help="warm-up [s]")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        pki_dir = make_pki(workdir / "pki", "gw1")
        async with (
            running_server(
                pki_dir, workdir / "server.sqlite", clock=lambda: int(time.time())
            ) as server,
            start_site(default_config(), start=time.time()) as site,
        ):
            devices = site.gateway_config()["devices"]
            config = workdir / "site.toml"
            config.write_text(site_toml(pki_dir, server.dcap_url, devices))
            quiet = {"stdout": asyncio.subprocess.DEVNULL, "stderr": asyncio.subprocess.DEVNULL}
            gateway = await asyncio.create_subprocess_exec(
                sys.executable, "-c", _GATEWAY_ONLY, "client", "--config", str(config), **quiet
            )
            config2 = workdir / "site2.toml"
            config2.write_text(
                site_toml(pki_dir, server.dcap_url, devices).replace("gw1.sqlite", "gw2.sqlite")
            )
            full_cli = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "openderms.cli", "client", "--config", str(config2), **quiet
            )
            baseline = await asyncio.create_subprocess_exec(sys.executable, "-c", _IMPORTS)

            async def physics() -> None:
                while True:
                    site.step(time.time())
                    await asyncio.sleep(1.0)

            stepping = asyncio.create_task(physics())
            try:
                (
                    (cpu_pct, memory),
                    (full_cpu_pct, full_memory),
                    (base_cpu_pct, base_memory),
                ) = await asyncio.gather(
                    idle_figures(gateway.pid, args.warmup, args.window),
                    idle_figures(full_cli.pid, args.warmup, args.window),
                    idle_figures(baseline.pid, args.warmup, args.window),
                )
                alive = gateway.returncode is None and full_cli.returncode is None
            finally:
                stepping.cancel()
                for process in (gateway, full_cli, baseline):
                    if process.returncode is None:
                        process.terminate()
                        await process.wait()
    print(f"gateway footprint, {len(devices)} simulated devices, idle window {args.window:.0f} s")
    print(f"{'process':<36}{'RSS [MiB]':>10}{'peak [MiB]':>11}{'CPU [%]':>9}")
    rows = (
        ("gateway (client verb only)", memory, cpu_pct),
        ("`openderms client` (all verbs)", full_memory, full_cpu_pct),
        ("baseline: gateway imports, asleep", base_memory, base_cpu_pct),
    )
    for name, mem, cpu in rows:
        print(f"{name:<36}{mem['VmRSS'] / 1024:>10.1f}{mem['VmHWM'] / 1024:>11.1f}{cpu:>9.2f}")
    print(f"gateway RSS above baseline: {(memory['VmRSS'] - base_memory['VmRSS']) / 1024:.1f} MiB")
    print("(both gateways share this process's server and the same five devices)")
    if not alive:
        print("WARNING: a gateway process exited during the run")


if __name__ == "__main__":
    asyncio.run(main())
