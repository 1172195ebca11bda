"""``openderms conformance ...``: list, lint and run the IEEE 2030.5 test procedures."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]

_EPILOG = """examples:
  openderms conformance list --role server
  openderms conformance lint                       # the shipped suite
  openderms conformance lint my-procedures/
  # test a head-end: a device certificate, a second device and an aggregator
  openderms conformance run --server https://head-end:8443/dcap --ca pki/serca.pem \\
      --cert pki/dev1.pem --key pki/dev1.key \\
      --client device2=pki/dev2.pem,pki/dev2.key \\
      --aggregator-cert pki/agg.pem --aggregator-key pki/agg.key \\
      --driver openderms --admin-url https://head-end:8080 --admin-ca pki/serca.pem \\
      --junit report.xml --html report.html
  # a head-end that is not openderms: setup through your HTTP hook, or by a person
  openderms conformance run ... --driver hook --hook-url https://lab/hook
  openderms conformance run ... --driver interactive
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "conformance",
        help="IEEE 2030.5 conformance procedures: list, lint, run against a server",
        description="IEEE 2030.5 / CSIP / CSIP-AUS test procedures as data, and their runner.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = parser.add_subparsers(dest="conformance_verb", metavar="VERB", required=True)

    listing = verbs.add_parser("list", help="the procedures, one line each")
    listing.add_argument("paths", nargs="*", type=Path, help="procedure files or folders")
    listing.add_argument("--role", choices=["server", "client"])
    listing.add_argument("--profile", choices=["csip", "csip-aus-1.2", "csip-aus-1.3"])
    listing.set_defaults(handler=_list)

    linting = verbs.add_parser("lint", help="find mistakes in procedure files")
    linting.add_argument("paths", nargs="*", type=Path, help="procedure files or folders")
    linting.add_argument("--xsd-dir", type=Path, help="check xsd: citations against these XSDs")
    linting.set_defaults(handler=_lint)

    run = verbs.add_parser(
        "run",
        help="test a 2030.5 server as virtual clients",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "procedures", nargs="*", help="procedure ids or files (default: all server ones)"
    )
    run.add_argument(
        "--server", required=True, help="the DeviceCapability URL, https://HOST:PORT/dcap"
    )
    run.add_argument(
        "--ca", required=True, type=Path, help="trust anchor(s) of the server (SERCA)"
    )
    run.add_argument("--cert", required=True, type=Path, help="the 'device' client's chain file")
    run.add_argument("--key", required=True, type=Path, help="the 'device' client's key")
    run.add_argument("--aggregator-cert", type=Path, help="the 'aggregator' client's chain file")
    run.add_argument("--aggregator-key", type=Path)
    run.add_argument(
        "--client",
        action="append",
        default=[],
        metavar="NAME=CERT,KEY",
        help="another virtual client (device2, device3 are used by access-control procedures)",
    )
    run.add_argument(
        "--profile", default="csip-aus-1.2", choices=["csip", "csip-aus-1.2", "csip-aus-1.3"]
    )
    run.add_argument(
        "--xsd-dir", type=Path, help="IEEE 2030.5 / CSIP-AUS XSDs (default $OPENDERMS_XSD_DIR)"
    )
    run.add_argument("--driver", choices=["openderms", "hook", "interactive"], default="openderms")
    run.add_argument("--admin-url", help="openderms driver: the admin API base URL")
    run.add_argument(
        "--admin-token", help="openderms driver: a utility token ($OPENDERMS_ADMIN_TOKEN)"
    )
    run.add_argument("--admin-ca", type=Path, help="openderms driver: CA of the admin listener")
    run.add_argument("--hook-url", help="hook driver: URL that takes each setup action as JSON")
    run.add_argument(
        "--listen-host",
        default="127.0.0.1",
        help="address the server can reach the tester's Notification listeners at",
    )
    run.add_argument("--max-wait", type=float, default=120.0, help="upper bound of any wait [s]")
    run.add_argument("--json", type=Path, help="write results as JSON")
    run.add_argument("--junit", type=Path, help="write results as JUnit XML")
    run.add_argument("--html", type=Path, help="write the report a test lab hands over")
    run.set_defaults(handler=_run)

    load = verbs.add_parser(
        "load",
        help="many virtual clients polling and posting against a server, measured",
        description=(
            "N virtual clients walk /dcap to their DER controls every --poll seconds and PUT "
            "their DERStatus every --post seconds for --duration seconds; prints latency "
            "percentiles per request kind and every error."
        ),
        epilog=(
            "examples:\n"
            "  openderms conformance load --server https://127.0.0.1:8443/dcap \\\n"
            "      --ca pki/serca.pem --pki pki/ --clients 200 --poll 5 --post 10 \\\n"
            "      --duration 60 --admin-url https://127.0.0.1:8080 --admin-ca pki/serca.pem\n"
            "  openderms conformance load ... --cert dev.pem --key dev.key --clients 50"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    load.add_argument("--server", required=True, help="the DeviceCapability URL")
    load.add_argument("--ca", required=True, type=Path, help="trust anchor(s) of the server")
    load.add_argument("--clients", type=int, default=10, help="how many virtual clients")
    load.add_argument("--poll", type=float, default=10.0, help="poll period of each client [s]")
    load.add_argument("--post", type=float, default=30.0, help="post period of each client [s]")
    load.add_argument("--duration", type=float, default=30.0, help="length of the run [s]")
    load.add_argument(
        "--pki", type=Path, help="an openderms PKI folder: issue one certificate per client"
    )
    load.add_argument("--cert", type=Path, help="without --pki: the certificate every client uses")
    load.add_argument("--key", type=Path)
    load.add_argument(
        "--admin-url", help="with --pki: register each client through this admin API"
    )
    load.add_argument("--admin-token", help="utility token ($OPENDERMS_ADMIN_TOKEN)")
    load.add_argument("--admin-ca", type=Path, help="CA of the admin listener")
    load.set_defaults(handler=_load)


def _list(args: argparse.Namespace) -> int:
    from openderms.conformance.loader import load_procedures

    for procedure in load_procedures(args.paths):
        if args.role and procedure.role != args.role:
            continue
        if args.profile and args.profile not in procedure.profiles:
            continue
        profiles = ",".join(procedure.profiles)
        print(
            f"{procedure.id:<16} {procedure.role:<6} {procedure.area:<16} {profiles:<30} "
            f"{procedure.title}"
        )
    return 0


def _lint(args: argparse.Namespace) -> int:
    from openderms.conformance.lint import lint
    from openderms.conformance.loader import ProcedureError, load_procedures
    from openderms.conformance.xml import find_xsd_dir, xsd_names

    try:
        procedures = load_procedures(args.paths)
    except ProcedureError as exc:
        print(exc, file=sys.stderr)
        return 1
    xsd_dir = find_xsd_dir(args.xsd_dir)
    findings = lint(procedures, xsd_names(xsd_dir) if xsd_dir else None)
    for finding in findings:
        print(finding)
    if xsd_dir is None:
        print(
            "note: no XSD folder, so xsd: citations were not checked (--xsd-dir)", file=sys.stderr
        )
    print(f"{len(procedures)} procedures, {len(findings)} findings")
    return 1 if findings else 0


def _quiet_http_log() -> None:
    """One line per request from httpx would bury the verdicts."""
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)


def _run(args: argparse.Namespace) -> int:
    import asyncio
    import os
    import ssl

    from openderms.conformance.drivers import (
        Driver,
        HttpHookDriver,
        InteractiveDriver,
        OpenDermsAdminDriver,
    )
    from openderms.conformance.loader import load_procedures
    from openderms.conformance.model import Profile, Role
    from openderms.conformance.reports import write_html, write_json, write_junit
    from openderms.conformance.server_runner import ClientCredentials, ServerRunner, ServerTarget
    from openderms.conformance.xml import find_xsd_dir

    _quiet_http_log()
    clients = {"device": ClientCredentials(args.cert, args.key)}
    if args.aggregator_cert and args.aggregator_key:
        clients["aggregator"] = ClientCredentials(args.aggregator_cert, args.aggregator_key)
    for spec in args.client:
        name, _, files = spec.partition("=")
        cert, _, key = files.partition(",")
        if not (name and cert and key):
            print(f"--client {spec!r}: expected NAME=CERT,KEY", file=sys.stderr)
            return 2
        clients[name] = ClientCredentials(Path(cert), Path(key))

    driver: Driver
    if args.driver == "openderms":
        token = args.admin_token or os.environ.get("OPENDERMS_ADMIN_TOKEN")
        if not (args.admin_url and token):
            print(
                "--driver openderms needs --admin-url and --admin-token "
                "(or $OPENDERMS_ADMIN_TOKEN)",
                file=sys.stderr,
            )
            return 2
        verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=str(args.admin_ca)) if args.admin_ca else True
        )
        driver = OpenDermsAdminDriver(args.admin_url, token, verify=verify)
    elif args.driver == "hook":
        if not args.hook_url:
            print("--driver hook needs --hook-url", file=sys.stderr)
            return 2
        driver = HttpHookDriver(args.hook_url)
    else:
        driver = InteractiveDriver()

    wanted = set(args.procedures)
    procedures = [
        p
        for p in load_procedures([Path(x) for x in args.procedures if x.endswith(".yaml")])
        if p.role is Role.SERVER
        and (not wanted or p.id in wanted or any(x.endswith(".yaml") for x in wanted))
    ]
    xsd_dir = find_xsd_dir(args.xsd_dir)
    if xsd_dir is None:
        print("warning: no XSDs found; every xsd_valid check will be skipped", file=sys.stderr)
    target = ServerTarget(
        dcap_url=args.server,
        ca=args.ca,
        clients=clients,
        driver=driver,
        profile=Profile(args.profile),
        xsd_dir=xsd_dir,
        listen_host=args.listen_host,
        max_wait_s=args.max_wait,
    )

    async def main() -> Any:
        try:
            async with ServerRunner(target) as runner:
                return await runner.run(procedures)
        finally:
            await driver.aclose()

    run = asyncio.run(main())
    for result in run.procedures:
        print(
            f"{result.verdict.value.upper():<15} {result.id:<16} {result.title}"
            + (f"  — {result.reason}" if result.reason else "")
        )
    counts = run.counts()
    print(", ".join(f"{n} {verdict}" for verdict, n in counts.items()))
    if args.json:
        write_json(run, args.json)
    if args.junit:
        write_junit(run, args.junit)
    if args.html:
        write_html(run, args.html)
    return 0 if run.ok else 1


