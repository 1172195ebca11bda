"""Run the head-end: open the store, build the apps, serve until told to stop.

The 2030.5 app always runs; the admin app (``openderms.server.admin``) runs when
``admin_listen`` is set. Both report changes to the notification outbox
(`openderms.server.notify.sink.OutboxChangeSink`), and the delivery worker
(`openderms.server.notify.worker.DeliveryWorker`) runs beside the listeners: one process,
one event loop, stateless beyond the database.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
import ssl
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from hypercorn.config import Config

from openderms.server.app import create_app
from openderms.server.changes import ChangeSink
from openderms.server.clock import utc_now_s
from openderms.server.config import ConfigError, ServerSettings
from openderms.server.runner import HandshakeLimits, Listener, ServingHandle, serve
from openderms.server.store.db import Store

__all__ = ["run_server", "sep2_hypercorn_config"]

logger = logging.getLogger(__name__)


def sep2_hypercorn_config(settings: ServerSettings) -> Config:
    """The hypercorn Config of the 2030.5 listener (mutual TLS unless behind a proxy)."""
    if settings.tls_terminated_by_proxy:
        if not settings.trusted_proxies:
            raise ConfigError("tls_terminated_by_proxy needs trusted_proxies")
        config = Config()
    else:
        if settings.certs_dir is None:
            raise ConfigError("the 2030.5 listener needs --certs (a PKI directory)")
        from openderms.certs.pki import PkiPaths
        from openderms.server.hypercorn_tls import hypercorn_config

        paths = PkiPaths.in_directory(settings.certs_dir)
        for path in (paths.server_cert, paths.server_key, paths.serca_cert):
            if not path.exists():
                raise ConfigError(f"{path} is missing (run `openderms certs init`)")
        config = hypercorn_config(paths.server_cert, paths.server_key, paths.serca_cert)
    config.bind = [settings.listen]
    config.accesslog = None
    return config


def _admin_config(settings: ServerSettings, listen: str | None = None) -> Config:
    """Server-authenticated TLS (or plain HTTP on loopback) for the admin or VTN listener."""
    listen = listen or settings.admin_listen
    assert listen is not None
    config = Config()
    config.bind = [listen]
    config.accesslog = None
    if settings.certs_dir is not None:
        from openderms.certs.pki import PkiPaths

        # Server-authenticated TLS with the head-end's certificate; admin clients hold
        # bearer tokens, not device certificates (`openderms admin --ca serca.pem`).
        paths = PkiPaths.in_directory(settings.certs_dir)
        config.certfile, config.keyfile = str(paths.server_cert), str(paths.server_key)
        return config
    host = listen.rpartition(":")[0].strip("[]")
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        logger.warning("%s is served over plain HTTP", listen)
    return config


def _data_dir(settings: ServerSettings) -> Path:
    """Where the bootstrap admin token goes: beside a SQLite file, else the PKI, else cwd."""
    if "://" not in settings.db_url or settings.db_url.startswith("sqlite:"):
        path = settings.db_url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            return Path(path).resolve().parent
    return settings.certs_dir if settings.certs_dir is not None else Path.cwd()


def _delivery_tls(settings: ServerSettings) -> ssl.SSLContext | None:
    """The client context notifications leave with: the server's own certificate."""
    if settings.certs_dir is None:
        return None
    from openderms.certs.pki import PkiPaths
    from openderms.certs.tls import client_context

    paths = PkiPaths.in_directory(settings.certs_dir)
    # 2030.5 authenticates the listener by its chain; its certificate need not name a host.
    return client_context(
        paths.server_cert, paths.server_key, paths.serca_cert, check_hostname=False
    )


async def run_server(
    settings: ServerSettings,
    *,
    shutdown_trigger: Callable[[], Awaitable[object]],
    handle: ServingHandle | None = None,
    clock: Callable[[], int] = utc_now_s,
) -> None:
    """Serve the head-end described by `settings` until `shutdown_trigger` returns."""
    from openderms.server.notify.sink import OutboxChangeSink
    from openderms.server.notify.worker import DeliveryWorker

    store = await asyncio.to_thread(
        functools.partial(Store.open, settings.db_url, call_timeout_s=settings.db_timeout_s)
    )
    loop = asyncio.get_running_loop()
    worker = DeliveryWorker(store, _delivery_tls(settings), settings=settings)

    def wake_worker() -> None:
        # Services run in worker threads: wake the delivery loop through the event loop.
        loop.call_soon_threadsafe(worker.wake)

    changes: ChangeSink = OutboxChangeSink(settings, on_enqueue=wake_worker)
    stop = asyncio.Event()
    background: list[Coroutine[Any, Any, None]] = [worker.run_forever(stop)]
    handshake_limits = HandshakeLimits(
        timeout_s=settings.tls_handshake_timeout_s,
        pending_total=settings.max_pending_handshakes,
        pending_per_address=settings.max_pending_handshakes_per_address,
    )
    from openderms.server.health import HealthMonitor, RequestMetrics, with_health

    monitor = HealthMonitor(store, settings, clock)
    listeners = [
        Listener(
            RequestMetrics(
                create_app(settings, store, changes=changes, clock=clock), monitor, "2030.5"
            ),
            sep2_hypercorn_config(settings),
            "2030.5",
            handshake_limits,
        )
    ]
    if settings.admin_listen is not None:
        from openderms.server.admin.app import create_admin_app
        from openderms.server.admin.tokens import ensure_bootstrap_token

        await store.run(ensure_bootstrap_token, _data_dir(settings), now=clock())

        from openderms.server.dashboard import mount_dashboard

        admin = create_admin_app(store, settings=settings, changes=changes, clock=clock)
        # The operator dashboard shares the admin listener and its tokens (/dashboard/...).
        served = mount_dashboard(admin, store, clock=clock, settings=settings)
        # /healthz and /metrics (Prometheus) in front of the admin API and the dashboard.
        served = with_health(RequestMetrics(served, monitor, "admin"), monitor)
        listeners.append(Listener(served, _admin_config(settings), "admin", handshake_limits))
    if settings.openadr_listen is not None:
        from openderms.server.openadr.serve import openadr_listener

        vtn, delivery = openadr_listener(store, settings, loop)
        listeners.append(
            Listener(
                vtn,
                _admin_config(settings, settings.openadr_listen),
                "openadr",
                handshake_limits,
            )
        )
        background.append(delivery.run_forever(stop))
    tasks = [asyncio.create_task(coro) for coro in background]
    try:
        await serve(listeners, shutdown_trigger=shutdown_trigger, handle=handle)
    finally:
        stop.set()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=2)
            for task in pending:
                task.cancel()
        store.dispose()
