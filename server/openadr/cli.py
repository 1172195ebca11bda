"""``openderms openadr ...``: the business-logic side of the OpenADR 3.1 VTN from a shell.

``clients`` verbs manage the VTN's OAuth2 clients through the admin API (admin token) or
straight in the database (``--db``). The other verbs speak OpenADR to the VTN as a
business-logic client: they fetch a token from ``/auth/token`` with
``--client-id``/``--client-secret`` (default ``$OPENDERMS_OPENADR_CLIENT_ID`` and
``$OPENDERMS_OPENADR_CLIENT_SECRET``), call the API and print the JSON answer.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

__all__ = ["register"]

_EPILOG = """examples:
  export OPENDERMS_ADMIN_TOKEN=$(cat admin-token)
  openderms openadr clients create --ca pki/serca.pem --id utility-bl --role bl
  openderms openadr clients create --ca pki/serca.pem --id ven-17 --role ven
  openderms openadr clients list --ca pki/serca.pem
  openderms openadr clients disable --ca pki/serca.pem ven-17
  export OPENDERMS_OPENADR_CLIENT_ID=utility-bl OPENDERMS_OPENADR_CLIENT_SECRET=<secret>
  openderms openadr programs create --vtn https://127.0.0.1:8081 --ca pki/serca.pem ResTOU
  openderms openadr programs list --vtn https://127.0.0.1:8081 --ca pki/serca.pem
  openderms openadr events create --ca pki/serca.pem --program <ID> \\
      --type EXPORT_CAPACITY_LIMIT --value 5 --units KW --start now --duration PT1H
  openderms openadr events list --ca pki/serca.pem --program <ID>
  openderms openadr events delete --ca pki/serca.pem <EVENT-ID>   # a deleted event is cancelled
  openderms openadr vens list --ca pki/serca.pem
  openderms openadr reports list --ca pki/serca.pem --event <EVENT-ID>