def _load(args: argparse.Namespace) -> int:
    import asyncio
    import os
    import ssl
    import tempfile

    from openderms.conformance.drivers import ClientRef, DriverError, OpenDermsAdminDriver
    from openderms.conformance.load import LoadClient, run_load

    _quiet_http_log()
    if args.clients < 1 or args.duration <= 0 or args.poll <= 0 or args.post <= 0:
        print("--clients, --poll, --post and --duration must be positive", file=sys.stderr)
        return 2
    clients: list[LoadClient] = []
    refs: list[ClientRef] = []
    if args.pki:
        from openderms.certs import pki

        work = Path(tempfile.mkdtemp(prefix="openderms-load-"))
        for name in ("serca.pem", "mca.pem", "mca.key", "mica.pem", "mica.key"):
            target = work / name
            target.write_bytes((args.pki / name).read_bytes())
            os.chmod(target, 0o600)
        for n in range(args.clients):
            files = pki.issue_device(work, f"load-{n}")
            clients.append(LoadClient(files.cert, files.key))
            refs.append(ClientRef(f"load-{n}", files.identity.lfdi, files.identity.sfdi))
    elif args.cert and args.key:
        clients = [LoadClient(args.cert, args.key)] * args.clients
    else:
        print("give --pki DIR, or --cert and --key", file=sys.stderr)
        return 2

    async def main() -> int:
        if args.admin_url and refs:
            token = args.admin_token or os.environ.get("OPENDERMS_ADMIN_TOKEN")
            if not token:
                print("--admin-url needs --admin-token or $OPENDERMS_ADMIN_TOKEN", file=sys.stderr)
                return 2
            verify: ssl.SSLContext | bool = (
                ssl.create_default_context(cafile=str(args.admin_ca)) if args.admin_ca else True
            )
            driver = OpenDermsAdminDriver(args.admin_url, token, verify=verify)
            try:
                for ref in refs:
                    await driver.register_device(ref, pin=None, under_aggregator=None)
            except DriverError as exc:
                print(f"registration failed: {exc}", file=sys.stderr)
                return 1
            finally:
                await driver.aclose()
        report = await run_load(
            args.server,
            args.ca,
            clients,
            poll_s=args.poll,
            post_s=args.post,
            duration_s=args.duration,
        )
        print("\n".join(report.lines()))
        return 1 if report.errors else 0

    return asyncio.run(main())
