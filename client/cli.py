"""``openderms client``: run the site gateway (IEEE 2030.5 client + devices)."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:  # Any: argparse's private _SubParsersAction
    """Add the ``client`` verb."""
    parser = subparsers.add_parser(
        "client",
        help="run a site gateway: IEEE 2030.5 client, event engine, device dispatch",
        description=(
            "Run the site gateway. It starts at the DeviceCapability URL of its config, "
            "registers (in band or out of band), follows the server's programs and "
            "controls, dispatches the limits in force to its Modbus/SunSpec devices and "
            "posts status, readings, Responses and LogEvents. State (the held schedule, "
            "unposted readings) is kept in a local SQLite file across restarts."
        ),
        epilog="Example config: see the docstring of openderms.client.config (site.toml).",
    )
    parser.add_argument("--config", required=True, help="the gateway's TOML file (site.toml)")
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        metavar="S",
        help="stop after S seconds (default: run until Ctrl-C)",
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    import asyncio
    import logging

    from openderms.client.config import ConfigError, load_config

    log = logging.getLogger("openderms.client")
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        log.error("%s", exc)
        return 2
    return asyncio.run(_main(config, args.duration))


async def _main(config: Any, duration_s: float | None) -> int:
    import asyncio
    import logging
    import signal

    from openderms.certs.errors import CertsError
    from openderms.client.config import ConfigError
    from openderms.client.devices.errors import DeviceError
    from openderms.client.runtime.app import open_gateway
    from openderms.client.sep2.errors import Sep2ClientError
    from openderms.client.store import StoreError

    log = logging.getLogger("openderms.client")
    try:
        runtime = await open_gateway(config)  # its devices (and optimizer) from the config
    except (CertsError, ConfigError, DeviceError, Sep2ClientError, StoreError, OSError) as exc:
        # Startup problems are the operator's to fix: say which, without a traceback.
        log.error("cannot start the gateway: %s", exc)
        return 2
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, runtime.stop)
    if duration_s is not None:
        loop.call_later(duration_s, runtime.stop)
    log.info("gateway %s starting at %s", config.name, config.dcap_url)
    await runtime.run()
    log.info("gateway %s stopped", config.name)
    return 0
