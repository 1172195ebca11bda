"""A lean HTTP/1.1 POST client for deliveries: asyncio streams, asyncio's TLS, h11.

A delivery is protocol-neutral: a URL, the TLS context, a body and its headers; the answer
that matters is the status code. Measured on a fleet of mutual-TLS listeners
(benchmarks/bench_fanout.py), a general-purpose client spent about four times the CPU of
the handshake itself per new-connection POST; this one adds little to it. Connections
are kept alive per peer (``scheme://host:port``) for reuse by the next delivery to the
same listener, a few per peer and for a short time.

There are no timeouts here: the caller puts one deadline on the whole exchange (and a
cancelled exchange aborts its connection).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import h11

__all__ = ["DeliveryHttpError", "HttpPoster"]

#: The most response bytes read (status line, headers and body) [bytes].
_MAX_RESPONSE_BYTES = 64 * 1024
_READ_CHUNK = 16 * 1024


class DeliveryHttpError(Exception):
    """One POST failed before a complete response; ``kind`` names how (ConnectError, ...)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(slots=True)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    h11: h11.Connection
    idle_since: float = 0.0

    def abort(self) -> None:
        self.writer.transport.abort()


@dataclass(frozen=True, slots=True)
class _Target:
    peer: str
    scheme: str
    host: str
    port: int
    path: str
    host_header: str


def _target(url: str) -> _Target:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.hostname:
        raise DeliveryHttpError("UnsupportedURL", f"not an http(s) URL: {url!r}")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise DeliveryHttpError("UnsupportedURL", f"bad port in {url!r}") from exc
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = parts.hostname
    return _Target(
        peer=f"{scheme}://{host.lower()}:{port}",
        scheme=scheme,
        host=host,
        port=port,
        path=path,
        host_header=parts.netloc.rsplit("@", 1)[-1],
    )


class HttpPoster:
    """POSTs bodies over HTTP/1.1, keeping a few idle connections per peer.

    Parameters
    ----------
    ssl_context
        Client TLS context for https URLs (None: the system's default verification).
    idle_per_peer
        Idle connections kept per peer for the next delivery to it.
    idle_total
        Idle connections kept in all.
    idle_s
        How long an idle connection is kept [s].
    """

    def __init__(
        self,
        ssl_context: ssl.SSLContext | None,
        *,
        idle_per_peer: int = 4,
        idle_total: int = 512,
        idle_s: float = 5.0,
    ) -> None:
        self._ssl_context = ssl_context
        self._idle_per_peer = idle_per_peer
        self._idle_total = idle_total
        self._idle_s = idle_s
        self._idle: dict[str, list[_Connection]] = {}
        self._idle_count = 0

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POST ``body`` to ``url`` and return the response's status code.

        Raises
        ------
        DeliveryHttpError
            No complete response (connect, TLS, protocol, or a peer that closed early).
        """
        target = _target(url)
        reused = self._take_idle(target.peer)
        if reused is not None:
            try:
                return await self._exchange(reused, target, body, headers)
            except DeliveryHttpError as exc:
                if exc.kind != "StaleConnection":
                    raise
                # The peer closed its idle end before reading: try once on a new connection.
        connection = await self._connect(target)
        return await self._exchange(connection, target, body, headers)

    async def aclose(self) -> None:
        """Close every idle connection."""
        for connections in self._idle.values():
            for connection in connections:
                connection.abort()
        self._idle.clear()
        self._idle_count = 0

    async def __aenter__(self) -> HttpPoster:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    def _take_idle(self, peer: str) -> _Connection | None:
        connections = self._idle.get(peer)
        now = time.monotonic()
        while connections:
            connection = connections.pop()
            self._idle_count -= 1
            if now - connection.idle_since < self._idle_s and not connection.reader.at_eof():
                if not connections:
                    del self._idle[peer]
                return connection
            connection.abort()
        self._idle.pop(peer, None)
        return None

    def _put_idle(self, peer: str, connection: _Connection) -> None:
        connections = self._idle.setdefault(peer, [])
        if len(connections) >= self._idle_per_peer or self._idle_count >= self._idle_total:
            connection.abort()
            if not connections:
                del self._idle[peer]
            return
        connection.idle_since = time.monotonic()
        connections.append(connection)
        self._idle_count += 1

    async def _connect(self, target: _Target) -> _Connection:
        context: ssl.SSLContext | None = None
        if target.scheme == "https":
            context = self._ssl_context or ssl.create_default_context()
        try:
            reader, writer = await asyncio.open_connection(
                target.host,
                target.port,
                ssl=context,
                server_hostname=target.host if context is not None else None,
                limit=_READ_CHUNK * 4,
            )
        except (OSError, ssl.SSLError) as exc:  # refused, unreachable, handshake refused
            raise DeliveryHttpError("ConnectError", str(exc) or type(exc).__name__) from exc
        return _Connection(reader, writer, h11.Connection(h11.CLIENT))

    async def _exchange(
        self, connection: _Connection, target: _Target, body: bytes, headers: dict[str, str]
    ) -> int:
        keep = False
        try:
            status, keep = await self._request(connection, target, body, headers)
            return status
        finally:
            if keep:
                self._put_idle(target.peer, connection)
            else:
                connection.abort()

    async def _request(
        self, connection: _Connection, target: _Target, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bool]:
        fresh = connection.idle_since == 0.0  # never idle in the pool: not reused
        conn = connection.h11
        request_headers = [
            ("Host", target.host_header),
            ("Content-Length", str(len(body))),
            *headers.items(),
        ]
        try:
            data = conn.send(
                h11.Request(method="POST", target=target.path, headers=request_headers)
            )
            data = (data or b"") + (conn.send(h11.Data(data=body)) or b"")
            data += conn.send(h11.EndOfMessage()) or b""
        except h11.LocalProtocolError as exc:
            raise DeliveryHttpError("ProtocolError", str(exc)) from exc
        received = 0
        status: int | None = None
        try:
            connection.writer.write(data)
            await connection.writer.drain()
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    chunk = await connection.reader.read(_READ_CHUNK)
                    received += len(chunk)
                    if received > _MAX_RESPONSE_BYTES:
                        raise DeliveryHttpError("ProtocolError", "response too large")
                    if not chunk and status is None and received == 0 and not fresh:
                        raise DeliveryHttpError("StaleConnection", "idle connection was closed")
                    conn.receive_data(chunk)
                    continue
                if isinstance(event, h11.Response):
                    status = event.status_code
                elif isinstance(event, h11.EndOfMessage):
                    break
                elif isinstance(event, h11.ConnectionClosed):
                    raise DeliveryHttpError("RemoteProtocolError", "closed before a response")
        except (ConnectionError, ssl.SSLError, OSError) as exc:
            if status is None and received == 0 and not fresh:
                raise DeliveryHttpError("StaleConnection", str(exc)) from exc
            raise DeliveryHttpError("ReadError", str(exc) or type(exc).__name__) from exc
        except h11.RemoteProtocolError as exc:
            raise DeliveryHttpError("RemoteProtocolError", str(exc)) from exc
        assert status is not None  # h11 yields a Response before EndOfMessage
        reusable = conn.our_state is h11.DONE and conn.their_state is h11.DONE
        if reusable:
            conn.start_next_cycle()
        return status, reusable
