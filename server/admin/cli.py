"""``openderms admin ...``: drive the admin API over HTTPS from a shell.

Every verb takes ``--url`` (default ``https://127.0.0.1:8080``), ``--token`` (default
``$OPENDERMS_ADMIN_TOKEN``) and ``--ca`` (the CA file that signed the server's certificate,
e.g. ``pki/serca.pem``), prints the JSON answer and exits non-zero on an error status.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

__all__ = ["register"]

_EPILOG = """examples:
  export OPENDERMS_ADMIN_TOKEN=$(cat data/admin-token)
  openderms admin register-device --ca pki/serca.pem --lfdi <LFDI> --pin 123455
  openderms admin reassign-device --lfdi <LFDI>           # the utility reclaims a device
  openderms admin create-group --description "feeder 12"
  openderms admin assign --group 1 --lfdi 3E4F45AB31EDFE5B67E343E5E4562E31984E23E5
  openderms admin create-program --primacy 10 --group 1 --description "export limits"
  openderms admin create-control --group 1 --duration 3600 --export-limit-w 1500
  openderms admin list-controls --lfdi <LFDI>
  openderms admin cancel-control 7
  openderms admin set-default-control --program 1 --export-limit-w 5000
  openderms admin set-rates --poll 60 --post 300          # pollRate/postRate, not tariffs
  openderms admin show-device 3E4F45AB31EDFE5B67E343E5E4562E31984E23E5
  openderms admin token create --name ops --role aggregator --aggregator-lfdi <LFDI>
"""


#: Environment variable naming the admin listener's CA file (``--ca``).
CA_ENV = "OPENDERMS_ADMIN_CA"


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default="https://127.0.0.1:8080", help="admin API base URL")
    parser.add_argument(
        "--token", help="bearer token (default: $OPENDERMS_ADMIN_TOKEN)", default=None
    )
    parser.add_argument(
        "--ca",
        default=os.environ.get(CA_ENV) or None,
        help=f"CA file that signed the server's certificate (default: ${CA_ENV})",
    )


def _start_time(text: str) -> int:
    """``--start``: now, +10m (s/m/h/d from now), ISO 8601 or epoch seconds."""
    from openderms.server.dashboard.errors import DashboardBadRequestError
    from openderms.server.dashboard.params import parse_when

    try:
        return parse_when("--start", text, now=int(time.time()))
    except DashboardBadRequestError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def _with_parsed_resources(payload: Any) -> Any:
    """show-device: each latest DER resource's fields beside its XML (values as numbers)."""
    from openderms.server.dashboard.resources import field_words, flatten_resource

    latest = payload.get("latest") if isinstance(payload, dict) else None
    if isinstance(latest, dict):
        for kind, entry in latest.items():
            if isinstance(entry, dict) and isinstance(entry.get("xml"), str):
                fields = flatten_resource(kind, entry.pop("xml"))
                entry["fields"] = fields
                words = {k: field_words(k, v) for k, v in fields.items()}
                entry["meaning"] = {k: w for k, w in words.items() if w is not None}
    return payload


