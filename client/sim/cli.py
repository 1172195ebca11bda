"""`openderms sim`: run simulated devices as Modbus TCP servers or RTU buses on this machine."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openderms.client.sim.config import SimConfig

__all__ = ["register", "with_base_port"]


def register(subparsers: Any) -> None:
    """Add the ``sim`` verb (argparse's subparsers action has no public type)."""
    parser = subparsers.add_parser(
        "sim",
        help="run simulated DER (PV, battery, meter, EV charger, heat pump) over Modbus TCP/RTU",
        description=(
            "Run a simulated site: each device is a real Modbus TCP server (SunSpec for the "
            "inverter, battery and meter; plain registers for the EV charger and heat pump) "
            "with simple physics stepped by the clock. Point a gateway at the printed ports. "
            "Devices naming a [[bus]] (serial = port path, baudrate, parity) answer their "
            'unit_id over Modbus RTU on that serial line instead (serial = "pty": a virtual '
            "cable; the log names the end for the gateway)."
        ),
    )
    parser.add_argument("--config", help="site TOML (default: the packaged default.toml)")
    parser.add_argument(
        "--speed", type=float, default=1.0, help="simulated seconds per wall second (default 1)"
    )
    parser.add_argument(
        "--start",
        help="simulated start time, ISO 8601 (default: now); e.g. 2026-01-15T12:00:00+10:00",
    )
    parser.add_argument(
        "--duration", type=float, default=None, help="stop after this many wall seconds"
    )
    parser.add_argument(
        "--base-port",
        type=int,
        default=None,
        help="fixed ports: the Modbus TCP devices listen on BASE, BASE+1, ... in config order "
        "(pv, battery, meter, ev, heatpump for the packaged site; examples/site.toml expects "
        "15020)",
    )
    parser.set_defaults(handler=_run)


def with_base_port(config: SimConfig, base_port: int) -> SimConfig:
    """``config`` with its Modbus TCP devices on ``base_port``, ``base_port + 1``, ..."""
    from dataclasses import replace

    tcp = [d for d in config.devices if d.bus is None]
    if not 1 <= base_port <= 65535 - max(len(tcp) - 1, 0):
        raise SystemExit(
            f"openderms sim: --base-port {base_port} leaves no room for {len(tcp)} ports"
        )
    ports = {d.name: base_port + i for i, d in enumerate(tcp)}
    return replace(
        config,
        devices=tuple(
            replace(d, port=ports[d.name]) if d.name in ports else d for d in config.devices
        ),
    )


def _run(args: argparse.Namespace) -> int:
    import asyncio

    from openderms.client.sim.config import default_config, load_config
    from openderms.client.sim.runtime import run_sim

    config: str | SimConfig | None = args.config
    if args.base_port is not None:
        config = with_base_port(
            load_config(args.config) if args.config else default_config(), args.base_port
        )
    return asyncio.run(run_sim(config, args.speed, args.start, args.duration))
