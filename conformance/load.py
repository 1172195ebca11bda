"""``openderms conformance load``: many virtual clients polling and posting, measured.

Each virtual client walks from /dcap to its DER controls every ``poll_s`` and PUTs its
DERStatus every ``post_s``, as a fleet of gateways does. The report gives latency
percentiles per kind of request and every error; the run is bounded by ``duration_s``.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import httpx

from openderms.certs.tls import client_context
from openderms.conformance.xml import XmlBodyError, parse_body, xpath_value

__all__ = ["LoadClient", "LoadReport", "run_load"]

SEP_XML = "application/sep+xml"


@dataclass(frozen=True)
class LoadClient:
    cert: Path
    key: Path


@dataclass
class LoadReport:
    clients: int
    duration_s: float
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, started: float, error: str | None) -> None:
        if error is None:
            self.latencies_ms.setdefault(kind, []).append((time.monotonic() - started) * 1000)
        else:
            key = f"{kind}: {error}"
            self.errors[key] = self.errors.get(key, 0) + 1

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies_ms.values()) + sum(self.errors.values())

    def lines(self) -> list[str]:
        out = [
            f"{self.clients} clients, {self.duration_s:.0f} s, {self.requests} requests "
            f"({self.requests / max(self.duration_s, 1e-9):.1f}/s), "
            f"{sum(self.errors.values())} errors"
        ]
        for kind, values in sorted(self.latencies_ms.items()):
            ordered = sorted(values)

            def pct(p: float, ordered: list[float] = ordered) -> float:
                return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

            out.append(
                f"  {kind:<8} n={len(ordered):<6} p50 {pct(50):7.1f} ms  p90 {pct(90):7.1f} ms  "
                f"p99 {pct(99):7.1f} ms  max {ordered[-1]:7.1f} ms  "
                f"mean {statistics.fmean(ordered):7.1f} ms"
            )
        for error, count in sorted(self.errors.items()):
            out.append(f"  error x{count}: {error}")
        return out


async def _get(http: httpx.AsyncClient, url: str, report: LoadReport, kind: str) -> bytes | None:
    started = time.monotonic()
    try:
        response = await http.get(url, params={"l": 255}, headers={"Accept": SEP_XML})
    except httpx.HTTPError as exc:
        report.add(kind, started, type(exc).__name__)
        return None
    if response.status_code != 200:
        report.add(kind, started, f"status {response.status_code}")
        return None
    report.add(kind, started, None)
    return response.content


def _link(body: bytes | None, xpath: str) -> str | None:
    if body is None:
        return None
    try:
        value = xpath_value(parse_body(body), xpath)
    except XmlBodyError:
        return None
    return str(value) if value else None


async def _client_loop(
    dcap_url: str,
    http: httpx.AsyncClient,
    report: LoadReport,
    *,
    poll_s: float,
    post_s: float,
    deadline: float,
    offset_s: float,
) -> None:
    await asyncio.sleep(offset_s)  # spread the fleet over the first poll period
    next_poll = next_post = time.monotonic()
    ders: str | None = None
    while time.monotonic() < deadline:
        now = time.monotonic()
        if now >= next_poll:
            next_poll += poll_s
            dcap = await _get(http, dcap_url, report, "dcap")
            edevs = _link(dcap, "sep:EndDeviceListLink/@href")
            edev_list = (
                await _get(http, urljoin(dcap_url, edevs), report, "edev") if edevs else None
            )
            fsa = _link(edev_list, "sep:EndDevice/sep:FunctionSetAssignmentsListLink/@href")
            ders_link = _link(edev_list, "sep:EndDevice/sep:DERListLink/@href")
            if ders_link and ders is None:
                der_list = await _get(http, urljoin(dcap_url, ders_link), report, "der")
                ders = _link(der_list, "sep:DER/sep:DERStatusLink/@href")
            fsas = await _get(http, urljoin(dcap_url, fsa), report, "fsa") if fsa else None
            programs = _link(fsas, "sep:FunctionSetAssignments/sep:DERProgramListLink/@href")
            derps = (
                await _get(http, urljoin(dcap_url, programs), report, "derp") if programs else None
            )
            controls = _link(derps, "sep:DERProgram/sep:DERControlListLink/@href")
            if controls:
                await _get(http, urljoin(dcap_url, controls), report, "derc")
        if ders and now >= next_post:
            next_post += post_s
            started = time.monotonic()
            stamp = int(time.time())
            body = (
                f'<DERStatus xmlns="urn:ieee:std:2030.5:ns"><readingTime>{stamp}</readingTime>'
                "</DERStatus>"
            ).encode()
            try:
                response = await http.put(
                    urljoin(dcap_url, ders), content=body, headers={"Content-Type": SEP_XML}
                )
                ok = response.status_code in (200, 201, 204)
                error = None if ok else f"status {response.status_code}"
            except httpx.HTTPError as exc:
                error = type(exc).__name__
            report.add("post", started, error)
        wake = min(next_poll, next_post if ders else next_poll, deadline)
        await asyncio.sleep(max(0.0, wake - time.monotonic()))


async def run_load(
    dcap_url: str,
    ca: Path,
    clients: Sequence[LoadClient],
    *,
    poll_s: float,
    post_s: float,
    duration_s: float,
    timeout_s: float = 10.0,
) -> LoadReport:
    """Run the fleet for ``duration_s`` and report (bounded: every request has a timeout)."""
    report = LoadReport(clients=len(clients), duration_s=duration_s)
    https = [
        httpx.AsyncClient(
            verify=client_context(c.cert, c.key, ca, check_hostname=False), timeout=timeout_s
        )
        for c in clients
    ]
    deadline = time.monotonic() + duration_s
    try:
        await asyncio.wait_for(
            asyncio.gather(
                *(
                    _client_loop(
                        dcap_url,
                        http,
                        report,
                        poll_s=poll_s,
                        post_s=post_s,
                        deadline=deadline,
                        offset_s=min(poll_s, duration_s / 2) * n / max(len(clients), 1),
                    )
                    for n, http in enumerate(https)
                )
            ),
            duration_s + timeout_s * 6 + poll_s,
        )
    finally:
        for http in https:
            await http.aclose()
    return report
