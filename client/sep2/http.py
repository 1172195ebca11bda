"""The HTTP adapter of the 2030.5 client: httpx over mutual TLS, bodies through the codec.

This is I/O; it knows nothing of what to fetch. Relative hrefs from the server are joined
to the scheme and authority of the DeviceCapability URL (servers choose every URI after
``/dcap``; IEEE 2030.5-2018 §5.3).
"""

from __future__ import annotations

import logging
import ssl
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from openderms.client.sep2.errors import (
    Sep2ConnectionError,
    Sep2HttpStatusError,
    Sep2ProtocolError,
)
from openderms.schemas.sep2 import codec
from openderms.schemas.sep2.errors import SepXmlError

__all__ = ["MEDIA_TYPE", "Sep2Http", "origin_of"]

MEDIA_TYPE = "application/sep+xml"
T = TypeVar("T")
log = logging.getLogger(__name__)


def origin_of(url: str) -> str:
    """``scheme://host:port`` of an absolute URL (the base every server href joins to)."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"not an absolute URL: {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


class Sep2Http:
    """GET/POST/PUT/DELETE of 2030.5 resources.

    Parameters
    ----------
    origin : str
        ``https://host:port`` of the server.
    ssl_context : ssl.SSLContext or None
        The 2030.5 client context (device certificate, server trust anchors). None only
        for plain-HTTP test servers.
    timeout_s : float
        Timeout of each request [s].
    transport : httpx.AsyncBaseTransport, optional
        Where requests go instead of a socket (an in-memory ASGI server in tests).
    """

    def __init__(
        self,
        origin: str,
        ssl_context: ssl.SSLContext | None,
        *,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.origin = origin
        self.answered = 0
        """Requests the server answered (any status): the runtime's evidence of contact."""
        self._client = httpx.AsyncClient(
            base_url=origin,
            verify=ssl_context if ssl_context is not None else False,
            timeout=timeout_s,
            headers={"Accept": MEDIA_TYPE},
            follow_redirects=False,
            transport=transport,
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def _request(self, method: str, href: str, body: bytes | None = None) -> httpx.Response:
        headers = {"Content-Type": MEDIA_TYPE} if body is not None else None
        try:
            response = await self._client.request(method, href, content=body, headers=headers)
        except httpx.TransportError as exc:
            raise Sep2ConnectionError(f"{method} {href}: {exc!r}") from exc
        self.answered += 1
        if not 200 <= response.status_code < 300:
            raise Sep2HttpStatusError(response.status_code, href, method)
        return response

    async def get(self, href: str, cls: type[T]) -> T:
        """GET ``href`` and decode it as ``cls``."""
        response = await self._request("GET", href)
        try:
            return codec.decode(response.content, cls)
        except SepXmlError as exc:
            raise Sep2ProtocolError(f"GET {href}: {exc}") from exc

    async def post(self, href: str, resource: Any) -> str | None:  # Any: any 2030.5 resource
        """POST ``resource`` to ``href``; returns the Location of what was created, if any."""
        response = await self._request("POST", href, codec.encode(resource))
        location = response.headers.get("Location")
        return self._relative(location) if location else None

    async def post_encoded(self, href: str, body: bytes) -> str | None:
        """POST a body the codec encoded earlier (the outbox keeps encoded messages)."""
        response = await self._request("POST", href, body)
        location = response.headers.get("Location")
        return self._relative(location) if location else None

    async def put(self, href: str, resource: Any) -> None:  # Any: any 2030.5 resource
        """PUT ``resource`` at ``href``."""
        await self._request("PUT", href, codec.encode(resource))

    async def delete(self, href: str) -> None:
        """DELETE ``href``."""
        await self._request("DELETE", href)

    def _relative(self, location: str) -> str:
        # Servers may answer with an absolute Location; keep hrefs relative to our origin.
        if location.startswith(self.origin):
            return location[len(self.origin) :] or "/"
        return location