"""

_DEFAULT_VTN = "https://127.0.0.1:8081"


def _tls(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ca", help="CA file that signed the server's certificate")


def _admin(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default="https://127.0.0.1:8080", help="admin API base URL")
    parser.add_argument("--token", help="admin token (default: $OPENDERMS_ADMIN_TOKEN)")
    _tls(parser)


def _vtn(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vtn", default=_DEFAULT_VTN, help=f"VTN base URL ({_DEFAULT_VTN})")
    parser.add_argument("--client-id", help="default: $OPENDERMS_OPENADR_CLIENT_ID")
    parser.add_argument("--client-secret", help="default: $OPENDERMS_OPENADR_CLIENT_SECRET")
    _tls(parser)


def _page(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--skip", type=int, default=0, help="objects to skip")
    parser.add_argument("--limit", type=int, default=50, help="at most this many (<= 50)")


def _verify(args: argparse.Namespace) -> Any:
    import ssl

    return ssl.create_default_context(cafile=args.ca) if args.ca else True


def _show(response: Any) -> int:
    try:
        shown = json.dumps(response.json(), indent=2, sort_keys=True)
    except ValueError:
        shown = response.text
    print(shown, file=sys.stdout if response.is_success else sys.stderr)
    return 0 if response.is_success else 1


def _clients(args: argparse.Namespace) -> int:
    import httpx

    if args.clients_verb == "create" and args.db:
        return _create_client_in_database(args)
    token = args.token or os.environ.get("OPENDERMS_ADMIN_TOKEN")
    if not token:
        print("no token: pass --token or set OPENDERMS_ADMIN_TOKEN", file=sys.stderr)
        return 2
    body: dict[str, Any] | None = None
    if args.clients_verb == "create":
        method, path = "POST", "/openadr/clients"
        body = {"client_id": args.id, "role": args.role, "token_lifetime_s": args.lifetime}
        if args.scopes:
            body["scopes"] = args.scopes
    elif args.clients_verb == "list":
        method, path = "GET", "/openadr/clients"
    else:
        method, path = "POST", f"/openadr/clients/{args.client_id}/disable"
    try:
        response = httpx.request(
            method,
            args.url.rstrip("/") + path,
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            verify=_verify(args),
            timeout=30.0,
        )
    except httpx.HTTPError as exc:
        print(f"cannot reach the admin API at {args.url}: {exc}", file=sys.stderr)
        return 3
    return _show(response)


def _create_client_in_database(args: argparse.Namespace) -> int:
    import time

    from openderms.server.openadr import auth
    from openderms.server.openadr.errors import OadrError
    from openderms.server.openadr.scopes import Role, parse_scopes
    from openderms.server.store.db import Store

    try:
        scopes = parse_scopes(args.scopes) if args.scopes else None
    except ValueError as exc:
        print(f"unknown scope: {exc}", file=sys.stderr)
        return 2
    store = Store.open(args.db)
    try:
        issued = store.call(
            auth.create_client,
            client_id=args.id,
            role=Role(args.role),
            scopes=scopes,
            token_lifetime_s=args.lifetime,
            now=time.time(),
        )
    except OadrError as exc:
        print(exc.detail, file=sys.stderr)
        return 1
    finally:
        store.dispose()
    shown = {
        "client_id": issued.client_id,
        "client_secret": issued.client_secret,
        "role": issued.role.value,
        "scopes": sorted(issued.scopes),
    }
    print(json.dumps(shown, indent=2, sort_keys=True))
    return 0


def _event_body(args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {"programID": args.program}
    if args.name:
        body["eventName"] = args.name
    if args.priority is not None:
        body["priority"] = args.priority
    if args.target:
        body["targets"] = args.target
    start = "0001-01-01T00:00:00Z" if args.start == "now" else args.start
    period: dict[str, Any] = {"duration": args.duration}
    if start:
        period["start"] = start
    body["intervalPeriod"] = period
    values: list[Any] = [args.value]
    body["intervals"] = [{"id": 0, "payloads": [{"type": args.type, "values": values}]}]
    descriptor: dict[str, Any] = {
        "objectType": "EVENT_PAYLOAD_DESCRIPTOR",
        "payloadType": args.type,
    }
    if args.units:
        descriptor["units"] = args.units
    if args.currency:
        descriptor["currency"] = args.currency
    body["payloadDescriptors"] = [descriptor]
    return body


def _vtn_request(args: argparse.Namespace) -> tuple[str, str, Any, dict[str, Any]]:
    kind, verb = args.openadr_verb, args.object_verb
    collection = {
        "programs": "programs",
        "events": "events",
        "vens": "vens",
        "reports": "reports",
    }[kind]
    if verb == "list":
        query: dict[str, Any] = {"skip": args.skip, "limit": args.limit}
        for option, name in (("program", "programID"), ("event", "eventID")):
            if getattr(args, option, None):
                query[name] = getattr(args, option)
        if getattr(args, "target", None):
            query["targets"] = args.target
        return "GET", f"/{collection}", None, query
    if verb == "show":
        return "GET", f"/{collection}/{args.object_id}", None, {}
    if verb == "delete":
        return "DELETE", f"/{collection}/{args.object_id}", None, {}
    if kind == "programs":
        body: dict[str, Any] = {"programName": args.program_name}
        if args.target:
            body["targets"] = args.target
        return "POST", "/programs", body, {}
    return "POST", "/events", _event_body(args), {}


def _objects(args: argparse.Namespace) -> int:
    import httpx

    client_id = args.client_id or os.environ.get("OPENDERMS_OPENADR_CLIENT_ID")
    secret = args.client_secret or os.environ.get("OPENDERMS_OPENADR_CLIENT_SECRET")
    if not client_id or not secret:
        print(
            "no client: pass --client-id/--client-secret or set OPENDERMS_OPENADR_CLIENT_ID "
            "and OPENDERMS_OPENADR_CLIENT_SECRET",
            file=sys.stderr,
        )
        return 2
    method, path, body, query = _vtn_request(args)
    base = args.vtn.rstrip("/")
    try:
        with httpx.Client(verify=_verify(args), timeout=30.0) as client:
            granted = client.post(
                f"{base}/auth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": secret,
                },
            )
            if not granted.is_success:
                return _show(granted)
            token = granted.json()["access_token"]
            response = client.request(
                method,
                base + path,
                json=body,
                params=query,
                headers={"Authorization": f"Bearer {token}"},
            )
    except httpx.HTTPError as exc:
        print(f"cannot reach the VTN at {args.vtn}: {exc}", file=sys.stderr)
        return 3
    return _show(response)


def _object_verbs(
    sub: Any, kind: str, helps: dict[str, str], *, creatable: bool, deletable: bool
) -> tuple[argparse.ArgumentParser, argparse.ArgumentParser | None]:
    """The ``list``/``show``/``delete``/``create`` verbs of one object; (list, create)."""
    parser = sub.add_parser(
        kind,
        help=helps[kind],
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = parser.add_subparsers(dest="object_verb", metavar="VERB", required=True)
    listing = verbs.add_parser("list", help=f"list {kind} (in creation order)")
    _vtn(listing)
    _page(listing)
    show = verbs.add_parser("show", help=f"show one of the {kind}")
    _vtn(show)
    show.add_argument("object_id", metavar="ID")
    if deletable:
        delete = verbs.add_parser("delete", help=f"delete one of the {kind}")
        _vtn(delete)
        delete.add_argument("object_id", metavar="ID")
    parser.set_defaults(handler=_objects)
    create = verbs.add_parser("create", help=f"create one of the {kind}") if creatable else None
    if create is not None:
        _vtn(create)
    return listing, create


def register(subparsers: Any) -> None:  # Any: argparse's private _SubParsersAction type
    """Add the ``openadr`` verb."""
    parser = subparsers.add_parser(
        "openadr",
        help="OpenADR 3.1 VTN: clients, programs, events, VENs and reports",
        description=(
            "Drive the OpenADR 3.1 VTN of `openderms server --openadr-listen` as business "
            "logic: manage its OAuth2 clients (admin API), create programs and events, list "
            "VENs and reports."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="openadr_verb", metavar="VERB", required=True)

    clients = sub.add_parser(
        "clients",
        help="the VTN's OAuth2 clients (admin API)",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    client_verbs = clients.add_subparsers(dest="clients_verb", metavar="VERB", required=True)
    create = client_verbs.add_parser("create", help="make a client; prints its secret once")
    _admin(create)
    create.add_argument("--id", required=True, help="the client_id")
    create.add_argument(
        "--role",
        choices=["bl", "ven"],
        required=True,
        help="bl: business logic (read_all, write programs/events/...); "
        "ven: a VEN (read_targets, read_ven_objects, write reports/...)",
    )
    create.add_argument("--scopes", help='scopes instead of the role\'s, e.g. "read_all"')
    create.add_argument("--lifetime", type=int, default=3600, help="token lifetime [s]")
    create.add_argument("--db", help="write straight into this database (no admin API)")
    listing = client_verbs.add_parser("list", help="list the clients")
    _admin(listing)
    disable = client_verbs.add_parser("disable", help="disable a client and its tokens")
    _admin(disable)
    disable.add_argument("client_id")
    clients.set_defaults(handler=_clients)

    helps = {
        "programs": "OpenADR programs",
        "events": "OpenADR events (a deleted event is cancelled)",
        "vens": "the VENs (list and show)",
        "reports": "the VENs' reports (list and show)",
    }
    _, program_create = _object_verbs(sub, "programs", helps, creatable=True, deletable=True)
    assert program_create is not None
    program_create.add_argument("program_name", metavar="NAME", help="programName (unique)")
    program_create.add_argument("--target", action="append", help="a target (repeatable)")

    event_list, event_create = _object_verbs(sub, "events", helps, creatable=True, deletable=True)
    assert event_create is not None
    event_list.add_argument("--program", help="programID")
    event_list.add_argument("--target", action="append", help="a target (repeatable)")
    event_create.add_argument("--program", required=True, help="programID")
    event_create.add_argument(
        "--type", required=True, help="payload type, e.g. EXPORT_CAPACITY_LIMIT, PRICE, SIMPLE"
    )
    event_create.add_argument("--value", type=float, required=True, help="the payload value")
    event_create.add_argument("--units", help="e.g. KW, KWH, PERCENT")
    event_create.add_argument("--currency", help="e.g. USD (prices)")
    event_create.add_argument(
        "--start", default="now", help='RFC 3339 start, or "now" (0001-01-01, the spec\'s now)'
    )
    event_create.add_argument("--duration", default="PT1H", help="ISO 8601 duration (PT1H)")
    event_create.add_argument("--priority", type=int, help="lower wins (0 highest)")
    event_create.add_argument("--target", action="append", help="a target (repeatable)")
    event_create.add_argument("--name", help="eventName")
    _object_verbs(sub, "vens", helps, creatable=False, deletable=False)
    report_list, _ = _object_verbs(sub, "reports", helps, creatable=False, deletable=False)
    report_list.add_argument("--program", help="programID")
    report_list.add_argument("--event", help="eventID")
