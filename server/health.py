"""Health check and Prometheus metrics of a head-end process (on the admin listener).

- ``GET /healthz`` (no token: load balancers and orchestrators call it): 200 when the
  database answers within `HEALTH_TIMEOUT_S`, else 503; the body says why and how deep the
  notification outbox is.
- ``GET /metrics`` (Prometheus text format; ``Authorization: Bearer <admin token>``, as a
  Prometheus ``authorization`` block sends it): requests and their latency per listener,
  notifications pending and given up, devices registered and stale.

`with_health` puts both in front of the admin listener's app; `RequestMetrics` wraps each
listener's app to count its requests. Each `HealthMonitor` has its own registry, so
several servers in one process (tests) do not mix their numbers.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from sqlalchemy import text
from sqlmodel import Session

from openderms.server.admin.errors import AdminError
from openderms.server.admin.tokens import authenticate
from openderms.server.config import ServerSettings
from openderms.server.dashboard.views import fleet_staleness
from openderms.server.store.db import Store
from openderms.server.store.outbox import outbox_depth

__all__ = ["HEALTH_TIMEOUT_S", "HealthMonitor", "RequestMetrics", "with_health"]

#: Longest wait for the database in a health check [s].
HEALTH_TIMEOUT_S = 5.0
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

ASGIApp = Callable[[Any, Any, Any], Any]


def _ping(session: Session) -> None:
    session.exec(text("SELECT 1"))  # type: ignore[call-overload]


class HealthMonitor:
    """The numbers of one head-end process and the database state behind them."""

    def __init__(self, store: Store, settings: ServerSettings, clock: Callable[[], int]) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "openderms_http_requests",
            "HTTP requests answered, per listener, method and status code",
            ("listener", "method", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "openderms_http_request_seconds",
            "Time to answer an HTTP request [s], per listener",
            ("listener",),
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.notifications = Gauge(
            "openderms_notifications",
            "Notifications in the outbox: pending (to deliver) and failed (given up)",
            ("state",),
            registry=self.registry,
        )
        self.devices = Gauge("openderms_devices", "Registered EndDevices", registry=self.registry)
        self.stale = Gauge(
            "openderms_devices_stale",
            "EndDevices silent for 3 postRates (their gateway is likely offline)",
            registry=self.registry,
        )

    async def health(self) -> tuple[int, dict[str, Any]]:
        """(HTTP status, body) of a health check: the database and the outbox depth."""
        try:
            depth = await asyncio.wait_for(self.store.run(_health_facts), timeout=HEALTH_TIMEOUT_S)
        except TimeoutError:
            return 503, {
                "status": "unavailable",
                "database": f"no answer in {HEALTH_TIMEOUT_S:g} s",
            }
        except Exception as exc:
            return 503, {"status": "unavailable", "database": type(exc).__name__}
        return 200, {"status": "ok", "database": "ok", "outbox": depth}

    async def exposition(self) -> bytes:
        """The Prometheus text of every metric, the database gauges read now."""
        depth = await self.store.run(outbox_depth)
        devices, stale = await self.store.run(
            fleet_staleness, now=self.clock(), settings=self.settings
        )
        self.notifications.labels("pending").set(depth["pending"])
        self.notifications.labels("failed").set(depth["failed"])
        self.devices.set(devices)
        self.stale.set(stale)
        return generate_latest(self.registry)


def _health_facts(session: Session) -> dict[str, int]:
    _ping(session)
    return outbox_depth(session)


class RequestMetrics:
    """ASGI middleware: counts each HTTP request of ``app`` and times it."""

    def __init__(self, app: ASGIApp, monitor: HealthMonitor, listener: str) -> None:
        self.app = app
        self.monitor = monitor
        self.listener = listener

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_counted(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        finally:
            self.monitor.requests.labels(
                self.listener, scope.get("method", ""), str(status["code"])
            ).inc()
            self.monitor.latency.labels(self.listener).observe(time.perf_counter() - started)


async def _answer(send: Any, status: int, body: bytes, content_type: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"cache-control", b"no-store"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def with_health(app: ASGIApp, monitor: HealthMonitor) -> ASGIApp:
    """``app`` with ``GET /healthz`` and ``GET /metrics`` answered in front of it."""

    async def served(scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path not in ("/healthz", "/metrics") or scope.get("method") not in ("GET", "HEAD"):
            await app(scope, receive, send)
            return
        if path == "/healthz":
            status, facts = await monitor.health()
            await _answer(send, status, json.dumps(facts).encode(), "application/json")
            return
        headers = dict(scope.get("headers") or [])
        header = headers.get(b"authorization", b"").decode("latin-1") or None
        try:
            await monitor.store.run(authenticate, header)
        except AdminError as exc:
            refusal = json.dumps({"error": exc.kind, "message": exc.message}).encode()
            await _answer(send, exc.http_status, refusal, "application/json")
            return
        await _answer(send, 200, await monitor.exposition(), CONTENT_TYPE_LATEST)

    return served
