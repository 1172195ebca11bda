"""The gateway's HTTPS listener for 2030.5 Notifications (IEEE 2030.5-2018 §5.5.1).

When the gateway subscribes, the server POSTs ``Notification`` documents to the
``notificationURI`` the gateway gave; this is that endpoint. It is a small HTTP/1.1 server
(h11 over asyncio streams) behind mutual TLS: the server authenticates with its own
certificate, which must chain to the trust anchors of the gateway's server context.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Awaitable, Callable

import h11

__all__ = ["NotificationHandler", "NotificationListener"]

log = logging.getLogger(__name__)

NotificationHandler = Callable[[str, bytes], Awaitable[int]]
"""Called with the request path and body; returns the HTTP status to answer."""

_MAX_BODY_BYTES = 256 * 1024
_IDLE_TIMEOUT_S = 30.0


class NotificationListener:
    """Accepts ``POST`` requests and hands their bodies to ``handler``.

    Parameters
    ----------
    handler : NotificationHandler
    ssl_context : ssl.SSLContext or None
        Server-side TLS context that requires a client certificate; None serves plain
        HTTP (tests of the handler only).
    host, port : str, int
        Where to listen; port 0 picks a free port (see :attr:`port` after :meth:`start`).
    """

    def __init__(
        self,
        handler: NotificationHandler,
        ssl_context: ssl.SSLContext | None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._handler = handler
        self._ssl = ssl_context
        self._host = host
        self._port = port
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        """The port listened on."""
        if self._server is None:
            raise RuntimeError("listener not started")
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        """Bind and start accepting connections."""
        self._server = await asyncio.start_server(
            self._on_connection, self._host, self._port, ssl=self._ssl
        )
        log.info("notification listener on %s:%d", self._host, self.port)

    async def close(self) -> None:
        """Stop accepting and close open connections."""
        if self._server is not None:
            self._server.close()
            for task in list(self._connections):
                task.cancel()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            await self._serve(reader, writer)
        except (OSError, ssl.SSLError, h11.ProtocolError, TimeoutError) as exc:
            log.debug("notification connection ended: %r", exc)
        except asyncio.CancelledError:
            # close() cancels open connections; asyncio's stream callback would log a
            # cancelled handler as an error, so end it quietly.
            log.debug("notification connection closed by the listener")
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER)
        while True:
            request: h11.Request | None = None
            body = bytearray()
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    data = await asyncio.wait_for(reader.read(65536), _IDLE_TIMEOUT_S)
                    conn.receive_data(data)
                    continue
                if isinstance(event, h11.ConnectionClosed):
                    return
                if isinstance(event, h11.Request):
                    request = event
                elif isinstance(event, h11.Data):
                    body += event.data
                    if len(body) > _MAX_BODY_BYTES:
                        await self._reply(conn, writer, 413)
                        return
                elif isinstance(event, h11.EndOfMessage):
                    break
            assert request is not None  # h11 emits Request before EndOfMessage
            if request.method != b"POST":
                status = 405
            else:
                try:
                    status = await self._handler(request.target.decode("ascii"), bytes(body))
                except Exception:  # a bad notification must not kill the listener
                    log.exception("notification handler failed")
                    status = 500
            await self._reply(conn, writer, status)
            if conn.our_state is h11.MUST_CLOSE:
                return
            conn.start_next_cycle()

    @staticmethod
    async def _reply(conn: h11.Connection, writer: asyncio.StreamWriter, status: int) -> None:
        headers = [("Content-Length", "0")]
        writer.write(conn.send(h11.Response(status_code=status, headers=headers)) or b"")
        writer.write(conn.send(h11.EndOfMessage()) or b"")
        await writer.drain()
