"""Serving: one process, one event loop, one or more hypercorn listeners.

`serve` is hypercorn's ``worker_serve`` reduced to what the head-end needs, with three
changes: every listener's connections go through `PeerCertificateTCPServer` (so routes
see the verified client certificate), several apps share one shutdown trigger (the
2030.5 listener and the admin listener run side by side), and TLS handshakes are bounded
(`HandshakeLimits`: a deadline, and how many may be pending per address and in total), so
connections that never start TLS cannot pin memory. Lifespan events reach every app, so
quart's startup/shutdown hooks run.
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

__all__ = ["HandshakeLimits", "Listener", "ServingHandle", "serve"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HandshakeLimits:
    """Bounds on TLS connections that have not finished their handshake.

    Attributes
    ----------
    timeout_s
        A handshake not done by then is dropped [s].
    pending_total
        Handshakes in progress at once on one listener; more are closed at accept.
    pending_per_address
        Handshakes in progress at once from one peer address.
    """

    timeout_s: float = 10.0
    pending_total: int = 512
    pending_per_address: int = 32


class _HandshakeGate:
    """Counts pending handshakes of one listener against its `HandshakeLimits`."""

    def __init__(self, limits: HandshakeLimits) -> None:
        self.limits = limits
        self.total = 0
        self.by_address: dict[str, int] = {}
        self.refused = 0

    def admit(self, address: str) -> bool:
        held = self.by_address.get(address, 0)
        if self.total >= self.limits.pending_total or held >= self.limits.pending_per_address:
            self.refused += 1
            return False
        self.total += 1
        self.by_address[address] = held + 1
        return True

    def release(self, address: str) -> None:
        self.total -= 1
        left = self.by_address[address] - 1
        if left:
            self.by_address[address] = left
        else:
            del self.by_address[address]


async def _handshake(
    writer: asyncio.StreamWriter, context: ssl.SSLContext, gate: _HandshakeGate
) -> bool:
    """TLS on an accepted connection, within the gate's limits; False when refused."""
    peer = writer.get_extra_info("peername")
    address = str(peer[0]) if peer else "?"
    if not gate.admit(address):
        writer.transport.abort()
        return False
    try:
        await writer.start_tls(context, ssl_handshake_timeout=gate.limits.timeout_s)
    except (ssl.SSLError, OSError, TimeoutError, ConnectionError) as exc:
        # Expected from scanners and misconfigured peers: one debug line, no traceback.
        logger.debug("TLS handshake from %s failed: %s", address, exc)
        writer.transport.abort()
        return False
    finally:
        gate.release(address)
    return True


@dataclass
class Listener:
    """One app on one address.

    Attributes
    ----------
    app
        An ASGI application (a quart app).
    config
        hypercorn Config with ``bind`` set; with certfile/keyfile/ca_certs (e.g. from
        `openderms.server.hypercorn_tls.hypercorn_config`) the listener is mutual TLS.
    name
        Shown in the log ("2030.5", "admin").
    handshake_limits
        Bounds on pending TLS handshakes; the deadline is ``config.ssl_handshake_timeout``
        unless given here.
    """

    app: Any  # any ASGI callable; hypercorn wraps it
    config: Config
    name: str = "app"
    handshake_limits: HandshakeLimits | None = None


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

            limits = listener.handshake_limits or HandshakeLimits(
                timeout_s=float(config.ssl_handshake_timeout)
            )
            gate = _HandshakeGate(limits)

            def _callback(
                config: Config = config,
                context: WorkerContext = context,
                state: LifespanState = state,
                wrapped: Any = wrapped,
                tls: ssl.SSLContext | None = None,
                gate: _HandshakeGate = gate,
            ) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
                async def on_connection(
                    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                ) -> None:
                    task = asyncio.current_task()
                    assert task is not None
                    connection_tasks.add(task)
                    task.add_done_callback(connection_tasks.discard)
                    if tls is not None and not await _handshake(writer, tls, gate):
                        return
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
                # TLS starts in `on_connection` (not in start_server), where the
                # pending handshakes are counted and bounded.
                servers.append(
                    await asyncio.start_server(
                        _callback(tls=ssl_context if secure else None),
                        sock=sock,
                        backlog=config.backlog,
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
