"""Serving: one process, one event loop, one or more hypercorn listeners.

`serve` is hypercorn's ``worker_serve`` reduced to what the head-end needs, with two
changes: every listener's connections go through `PeerCertificateTCPServer` (so routes
see the verified client certificate), and several apps share one shutdown trigger (the
2030.5 listener and the admin listener run side by side). Lifespan events reach every
app, so quart's startup/shutdown hooks run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypercorn.asyncio.lifespan import Lifespan
from hypercorn.asyncio.worker_context import WorkerContext
from hypercorn.config import Config
from hypercorn.typing import LifespanState
from hypercorn.utils import repr_socket_addr, wrap_app

from openderms.server.identity import PeerCertificateTCPServer

__all__ = ["Listener", "ServingHandle", "serve"]

logger = logging.getLogger(__name__)


@dataclass
class Listener:
    """One app on one address.

    Attributes
    ----------
    app
        An ASGI application (a quart app).
    config
        hypercorn Config with ``bind`` set; with certfile/keyfile/ca_certs (e.g. from
        `openderms.certs.hypercorn_tls.hypercorn_config`) the listener is mutual TLS.
    name
        Shown in the log ("2030.5", "admin").
    """

    app: Any  # any ASGI callable; hypercorn wraps it
    config: Config
    name: str = "app"


@dataclass
class ServingHandle:
    """Filled in by `serve` once every listener is bound: where each one listens."""

    addresses: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    ready: asyncio.Event = field(default_factory=asyncio.Event)


async def serve(
    listeners: Sequence[Listener],
    *,
    shutdown_trigger: Callable[[], Awaitable[object]],
    handle: ServingHandle | None = None,
) -> None:
    """Serve every listener until `shutdown_trigger` returns, then shut down gracefully.

    Parameters
    ----------
    listeners
        The apps and their addresses; port 0 binds a free port (see `handle`).
    shutdown_trigger
        Awaited; when it returns, listeners close and open connections get
        ``graceful_timeout`` to finish.
    handle
        Receives the bound addresses and is set ready when all listen.
    """
    loop = asyncio.get_running_loop()
    handle = handle or ServingHandle()
    servers: list[asyncio.Server] = []
    lifespans: list[tuple[Lifespan, asyncio.Task[None]]] = []
    connection_tasks: set[asyncio.Task[Any]] = set()
    contexts: list[WorkerContext] = []
    try:
        for listener in listeners:
            config = listener.config
            wrapped = wrap_app(listener.app, config.wsgi_max_body_size, None)
            state: LifespanState = {}
            lifespan = Lifespan(wrapped, config, loop, state)
            lifespan_task = loop.create_task(lifespan.handle_lifespan())
            lifespans.append((lifespan, lifespan_task))
            await lifespan.wait_for_startup()
            if lifespan_task.done() and lifespan_task.exception() is not None:
                raise lifespan_task.exception()  # type: ignore[misc]
            context = WorkerContext(None)
            contexts.append(context)
            ssl_context = config.create_ssl_context() if config.ssl_enabled else None
            sockets = config.create_sockets()
            bound = [*sockets.secure_sockets, *sockets.insecure_sockets]

            def _callback(
                config: Config = config,
                context: WorkerContext = context,
                state: LifespanState = state,
                wrapped: Any = wrapped,
            ) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
                async def on_connection(
                    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                ) -> None:
                    task = asyncio.current_task()
                    assert task is not None
                    connection_tasks.add(task)
                    task.add_done_callback(connection_tasks.discard)
                    try:
                        await PeerCertificateTCPServer(
                            wrapped, loop, config, context, state, reader, writer
                        )
                    except (ssl.SSLError, OSError) as exc:
                        # hypercorn's close path lets a TLS shutdown error escape (a peer
                        # that sends data after close_notify); the connection is gone
                        # either way, so it is not worth asyncio's error log.
                        logger.debug("connection closed uncleanly: %s", exc)

                return on_connection

            for sock in bound:
                secure = sock in sockets.secure_sockets
                servers.append(
                    await asyncio.start_server(
                        _callback(),
                        sock=sock,
                        backlog=config.backlog,
                        ssl=ssl_context if secure else None,
                        ssl_handshake_timeout=config.ssl_handshake_timeout if secure else None,
                    )
                )
                address = sock.getsockname()
                handle.addresses.setdefault(listener.name, []).append(
                    (str(address[0]), int(address[1]))
                )
                scheme = "https" if secure else "http"
                logger.info(
                    "%s listening on %s://%s",
                    listener.name,
                    scheme,
                    repr_socket_addr(sock.family, address),
                )
        handle.ready.set()
        await shutdown_trigger()
    finally:
        for context in contexts:
            await context.terminated.set()
        for server in servers:
            server.close()
        for server in servers:
            await server.wait_closed()
        if connection_tasks:
            timeout = max((listener.config.graceful_timeout for listener in listeners), default=5)
            _, pending = await asyncio.wait(list(connection_tasks), timeout=timeout)
            for task in pending:
                task.cancel()
        for lifespan, lifespan_task in lifespans:
            if not lifespan_task.done():
                await lifespan.wait_for_shutdown()
            lifespan_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await lifespan_task
