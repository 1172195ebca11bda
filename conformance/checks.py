"""What each check name means, judged on one step's outcome.

Every check returns a verdict and a reason a person can act on; a check that cannot be
judged (no XSD to validate against) is *skipped*, never passed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lxml import etree

from openderms.conformance.expressions import ExpressionError, truth
from openderms.conformance.model import Check
from openderms.conformance.results import Verdict
from openderms.conformance.xml import NAMESPACES, schema_for, xpath_value

if TYPE_CHECKING:
    from openderms.conformance.server_runner import ServerTarget, StepOutcome

__all__ = ["CHECK_FUNCTIONS", "evaluate", "list_items"]

Judgement = tuple[Verdict, str]
PASS = Verdict.PASSED
FAIL = Verdict.FAILED


def list_items(root: etree._Element) -> list[etree._Element]:
    """The items of a 2030.5 list resource: its children that are resources (carry an
    href) and are not links (``...Link``)."""
    return [
        child
        for child in root
        if isinstance(child.tag, str)
        and child.get("href") is not None
        and not etree.QName(child).localname.endswith("Link")
    ]


def _local(root: etree._Element) -> str:
    return etree.QName(root).localname


def _status(check: Check, outcome: StepOutcome, **_: Any) -> Judgement:
    exchange = outcome.last
    if exchange is None or exchange.status is None:
        return FAIL, f"no answer: {exchange.error if exchange else 'no request'}"
    status = exchange.status
    if "equals" in check.params and status != int(check.params["equals"]):
        return FAIL, f"status {status}, expected {check.params['equals']}"
    if "in" in check.params and status not in [int(s) for s in check.params["in"]]:
        return FAIL, f"status {status}, expected one of {check.params['in']}"
    if "class" in check.params and f"{status // 100}xx" != check.params["class"]:
        return FAIL, f"status {status}, expected {check.params['class']}"
    return PASS, f"status {status}"


def _refused(check: Check, outcome: StepOutcome, **_: Any) -> Judgement:
    """The server refused the exchange: the TLS handshake failed or it answered 4xx."""
    exchange = outcome.last
    if exchange is None:
        return FAIL, "no exchange"
    if exchange.status is None:
        return PASS, f"refused: {exchange.error}"
    if 400 <= exchange.status < 500:
        return PASS, f"refused with {exchange.status}"
    return FAIL, f"answered {exchange.status}"


def _media_type(check: Check, outcome: StepOutcome, **_: Any) -> Judgement:
    exchange = outcome.last
    if exchange is None:
        return FAIL, "no exchange"
    want = check.params.get("equals", "application/sep+xml")
    got = exchange.response_headers.get("content-type", "")
    if got.split(";")[0].strip().lower() != want:
        return FAIL, f"Content-Type {got!r}, expected {want}"
    return PASS, f"Content-Type {got}"


def _xsd_valid(check: Check, outcome: StepOutcome, target: ServerTarget, **_: Any) -> Judgement:
    if outcome.root is None:
        return FAIL, outcome.body_error or "no body"
    if target.xsd_dir is None:
        return Verdict.SKIPPED, "no XSD folder (give --xsd-dir or $OPENDERMS_XSD_DIR)"
    schema = schema_for(target.xsd_dir, target.profile)
    if schema.validate(outcome.root):
        return PASS, f"valid against the {target.profile} XSD"
    lines = str(schema.error_log).splitlines()
    first = lines[0].split(":", 1)[-1] if lines else "no detail"
    return FAIL, f"invalid against the {target.profile} XSD: {first}"


def _root(check: Check, outcome: StepOutcome, **_: Any) -> Judgement:
    if outcome.root is None:
        return FAIL, outcome.body_error or "no body"
    want = check.params["is"]
    got = _local(outcome.root)
    if got != want or etree.QName(outcome.root).namespace != NAMESPACES["sep"]:
        return FAIL, f"root {{{etree.QName(outcome.root).namespace}}}{got}, expected sep:{want}"
    return PASS, f"root sep:{got}"


def _compare(value: Any, check: Check) -> str | None:
    """Why ``value`` fails the check's comparisons, or None."""
    params = check.params
    if "equals" in params and str(value) != str(params["equals"]):
        return f"is {value!r}, expected {params['equals']!r}"
    if "matches" in params and (
        value is None or not re.fullmatch(str(params["matches"]), str(value))
    ):
        return f"is {value!r}, expected to match {params['matches']!r}"
    for key, op in (("gte", float.__ge__), ("lte", float.__le__)):
        if key in params:
            try:
                if not op(float(value), float(params[key])):
                    return f"is {value!r}, expected {key} {params[key]}"
            except (TypeError, ValueError):
                return f"is {value!r}, not a number"
    return None


def _xpath(check: Check, outcome: StepOutcome, **_: Any) -> Judgement:
    if outcome.root is None:
        return FAIL, outcome.body_error or "no body"
    path = check.params["path"]
    try:
        if "count" in check.params:
            got = outcome.root.xpath(f"count({path})", namespaces=NAMESPACES)
            count = int(got) if isinstance(got, float) else -1
            if count != int(check.params["count"]):
                return FAIL, f"{path}: {count} matches, expected {check.params['count']}"
            return PASS, f"{path}: {count} matches"
        value = xpath_value(outcome.root, path)
    except etree.XPathError as exc:
        return FAIL, f"bad XPath {path!r}: {exc}"
    exists = bool(check.params.get("exists", True))
    if not exists:
        return (
            (PASS, f"{path}: absent") if value is None else (FAIL, f"{path}: present ({value!r})")
        )
    if value is None:
        return FAIL, f"{path}: nothing matches"
    why = _compare(value, check)
    return (FAIL, f"{path} {why}") if why else (PASS, f"{path} = {value!r}")


