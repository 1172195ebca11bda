"""A real HTTPS notification listener on 127.0.0.1 for tests (mutual TLS, HTTP/1.1 via h11).

It plays the 2030.5 client's notificationURI endpoint: it requires a client certificate
(the server's), records every request with the SHA-256 fingerprint of the peer
certificate, and answers with scripted status codes (e.g. 503 first, then 201).
It runs its own event loop in a thread so sync tests, async tests and tests that drive
subprocesses can all use it.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
import threading
from collections import deque
from dataclasses import dataclass

import h11


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    content_type: str
    body: bytes
    peer_cert_sha256: str  # hex, upper case


class NotificationListener:
    """Serve HTTPS on 127.0.0.1:<ephemeral port> until :meth:`stop`."""

    def __init__(
        self, ssl_context: ssl.SSLContext, statuses: list[int] | None = None, port: int = 0
    ) -> None:
        self._ssl_context = ssl_context
        self._port = port
        self._statuses: deque[int] = deque(statuses or [])
        self._lock = threading.Lock()
        self._received: list[ReceivedRequest] = []
        self._arrived = threading.Condition(self._lock)
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._handlers: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        #: TLS connections accepted so far.
        self.connections = 0
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self._received)

    def wait_for(self, count: int, timeout_s: float) -> list[ReceivedRequest]:
        """Block until ``count`` requests arrived or ``timeout_s`` passed; return them."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self._received) >= count, timeout=timeout_s)
            return list(self._received)

    def start(self) -> NotificationListener:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        future.result(timeout=10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> NotificationListener:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    async def _start(self) -> None:
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", self._port, ssl=self._ssl_context
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        # Server.close() leaves open connections to their handlers: end them here, or they
        # are torn down by the garbage collector after the loop has closed (and Python 3.12's
        # wait_closed() would wait for them forever). Closing the connection lets a handler
        # return by itself; a cancelled one would make asyncio's stream callback log a
        # CancelledError traceback (Python 3.11), so only a straggler is cancelled.
        handlers = dict(self._handlers)
        for writer in handlers.values():
            writer.transport.abort()
        if handlers:
            _done, stragglers = await asyncio.wait(handlers, timeout=2)
            for task in stragglers:
                task.cancel()
            await asyncio.gather(*stragglers, return_exceptions=True)
        await self._server.wait_closed()

    def drop_connections(self) -> None:
        """Abort every open connection (as a listener closing idle keep-alives does)."""

        async def drop() -> None:
            for writer in list(self._handlers.values()):
                writer.transport.abort()
            await asyncio.sleep(0.05)  # let the handlers see it

        asyncio.run_coroutine_threadsafe(drop(), self._loop).result(timeout=10)

    def _next_status(self) -> int:
        with self._lock:
            return self._statuses.popleft() if self._statuses else 201

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers[task] = writer
        self.connections += 1
        task.add_done_callback(lambda done: self._handlers.pop(done, None))
        ssl_object = writer.get_extra_info("ssl_object")
        peer_der = ssl_object.getpeercert(binary_form=True) if ssl_object else None
        fingerprint = hashlib.sha256(peer_der).hexdigest().upper() if peer_der else ""
        connection = h11.Connection(h11.SERVER)
        try:
            while True:
                request: h11.Request | None = None
                body = b""
                while True:
                    event = connection.next_event()
                    if event is h11.NEED_DATA:
                        data = await reader.read(65536)
                        if not data:
                            return  # the peer closed the connection
                        connection.receive_data(data)
                        continue
                    if isinstance(event, h11.Request):
                        request = event
                    elif isinstance(event, h11.Data):
                        body += bytes(event.data)
                    elif isinstance(event, h11.EndOfMessage):
                        break
                    elif isinstance(event, h11.ConnectionClosed):
                        return
                assert request is not None
                headers = {k.decode().lower(): v.decode() for k, v in request.headers}
                status = self._next_status()
                with self._arrived:
                    self._received.append(
                        ReceivedRequest(
                            method=request.method.decode(),
                            path=request.target.decode(),
                            content_type=headers.get("content-type", ""),
                            body=body,
                            peer_cert_sha256=fingerprint,
                        )
                    )
                    self._arrived.notify_all()
                writer.write(
                    connection.send(
                        h11.Response(status_code=status, headers=[("content-length", "0")])
                    )
                    or b""
                )
                writer.write(connection.send(h11.EndOfMessage()) or b"")
                await writer.drain()
                if connection.our_state is h11.MUST_CLOSE:
                    return
                connection.start_next_cycle()
        except (ConnectionError, ssl.SSLError, h11.RemoteProtocolError):
            return
        finally:
            writer.close()
