"""Every action and check a procedure may name, with their parameters.

This is the vocabulary that ``openderms conformance lint`` checks procedures against; the
runners implement exactly these names (a test holds the two equal).
"""

from __future__ import annotations

from dataclasses import dataclass

from openderms.conformance.model import Role

__all__ = ["ACTIONS", "CHECKS", "ActionSpec", "CheckSpec"]


@dataclass(frozen=True)
class ActionSpec:
    roles: frozenset[Role]
    required: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()
    doc: str = ""


@dataclass(frozen=True)
class CheckSpec:
    params: frozenset[str] = frozenset()
    doc: str = ""


_SERVER = frozenset({Role.SERVER})

ACTIONS: dict[str, ActionSpec] = {
    "request": ActionSpec(
        _SERVER,
        frozenset({"client", "href"}),
        frozenset({"method", "query", "body", "content_type"}),
        "one HTTP exchange as a virtual client; save: status, header:NAME or an XPath",
    ),
    "walk": ActionSpec(
        _SERVER,
        frozenset({"client"}),
        frozenset({"href"}),
        "follow the links from /dcap as a client does; save any of: tm, edev_list, mup_list, "
        "edev, fsa_list, fsa, derp_list, derp, derc_list, actderc, dderc, der_list, der, "
        "dercap, derg, ders, dera, sub_list, lel_list, rg, di, cp",
    ),
    "page_through": ActionSpec(
        _SERVER,
        frozenset({"client", "href"}),
        frozenset({"limit", "max_pages"}),
        "fetch a list page by page (s, l) until a short page; save: items, all, pages",
    ),
    "listen": ActionSpec(
        _SERVER,
        frozenset({"client"}),
        frozenset(),
        "start the client's mutual-TLS Notification listener; save: uri",
    ),
    "stop_listening": ActionSpec(_SERVER, frozenset({"client"}), frozenset(), "take it down"),
    "await_notification": ActionSpec(
        _SERVER,
        frozenset({"client"}),
        frozenset({"within", "subscribed_resource"}),
        "wait (bounded) for a Notification posted to the client's listener",
    ),
    "wait": ActionSpec(_SERVER, frozenset({"seconds"}), frozenset(), "sleep, bounded"),
    "set": ActionSpec(_SERVER, frozenset(), frozenset(), "set variables from expressions"),
    # Server-side setup, carried out by the driver (openderms admin API, HTTP hook, a person).
    "register_device": ActionSpec(
        _SERVER,
        frozenset({"client"}),
        frozenset({"pin", "under_aggregator"}),
        "out-of-band registration",
    ),
    "create_control": ActionSpec(
        _SERVER,
        frozenset({"client", "duration"}),
        frozenset({"start", "modes", "randomize_start", "randomize_duration", "description"}),
        "a DERControl reaching the client's EndDevice; save: id",
    ),
    "cancel_control": ActionSpec(_SERVER, frozenset({"id"}), frozenset({"randomized"}), ""),
    "set_default_control": ActionSpec(
        _SERVER, frozenset({"client", "modes"}), frozenset({"set_grad_w"}), ""
    ),
    "set_rates": ActionSpec(_SERVER, frozenset(), frozenset({"client", "poll", "post"}), ""),
}

CHECKS: dict[str, CheckSpec] = {
    "status": CheckSpec(frozenset({"equals", "in", "class"}), "the HTTP status"),
    "refused": CheckSpec(frozenset(), "the TLS handshake failed or the server answered 4xx"),
    "media_type": CheckSpec(frozenset({"equals"}), "Content-Type (default application/sep+xml)"),
    "xsd_valid": CheckSpec(frozenset(), "the body validates against the profile's XSD"),
    "root": CheckSpec(frozenset({"is"}), "the body's root element"),
    "xpath": CheckSpec(
        frozenset({"path", "exists", "equals", "matches", "gte", "lte", "count"}),
        "an XPath over the body (prefixes sep, csipaus)",
    ),
    "header": CheckSpec(frozenset({"name", "exists", "matches"}), "a response header"),
    "list_consistent": CheckSpec(
        frozenset({"item"}), "results equals the items in the page and all >= results"
    ),
    "paging_consistent": CheckSpec(
        frozenset(), "pages hold all items once each, in one order, and end with a short page"
    ),
    "expression": CheckSpec(frozenset({"that"}), "a condition over saved variables"),
    "error_body": CheckSpec(frozenset({"reason_code"}), "the body is a 2030.5 Error"),
    "time_close": CheckSpec(
        frozenset({"within"}), "Time's currentTime within N s of the tester's clock"
    ),
}
