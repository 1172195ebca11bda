"""`openderms sim`: run simulated devices as Modbus TCP servers or RTU buses on this machine."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]


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
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    import asyncio

    from openderms.client.sim.runtime import run_sim

    return asyncio.run(run_sim(args.config, args.speed, args.start, args.duration))
