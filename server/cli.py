"""``openderms server``: the IEEE 2030.5 utility head-end.

Only argparse is imported here; the handler imports the server when it runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["register"]

_EPILOG = """\
examples:
  openderms certs init pki/
  openderms server --certs pki/ --listen 0.0.0.0:8443
  openderms server --certs pki/ --db postgresql://derms@db/derms --admin-listen 127.0.0.1:8080
  openderms server --config server.toml

Clients start at https://HOST:PORT/dcap with a device certificate of the same PKI.
Settings not given as options come from --config (TOML, a [server] table or top level;
see openderms.server.config.ServerSettings for every key)."""


def register(subparsers: Any) -> None:  # Any: argparse's private _SubParsersAction type
    """Add the ``server`` verb."""
    parser = subparsers.add_parser(
        "server",
        help="run the IEEE 2030.5 utility server (head-end)",
        description=(
            "Serve IEEE 2030.5 / CSIP / CSIP-AUS over mutual TLS, storing devices, programs "
            "and telemetry in SQLite (default) or PostgreSQL."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--certs", type=Path, metavar="DIR", help="PKI from `openderms certs init`"
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help="SQLite file/URL (default openderms-server.db) or postgresql://...",
    )
    parser.add_argument(
        "--listen", metavar="HOST:PORT", help="2030.5 address (default 0.0.0.0:8443)"
    )
    parser.add_argument(
        "--admin-listen", metavar="HOST:PORT", help="admin API address (default: no admin API)"
    )
    parser.add_argument(
        "--openadr-listen",
        metavar="HOST:PORT",
        help="OpenADR 3.1 VTN address (HTTPS with --certs; default: no VTN)",
    )
    parser.add_argument(
        "--openadr-mqtt",
        metavar="URL",
        help="MQTT broker the VTN notifies on, e.g. mqtt://127.0.0.1:1883 (default: none)",
    )
    parser.add_argument("--config", type=Path, metavar="FILE", help="TOML settings file")
    parser.add_argument(
        "--advertise",
        action="store_true",
        help="advertise the 2030.5 listener by mDNS/DNS-SD (_smartenergy._tcp) on the LAN",
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    import asyncio
    import signal
    import sys

    from openderms.server.config import ServerSettings, load_settings, parse_host_port
    from openderms.server.errors import ServerError
    from openderms.server.main import run_server
    from openderms.server.runner import ServingHandle

    try:
        settings: ServerSettings = load_settings(args.config).replace(
            certs_dir=args.certs,
            db_url=args.db,
            listen=args.listen,
            admin_listen=args.admin_listen,
            openadr_listen=args.openadr_listen,
            openadr_mqtt_url=args.openadr_mqtt,
        )
        parse_host_port(settings.listen)
        for extra_listen in (settings.admin_listen, settings.openadr_listen):
            if extra_listen is not None:
                parse_host_port(extra_listen)
    except ServerError as exc:
        sys.stderr.write(f"openderms server: {exc}\n")
        return 2
    if args.advertise and settings.tls_terminated_by_proxy:
        # The TXT https key would name a plain-HTTP port: advertise the proxy instead.
        sys.stderr.write("openderms server: --advertise needs the server's own TLS listener\n")
        return 2

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        handle = ServingHandle()

        async def announce() -> None:
            await handle.ready.wait()
            for name, addresses in handle.addresses.items():
                scheme = (
                    "https"
                    if (name == "2030.5" and not settings.tls_terminated_by_proxy)
                    or (name in ("admin", "openadr") and settings.certs_dir is not None)
                    else "http"
                )
                for host, port in addresses:
                    sys.stdout.write(f"{name} listening on {scheme}://{host}:{port}\n")
            sys.stdout.flush()

        announcer = asyncio.create_task(announce())
        advertiser = asyncio.create_task(_advertise(handle)) if args.advertise else None
        try:
            await run_server(settings, shutdown_trigger=stop.wait, handle=handle)
        finally:
            announcer.cancel()
            if advertiser is not None:
                advertiser.cancel()
                await asyncio.gather(advertiser, return_exceptions=True)

    try:
        asyncio.run(main())
    except ServerError as exc:
        sys.stderr.write(f"openderms server: {exc}\n")
        return 2
    return 0


async def _advertise(handle: Any) -> None:
    """Register the bound 2030.5 address by DNS-SD until cancelled (``--advertise``)."""
    import asyncio
    import sys

    from zeroconf import Error as ZeroconfError

    from openderms.server.discovery import advertise

    await handle.ready.wait()
    host, port = handle.addresses["2030.5"][0]
    try:
        advertisement = await advertise(host, port)
    except (OSError, ValueError, ZeroconfError) as exc:
        sys.stderr.write(f"openderms server: cannot advertise by DNS-SD: {exc}\n")
        return
    sys.stdout.write(f"2030.5 advertised by DNS-SD as {advertisement.name}\n")
    sys.stdout.flush()
    try:
        await asyncio.Event().wait()
    finally:
        await advertisement.close()
