"""Deliberately broken servers, to show that every check of the suite can fail.

A fault rewrites what the server under test says on the wire — its status codes,
headers, bodies and Notifications — or what the tester asks of it, the way a faulty
head-end would: wrong statuses, missing links, ignored paging, leaked resources, a
skewed clock. Running the suite with each fault in turn must fail every check at least
once (``tests/conformance/test_conformance_faults.py``): a check never seen failing is not
a check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import httpx
from lxml import etree

from openderms.conformance.xml import NAMESPACES

__all__ = ["FAULT_NAMES", "Fault", "FaultyTransport", "make_fault"]

SEP = NAMESPACES["sep"]
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@dataclass
class Fault:
    """A way for a server to be wrong. Each hook gets and returns wire data."""

    name: str
    doc: str
    request: Callable[[httpx.Request], httpx.Request] | None = None
    status: Callable[[int], int] | None = None
    headers: Callable[[dict[str, str]], dict[str, str]] | None = None
    body: Callable[[etree._Element, Fault], None] | None = None
    error_body: bool = False  # empty the body of every 4xx answer
    accept_refused: bool = False  # answer 200 where the TLS handshake failed
    seen: dict[str, list[etree._Element]] = field(default_factory=dict)
    #: Off while a procedure's preconditions run: a fault breaks the steps under test.
    active: bool = True
    #: The body hook also watches inactive traffic (``leaky-lists`` learns what to leak).
    learns: bool = False
    #: The check names this fault is meant to break (empty: any). The self-test runs a
    #: procedure under a fault only when one of its checks is a target.
    targets: frozenset[str] = frozenset()

    def targets_any(self, check_names: Iterable[str]) -> bool:
        return not self.targets or any(name in self.targets for name in check_names)

    def apply(self, raw: bytes) -> bytes:
        """The body after this fault (bodies that are not XML pass unchanged)."""
        if self.body is None or not (self.active or self.learns) or not raw.strip():
            return raw
        try:
            root = etree.fromstring(raw, _PARSER)
        except etree.XMLSyntaxError:
            return raw
        self.body(root, self)
        return bytes(etree.tostring(root)) if self.active else raw


class FaultyTransport(httpx.AsyncBaseTransport):
    """An httpx transport that passes each exchange through a fault."""

    def __init__(self, inner: httpx.AsyncBaseTransport, fault: Fault) -> None:
        self._inner = inner
        self._fault = fault

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        fault = self._fault
        if not fault.active:
            response = await self._inner.handle_async_request(request)
            if fault.learns:
                fault.apply(await response.aread())
            return response
        if fault.request is not None:
            request = fault.request(request)
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.TransportError:
            if not fault.accept_refused:
                raise
            return httpx.Response(
                200,
                headers={"content-type": "application/sep+xml"},
                content=b'<DeviceCapability xmlns="urn:ieee:std:2030.5:ns"/>',
            )
        raw = await response.aread()
        await response.aclose()
        status = response.status_code
        headers = {k.lower(): v for k, v in response.headers.items()}
        headers.pop("content-length", None)
        headers.pop("content-encoding", None)
        body = fault.apply(raw)
        if fault.error_body and 400 <= status < 500:
            body = b""
        if fault.status is not None:
            status = fault.status(status)
        if fault.headers is not None:
            headers = fault.headers(headers)
        return httpx.Response(status, headers=headers, content=body, request=request)

    async def aclose(self) -> None:
        await self._inner.aclose()


# -- the faults ------------------------------------------------------------------------------


def _wrong_status(status: int) -> int:
    return {200: 203, 201: 202, 204: 202, 400: 200, 403: 200, 404: 200, 405: 404}.get(
        status, status + 1
    )


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _insert_unknown(root: etree._Element, fault: Fault) -> None:
    root.insert(0, etree.Element(f"{{{SEP}}}notInTheSchema"))


def _rename_root(root: etree._Element, fault: Fault) -> None:
    root.tag = f"{{{SEP}}}{_local(root)}Renamed"


def _strip_links(root: etree._Element, fault: Fault) -> None:
    for node in list(root.iter()):
        if node is root or not isinstance(node.tag, str):
            continue
        if _local(node).endswith("Link"):
            node.getparent().remove(node)  # type: ignore[union-attr]
        elif "href" in node.attrib:
            del node.attrib["href"]


_HEX = re.compile(r"^[0-9A-Fa-f]{2,}$")
_INT = re.compile(r"^-?[0-9]+$")


def _perturb(text: str) -> str:
    if text in ("true", "false"):
        return "false" if text == "true" else "true"
    if _INT.match(text):
        return f"{text}.5"
    if _HEX.match(text):
        return text.lower() + "g"
    return text + "~"


def _perturb_values(root: etree._Element, fault: Fault) -> None:
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        if node.text and node.text.strip() and len(node) == 0:
            node.text = _perturb(node.text.strip())
        for name, value in list(node.attrib.items()):
            node.attrib[name] = _perturb(str(value))


def _zero_values(root: etree._Element, fault: Fault) -> None:
    for node in root.iter():
        if isinstance(node.tag, str) and node.text and _INT.match(node.text.strip()):
            node.text = "0"
        for name, value in list(node.attrib.items()):
            if _INT.match(str(value)):
                node.attrib[name] = "0"


def _wrong_counts(root: etree._Element, fault: Fault) -> None:
    for name in ("results", "all"):
        if name in root.attrib:
            root.attrib[name] = str(int(root.attrib[name]) + (1 if name == "results" else -1))


def _leak(root: etree._Element, fault: Fault) -> None:
    """Lists leak items the server served to anyone earlier (other devices', deleted or
    inactive ones), as a head-end with broken access control or stale caches would."""
    items = [
        c
        for c in root
        if isinstance(c.tag, str) and "href" in c.attrib and not _local(c).endswith("Link")
    ]
    if "href" in root.attrib and not _local(root).endswith("List"):
        items.append(root)  # a resource fetched on its own can leak into its list later
    for item in items:
        fault.seen.setdefault(_local(item), []).append(etree.fromstring(etree.tostring(item)))
        del fault.seen[_local(item)][:-50]
    if not fault.active or not _local(root).endswith("List"):
        return
    kind = _local(root)[: -len("List")]
    for name in {kind, "DERControl" if kind.startswith("ActiveDERControl") else kind}:
        for leaked in fault.seen.get(name, [])[-20:]:
            root.append(etree.fromstring(etree.tostring(leaked)))
    if "results" in root.attrib:
        count = len(
            [
                c
                for c in root
                if isinstance(c.tag, str) and "href" in c.attrib and not _local(c).endswith("Link")
            ]
        )
        root.attrib["results"] = str(count)
        root.attrib["all"] = str(max(count, int(root.attrib.get("all", "0"))))


def _skew_clock(root: etree._Element, fault: Fault) -> None:
    for node in root.iter(f"{{{SEP}}}currentTime"):
        node.text = str(int(node.text or "0") + 3600)


def _ignore_paging(request: httpx.Request) -> httpx.Request:
    params = dict(request.url.params)
    if "s" in params:
        params["s"] = "0"
    params.pop("l", None)
    return httpx.Request(
        request.method,
        request.url.copy_with(params=params),
        headers=request.headers,
        content=request.content,
    )


def _drop_header(name: str) -> Callable[[dict[str, str]], dict[str, str]]:
    def drop(headers: dict[str, str]) -> dict[str, str]:
        headers.pop(name, None)
        return headers

    return drop


def _text_xml(headers: dict[str, str]) -> dict[str, str]:
    headers["content-type"] = "text/xml"
    return headers


def _faults() -> list[Fault]:
    def only(*names: str) -> frozenset[str]:
        return frozenset(names)

    return [
        Fault(
            "wrong-status",
            "every status code is another one",
            status=_wrong_status,
            targets=only("status", "refused"),
        ),
        Fault(
            "accept-anonymous",
            "clients without certificates are served",
            accept_refused=True,
            targets=only("refused"),
        ),
        Fault(
            "wrong-media-type",
            "bodies are labelled text/xml",
            headers=_text_xml,
            targets=only("media_type"),
        ),
        Fault(
            "invalid-body",
            "bodies carry an unknown element",
            body=_insert_unknown,
            targets=only("xsd_valid"),
        ),
        Fault(
            "wrong-root",
            "bodies have the wrong root element",
            body=_rename_root,
            targets=only("root", "error_body"),
        ),
        Fault("no-links", "links and hrefs are missing", body=_strip_links),
        Fault("wrong-values", "every value differs from the truth", body=_perturb_values),
        Fault(
            "zero-values",
            "every number reads 0",
            body=_zero_values,
            targets=only("xpath", "expression"),
        ),
        Fault(
            "wrong-counts",
            "lists miscount all and results",
            body=_wrong_counts,
            targets=only("list_consistent", "paging_consistent", "xpath"),
        ),
        Fault(
            "leaky-lists",
            "lists leak what other clients were served",
            body=_leak,
            learns=True,
            targets=only("xpath", "list_consistent"),
        ),
        Fault(
            "skewed-clock",
            "the server's clock is an hour ahead",
            body=_skew_clock,
            targets=only("time_close"),
        ),
        Fault(
            "ignored-paging",
            "s and l are ignored",
            request=_ignore_paging,
            targets=only("paging_consistent", "expression", "xpath"),
        ),
        Fault(
            "no-location",
            "201 answers have no Location",
            headers=_drop_header("location"),
            targets=only("header"),
        ),
        Fault(
            "bare-errors",
            "4xx answers carry no Error body",
            error_body=True,
            targets=only("error_body"),
        ),
    ]


#: The names of every fault, in the order the self-test runs them.
FAULT_NAMES: tuple[str, ...] = tuple(fault.name for fault in _faults())


def make_fault(name: str) -> Fault:
    """A new instance of a fault (with its own memory of what it has seen)."""
    for fault in _faults():
        if fault.name == name:
            return fault
    raise KeyError(f"no fault {name!r} (known: {', '.join(FAULT_NAMES)})")
