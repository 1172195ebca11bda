"""The one `openderms` command. Each part registers its own verbs.

A part's ``cli`` module exposes ``register(subparsers)``; it must import only what
argparse needs, so that ``openderms --help`` stays fast (heavy imports go in handlers).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from openderms import __version__

# Order is the order of `openderms --help`.
COMMAND_MODULES: tuple[str, ...] = (
    "openderms.certs.cli",
    "openderms.server.cli",
    "openderms.server.admin.cli",
    "openderms.server.openadr.cli",
    "openderms.client.cli",
    "openderms.client.sim.cli",
    "openderms.client.optimizer.cli",
    "openderms.conformance.cli",
    "openderms.demo",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="openderms",
        description=(
            "Open DERMS: an IEEE 2030.5 (CSIP, CSIP-AUS) utility server, a site gateway that "
            "controls inverters, batteries and chargers over Modbus/SunSpec, and a local "
            "optimizer."
        ),
        epilog="Run `openderms VERB --help` for the options of each verb.",
    )
    parser.add_argument("--version", action="version", version=f"openderms {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    subparsers = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


#: Libraries that log routine work at INFO; they speak up at WARNING unless ``-v``.
QUIET_LOGGERS = ("httpx", "httpcore", "alembic", "hpack", "h2", "pymodbus")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # One line per HTTP request, per migration step, per HTTP/2 frame: only with -v.
    for chatty in QUIET_LOGGERS:
        logging.getLogger(chatty).setLevel(logging.NOTSET if args.verbose else logging.WARNING)
    try:
        result: int | None = args.handler(args)
    except KeyboardInterrupt:
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
