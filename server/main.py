"""Run the head-end: open the store, build the apps, serve until told to stop.

The 2030.5 app always runs; the admin app (``openderms.server.admin``) runs when
``admin_listen`` is set. Notifications plug in through `openderms.server.notify`: when
that package provides ``runtime.change_sink(store, settings)`` and
``runtime.run_delivery(store, settings, stop)``, the sink is given to both apps and the
delivery loop runs beside the listeners (all in one process, one event loop).
"""

from __future__ import annotations

import asyncio
import importlib
import ipaddress
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from hypercorn.config import Config

from openderms.server.app import create_app
from openderms.server.clock import utc_now_s
from openderms.server.config import ConfigError, ServerSettings
from openderms.server.runner import Listener, ServingHandle, serve
from openderms.server.services.changes import ChangeSink, NullChangeSink
from openderms.server.store.db import Store

__all__ = ["NOTIFY_RUNTIME_MODULE", "run_server", "sep2_hypercorn_config"]

logger = logging.getLogger(__name__)

#: Optional module of the notification part (see the module docstring).
NOTIFY_RUNTIME_MODULE = "openderms.server.notify.runtime"


def sep2_hypercorn_config(settings: ServerSettings) -> Config:
    """The hypercorn Config of the 2030.5 listener (mutual TLS unless behind a proxy)."""
    if settings.tls_terminated_by_proxy:
        if not settings.trusted_proxies:
            raise ConfigError("tls_terminated_by_proxy needs trusted_proxies")
        config = Config()
    else:
        if settings.certs_dir is None:
            raise ConfigError("the 2030.5 listener needs --certs (a PKI directory)")
        from openderms.certs.hypercorn_tls import hypercorn_config
        from openderms.certs.pki import PkiPaths

        paths = PkiPaths.in_directory(settings.certs_dir)
        for path in (paths.server_cert, paths.server_key, paths.serca_cert):
            if not path.exists():
                raise ConfigError(f"{path} is missing (run `openderms certs init`)")
        config = hypercorn_config(paths.server_cert, paths.server_key, paths.serca_cert)
    config.bind = [settings.listen]
    config.accesslog = None
    return config


def _admin_config(settings: ServerSettings) -> Config:
    assert settings.admin_listen is not None
    config = Config()
    config.bind = [settings.admin_listen]
    config.accesslog = None
    host = settings.admin_listen.rpartition(":")[0].strip("[]")
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        logger.warning("the admin API listens on %s over plain HTTP", settings.admin_listen)
    return config


def _notify_runtime() -> Any:
    try:
        return importlib.import_module(NOTIFY_RUNTIME_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != NOTIFY_RUNTIME_MODULE:
            raise
        return None


async def run_server(
    settings: ServerSettings,
    *,
    shutdown_trigger: Callable[[], Awaitable[object]],
    handle: ServingHandle | None = None,
    clock: Callable[[], int] = utc_now_s,
) -> None:
    """Serve the head-end described by `settings` until `shutdown_trigger` returns."""
    store = await asyncio.to_thread(Store.open, settings.db_url)
    runtime = _notify_runtime()
    changes: ChangeSink = NullChangeSink()
    background: list[Coroutine[Any, Any, None]] = []
    stop = asyncio.Event()
    if runtime is not None:
        changes = runtime.change_sink(store, settings)
        background.append(runtime.run_delivery(store, settings, stop))
    listeners = [
        Listener(
            create_app(settings, store, changes=changes, clock=clock),
            sep2_hypercorn_config(settings),
            "2030.5",
        )
    ]
    if settings.admin_listen is not None:
        from openderms.server.admin.app import create_admin_app

        admin = create_admin_app(store, settings=settings, changes=changes, clock=clock)
        listeners.append(Listener(admin, _admin_config(settings), "admin"))
    tasks = [asyncio.create_task(coro) for coro in background]
    try:
        await serve(listeners, shutdown_trigger=shutdown_trigger, handle=handle)
    finally:
        stop.set()
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        store.dispose()