def _target(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--group", type=int, help="group id (uses the group's program)")
    group.add_argument("--program", type=int, help="program id")
    group.add_argument("--lfdi", help="one device (its private program)")


def _modes(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--export-limit-w", type=float, help="opModExpLimW [W]")
    parser.add_argument("--import-limit-w", type=float, help="opModImpLimW [W]")
    parser.add_argument("--generation-limit-w", type=float, help="opModGenLimW [W]")
    parser.add_argument("--load-limit-w", type=float, help="opModLoadLimW [W]")
    parser.add_argument("--max-limit-pct", type=float, help="opModMaxLimW [%%]")
    parser.add_argument("--target-w", type=float, help="opModTargetW [W]")
    parser.add_argument(
        "--connect", choices=["yes", "no"], help="opModConnect (disconnect with no)"
    )
    parser.add_argument("--energize", choices=["yes", "no"], help="opModEnergize")


def _modes_of(args: argparse.Namespace) -> dict[str, Any]:
    pairs = {
        "op_mod_exp_lim_w": args.export_limit_w,
        "op_mod_imp_lim_w": args.import_limit_w,
        "op_mod_gen_lim_w": args.generation_limit_w,
        "op_mod_load_lim_w": args.load_limit_w,
        "op_mod_max_lim_w_pct": args.max_limit_pct,
        "op_mod_target_w": args.target_w,
        "op_mod_connect": None if args.connect is None else args.connect == "yes",
        "op_mod_energize": None if args.energize is None else args.energize == "yes",
    }
    return {key: value for key, value in pairs.items() if value is not None}


def _control_path(args: argparse.Namespace, leaf: str) -> str:
    if args.group is not None:
        return f"/groups/{args.group}/{leaf}"
    if args.program is not None:
        return f"/programs/{args.program}/{leaf}"
    return f"/devices/{args.lfdi}/{leaf}"


def _request(args: argparse.Namespace) -> tuple[str, str, dict[str, Any] | None]:
    verb = args.admin_verb
    if verb == "register-device":
        body: dict[str, Any] = {"lfdi": args.lfdi}
        for key in ("sfdi", "pin", "aggregator_lfdi"):
            if getattr(args, key) is not None:
                body[key] = getattr(args, key)
        return "POST", "/devices", body
    if verb == "reassign-device":
        return "PUT", f"/devices/{args.lfdi}/aggregator", {"aggregator_lfdi": args.aggregator_lfdi}
    if verb == "create-group":
        return "POST", "/groups", {"description": args.description}
    if verb == "assign":
        return "POST", f"/groups/{args.group}/devices", {"lfdis": args.lfdi}
    if verb == "create-program":
        return (
            "POST",
            "/programs",
            {
                "primacy": args.primacy,
                "description": args.description,
                "group_ids": args.group or [],
            },
        )
    if verb == "create-control":
        body = {"duration_s": args.duration, "modes": _modes_of(args)}
        if args.start is not None:
            body["start"] = args.start
        if args.randomize_start is not None:
            body["randomize_start_s"] = args.randomize_start
        return "POST", _control_path(args, "controls"), body
    if verb == "cancel-control":
        return "POST", f"/controls/{args.control_id}/cancel", {"randomized": args.randomized}
    if verb == "set-default-control":
        body = {"modes": _modes_of(args)}
        if args.ramp is not None:
            body["set_grad_w"] = args.ramp
        return "PUT", _control_path(args, "default-control"), body
    if verb == "set-rates":
        body = {"poll_rate_s": args.poll, "post_rate_s": args.post, "resource": args.resource}
        if args.lfdi:
            body["lfdi"] = args.lfdi
        return "PUT", "/rates", {k: v for k, v in body.items() if v is not None}
    if verb in ("disable-device", "enable-device"):
        return "PUT", f"/devices/{args.lfdi}/access", {"enabled": verb == "enable-device"}
    if verb in ("list-groups", "list-programs", "list-tokens"):
        return "GET", "/" + verb.removeprefix("list-"), None
    if verb == "delete-mirror":
        return "DELETE", f"/mirrors/{args.mup_id}", None
    if verb == "audit":
        return "GET", f"/audit?start={args.start}&limit={args.limit}", None
    if verb == "show-device":
        return "GET", f"/devices/{args.device_lfdi}", None
    if verb == "list-controls":
        if args.program is not None:
            return "GET", f"/programs/{args.program}", None
        return "GET", f"/devices/{args.lfdi}/controls", None
    if verb == "list-devices":
        return "GET", f"/devices?start={args.start}&limit={args.limit}", None
    if verb == "token-revoke":
        return "POST", f"/tokens/{args.token_id}/revoke", None
    if verb == "token-create":
        body = {"name": args.name, "role": args.role}
        if args.aggregator_lfdi:
            body["aggregator_lfdi"] = args.aggregator_lfdi
        return "POST", "/tokens", body
    raise ValueError(f"unknown admin verb {verb}")


def _create_token_in_database(args: argparse.Namespace) -> int:
    """``token create --db URL``: issue a token straight into the database (no API call).

    For the operator of the server host: recovery when no token is at hand.
    """
    from openderms.server.admin.errors import AdminError
    from openderms.server.admin.tokens import create_token
    from openderms.server.clock import utc_now_s
    from openderms.server.store.admin import AdminRole
    from openderms.server.store.db import Store

    try:
        store = Store.open(args.db)
    except Exception as exc:  # any driver error: report it, do not trace back
        print(f"cannot open the database {args.db}: {exc}", file=sys.stderr)
        return 3
    try:
        issued = store.call(
            create_token,
            name=args.name,
            role=AdminRole(args.role),
            aggregator_lfdi=args.aggregator_lfdi,
            now=utc_now_s(),
        )
    except AdminError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    finally:
        store.dispose()
    shown = {
        "id": issued.token_id,
        "name": issued.name,
        "role": issued.role.value,
        "aggregator_id": issued.aggregator_id,
        "token": issued.token,
    }
    print(json.dumps(shown, indent=2, sort_keys=True))
    return 0


def _handle(args: argparse.Namespace) -> int:
    import ssl

    import httpx

    if args.admin_verb == "token-create" and args.db:
        return _create_token_in_database(args)
    token = args.token or os.environ.get("OPENDERMS_ADMIN_TOKEN")
    if not token:
        print("no token: pass --token or set OPENDERMS_ADMIN_TOKEN", file=sys.stderr)
        return 2
    method, path, body = _request(args)
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=args.ca) if args.ca else True
    try:
        response = httpx.request(
            method,
            args.url.rstrip("/") + path,
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            verify=verify,
            timeout=30.0,
        )
    except httpx.HTTPError as exc:
        print(f"cannot reach the admin API at {args.url}: {exc}", file=sys.stderr)
        return 3
    try:
        payload = response.json()
        if args.admin_verb == "show-device" and response.is_success:
            payload = _with_parsed_resources(payload)
        shown = json.dumps(payload, indent=2, sort_keys=True)
    except ValueError:
        shown = response.text
    stream = sys.stdout if response.is_success else sys.stderr
    print(shown, file=stream)
    return 0 if response.is_success else 1


def register(subparsers: Any) -> None:  # Any: argparse's private _SubParsersAction type
    """Add ``openderms admin`` and its verbs."""
    admin = subparsers.add_parser(
        "admin",
        help="manage devices, groups, programs and controls through the admin API",
        description=__doc__,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = admin.add_subparsers(dest="admin_verb", metavar="VERB", required=True)

    def verb(name: str, help_text: str, example: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = verbs.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=f"example:\n  openderms admin {example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _common(parser)
        parser.set_defaults(handler=_handle, admin_verb=name)
        return parser

    p = verb("register-device", "register a device out of band", "register-device --lfdi <40 hex>")
    p.add_argument("--lfdi", required=True, help="the device certificate's LFDI (40 hex digits)")
    p.add_argument("--sfdi", type=int, help="checked against the LFDI (derived if omitted)")
    p.add_argument("--pin", type=int, help="registration PIN (up to 6 digits)")
    p.add_argument("--aggregator-lfdi", dest="aggregator_lfdi", help="manage under aggregator")

    p = verb(
        "reassign-device",
        "move a device to an aggregator, or reclaim it for the utility",
        "reassign-device --lfdi <LFDI> [--aggregator-lfdi <AGG-LFDI>]",
    )
    p.add_argument("--lfdi", required=True, help="the device's LFDI")
    p.add_argument(
        "--aggregator-lfdi", dest="aggregator_lfdi", help="the new aggregator (omit: the utility)"
    )

    p = verb("create-group", "create a group of devices", 'create-group --description "feeder 12"')
    p.add_argument("--description", default="", help="up to 32 characters")

    p = verb("assign", "add devices to a group", "assign --group 1 --lfdi <LFDI> --lfdi <LFDI>")
    p.add_argument("--group", type=int, required=True, help="group id")
    p.add_argument("--lfdi", action="append", required=True, help="device LFDI (repeatable)")

    p = verb("create-program", "create a DERProgram", "create-program --primacy 10 --group 1")
    p.add_argument("--primacy", type=int, required=True, help="0-255, lower wins")
    p.add_argument("--description", default="", help="up to 32 characters")
    p.add_argument("--group", type=int, action="append", help="list it in this group (repeatable)")

    p = verb(
        "create-control",
        "schedule a DERControl for a group, program or device",
        "create-control --group 1 --duration 3600 --export-limit-w 1500",
    )
    _target(p)
    p.add_argument(
        "--start",
        type=_start_time,
        help="start: now (default), +10m / +2h / +1d, ISO 8601 (2027-01-15T08:00Z) or epoch s",
    )
    p.add_argument("--duration", type=int, required=True, help="duration [s]")
    p.add_argument("--randomize-start", type=int, help="randomizeStart [s], -3600..3600")
    _modes(p)

    p = verb("cancel-control", "cancel a DERControl", "cancel-control 7")
    p.add_argument("control_id", type=int, help="control id")
    p.add_argument("--randomized", action="store_true", help="cancel with randomization")

    p = verb(
        "set-default-control",
        "set the DefaultDERControl of a group, program or device",
        "set-default-control --program 1 --export-limit-w 5000",
    )
    _target(p)
    p.add_argument("--ramp", type=int, help="setGradW [1/100 %% of max W per s]")
    _modes(p)

    p = verb(
        "set-rates",
        "set pollRate/postRate [s] fleet-wide or for one device (polling, not tariffs)",
        "set-rates --poll 60 --post 300 [--lfdi <LFDI>]",
    )
    p.add_argument("--poll", type=int, help="pollRate [s]")
    p.add_argument("--post", type=int, help="postRate [s]")
    p.add_argument("--lfdi", help="only this device")
    p.add_argument(
        "--resource",
        choices=["dcap", "edev", "mup", "fsa", "derp", "der"],
        help="only this resource's pollRate, fleet-wide (DeviceCapability, EndDeviceList, "
        "MirrorUsagePointList, FunctionSetAssignmentsList, DERProgramList, DERList)",
    )

    for name, what in (("disable-device", "refuse"), ("enable-device", "allow again")):
        p = verb(name, f"{what} a client's 2030.5 access (by LFDI)", f"{name} --lfdi <LFDI>")
        p.add_argument("--lfdi", required=True, help="device LFDI")
    for name, what in (
        ("list-groups", "groups (FunctionSetAssignments)"),
        ("list-programs", "DERPrograms"),
        ("list-tokens", "admin tokens (never their secrets)"),
    ):
        verb(name, f"list {what}", name)
    p = verb("delete-mirror", "delete a MirrorUsagePoint and its readings", "delete-mirror <ID>")
    p.add_argument("mup_id", type=int, metavar="ID", help="MirrorUsagePoint id (/mup/ID)")
    p = verb("audit", "the audit log of admin changes", "audit [--start N] [--limit N]")
    p.add_argument("--start", type=int, default=0, help="first record")
    p.add_argument("--limit", type=int, default=100, help="most records")

    p = verb("show-device", "a device with its latest status and responses", "show-device <LFDI>")
    p.add_argument("device_lfdi", metavar="LFDI", help="device LFDI")

    p = verb(
        "list-controls",
        "current and future controls (and defaults) of a program or of a device's programs",
        "list-controls --lfdi <LFDI>",
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--program", type=int, help="program id")
    which.add_argument("--lfdi", help="device LFDI (every program it sees)")

    p = verb("list-devices", "list devices in the token's scope", "list-devices --limit 50")
    p.add_argument("--start", type=int, default=0, help="index of the first device")
    p.add_argument("--limit", type=int, default=100, help="most devices (<= 500)")

    token = verbs.add_parser("token", help="admin tokens", description="admin tokens")
    token_verbs = token.add_subparsers(dest="token_verb", metavar="VERB", required=True)
    p = token_verbs.add_parser(
        "create",
        help="issue a token (needs a utility token); the secret is printed once",
        epilog=(
            "examples:\n  openderms admin token create --name ops --role utility\n"
            "  openderms admin token create --db data/server.db --name recovery"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(p)
    p.set_defaults(handler=_handle, admin_verb="token-create")
    p.add_argument("--name", required=True, help="who holds it (shown in the audit trail)")
    p.add_argument("--role", choices=["utility", "aggregator"], default="utility")
    p.add_argument("--aggregator-lfdi", dest="aggregator_lfdi", help="aggregator tokens only")
    p.add_argument(
        "--db",
        help="write the token straight into this database (on the server host; no API call)",
    )

    p = token_verbs.add_parser(
        "revoke",
        help="revoke a token by id (needs a utility token)",
        epilog="example:\n  openderms admin token revoke 3",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(p)
    p.set_defaults(handler=_handle, admin_verb="token-revoke")
    p.add_argument("token_id", type=int, help="token id (from token create or the audit)")