def _header(check: Check, outcome: StepOutcome, **_: Any) -> Judgement:
    exchange = outcome.last
    if exchange is None:
        return FAIL, "no exchange"
    name = str(check.params["name"]).lower()
    value = exchange.response_headers.get(name)
    if not bool(check.params.get("exists", True)):
        return (
            (PASS, f"no {name} header") if value is None else (FAIL, f"{name}: {value!r} present")
        )
    if value is None:
        return FAIL, f"no {name} header"
    if "matches" in check.params and not re.fullmatch(str(check.params["matches"]), value):
        return FAIL, f"{name}: {value!r} does not match {check.params['matches']!r}"
    return PASS, f"{name}: {value}"


def _list_consistent(check: Check, outcome: StepOutcome, **_: Any) -> Judgement:
    root = outcome.root
    if root is None:
        return FAIL, outcome.body_error or "no body"
    try:
        total, results = int(root.get("all", "")), int(root.get("results", ""))
    except ValueError:
        return FAIL, f"{_local(root)} lacks integer all/results attributes"
    items = list_items(root)
    if "item" in check.params:
        items = [i for i in items if _local(i) == check.params["item"]]
    if results != len(items):
        return FAIL, f"results={results} but the page holds {len(items)} items"
    if total < results:
        return FAIL, f"all={total} is less than results={results}"
    return PASS, f"all={total}, results={results}, {len(items)} items"


def _paging_consistent(check: Check, outcome: StepOutcome, **_: Any) -> Judgement:
    if not outcome.pages:
        return FAIL, "no pages"
    if outcome.values.get("truncated"):
        return FAIL, f"still full after {len(outcome.pages)} pages (paging never ends)"
    hrefs: list[str] = []
    limit = int(outcome.values.get("limit", 0))
    for number, page in enumerate(outcome.pages):
        items = list_items(page)
        results = page.get("results")
        if results is None or not results.isdigit() or int(results) != len(items):
            return FAIL, f"page {number}: results={results} but {len(items)} items"
        if limit and len(items) > limit:
            return FAIL, f"page {number}: {len(items)} items exceed l={limit}"
        hrefs.extend(str(i.get("href")) for i in items)
    if len(set(hrefs)) != len(hrefs):
        return FAIL, "an item appears on two pages"
    total = int(outcome.values.get("all", -1))  # the runner stores -1 for a bad value
    if total != len(hrefs):
        return FAIL, f"all={total} but paging gave {len(hrefs)} items"
    return PASS, f"{len(hrefs)} items over {len(outcome.pages)} pages, each once"


def _expression(
    check: Check, outcome: StepOutcome, variables: Mapping[str, Any], **_: Any
) -> Judgement:
    condition = str(check.params["that"])
    try:
        return (
            (PASS, f"{condition} holds")
            if truth(condition, variables)
            else (FAIL, f"{condition} does not hold")
        )
    except ExpressionError as exc:
        return FAIL, str(exc)


def _error_body(check: Check, outcome: StepOutcome, **_: Any) -> Judgement:
    if outcome.root is None:
        return FAIL, outcome.body_error or "no Error body"
    if _local(outcome.root) != "Error":
        return FAIL, f"root {_local(outcome.root)}, expected Error"
    code = xpath_value(outcome.root, "sep:reasonCode")
    if code is None:
        return FAIL, "Error without reasonCode"
    if not str(code).isdigit():
        return FAIL, f"reasonCode {code!r} is not a number"
    if "reason_code" in check.params and str(code) != str(check.params["reason_code"]):
        return FAIL, f"reasonCode {code}, expected {check.params['reason_code']}"
    return PASS, f"Error reasonCode {code}"


def _time_close(
    check: Check, outcome: StepOutcome, variables: Mapping[str, Any], **_: Any
) -> Judgement:
    if outcome.root is None:
        return FAIL, outcome.body_error or "no body"
    value = xpath_value(outcome.root, "sep:currentTime")
    exchange = outcome.last
    if value is None or exchange is None or exchange.received_at is None:
        return FAIL, "no currentTime"
    if not str(value).lstrip("-").isdigit():
        return FAIL, f"currentTime {value!r} is not a TimeType"
    offset = int(value) - (exchange.sent_at + exchange.received_at) / 2
    within = float(check.params.get("within", 5))
    if abs(offset) > within:
        return (
            FAIL,
            f"currentTime is {offset:+.1f} s from the tester's clock (allowed ±{within:g})",
        )
    return PASS, f"currentTime {offset:+.1f} s from the tester's clock"


CHECK_FUNCTIONS = {
    "status": _status,
    "refused": _refused,
    "media_type": _media_type,
    "xsd_valid": _xsd_valid,
    "root": _root,
    "xpath": _xpath,
    "header": _header,
    "list_consistent": _list_consistent,
    "paging_consistent": _paging_consistent,
    "expression": _expression,
    "error_body": _error_body,
    "time_close": _time_close,
}


def evaluate(
    check: Check, outcome: StepOutcome, variables: Mapping[str, Any], target: ServerTarget
) -> Judgement:
    function = CHECK_FUNCTIONS.get(check.name)
    if function is None:
        return FAIL, f"this runner has no check {check.name!r}"
    judgement: Judgement = function(check, outcome, variables=variables, target=target)  # type: ignore[operator]
    return judgement
