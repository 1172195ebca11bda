"""The tester's end of 2030.5 Notifications: a mutual-TLS listener with an inbox.

The head-end POSTs Notifications to the ``notificationURI`` a virtual client gave in its
Subscription; each lands in a queue the runner reads with a deadline. ``pause`` takes the
listener down on the same port (to test the head-end's retries), ``start`` brings it back.
"""

from __future__ import annotations

import asyncio
import ssl
import time

from openderms.client.runtime.listener import NotificationListener

__all__ = ["NotificationInbox"]


class NotificationInbox:
    def __init__(self, context: ssl.SSLContext, *, host: str = "127.0.0.1") -> None:
        self._context = context
        self._host = host
        self._port = 0
        self._queue: asyncio.Queue[tuple[str, bytes, float]] = asyncio.Queue(maxsize=1000)
        self._listener: NotificationListener | None = None

    async def _received(self, path: str, body: bytes) -> int:
        try:
            self._queue.put_nowait((path, body, time.time()))
        except asyncio.QueueFull:
            return 503
        return 204

    async def start(self) -> None:
        if self._listener is not None:
            return
        self._listener = NotificationListener(
            self._received, self._context, host=self._host, port=self._port
        )
        await self._listener.start()
        self._port = self._listener.port

    async def pause(self) -> None:
        if self._listener is not None:
            await self._listener.close()
            self._listener = None

    async def stop(self) -> None:
        await self.pause()

    def uri(self, path: str) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"https://{host}:{self._port}{path}"

    async def next(self) -> tuple[str, bytes, float]:
        return await self._queue.get()
