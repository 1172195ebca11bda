"""The one bridge from the TLS layer to the request: which certificate is calling.

hypercorn 0.18 verifies the client certificate during the handshake but does not put it
in the ASGI scope. Its per-connection ``TCPServer`` is built with the asyncio
``StreamWriter``, whose transport holds the ``ssl_object``; `PeerCertificateTCPServer`
reads ``getpeercert(binary_form=True)`` there once per connection and wraps the app so
that every request scope on that connection carries it as the ASGI TLS extension::

    scope["extensions"]["tls"] = {
        "client_cert_der": b"...",           # DER of the verified leaf, or None
        "client_cert_chain": ["-----BEGIN CERTIFICATE-----..."],   # ASGI TLS spec
        "tls_version": 0x0303,
    }

`openderms.server.runner` serves with this TCPServer. Behind a TLS-terminating proxy the
certificate arrives instead in a header (PEM, URL-encoded as nginx's
``$ssl_client_escaped_cert``), believed only from the configured proxy addresses.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Collection
from typing import Any
from urllib.parse import unquote

from hypercorn.asyncio.tcp_server import TCPServer
from hypercorn.asyncio.worker_context import WorkerContext
from hypercorn.config import Config
from hypercorn.typing import (
    AppWrapper,
    ASGIReceiveCallable,
    ASGISendCallable,
    LifespanState,
)
from hypercorn.typing import Scope as AsgiScope

__all__ = [
    "CLIENT_CERT_DER",
    "TLS_EXTENSION",
    "PeerCertificateApp",
    "PeerCertificateTCPServer",
    "client_certificate_der",
]

TLS_EXTENSION = "tls"
CLIENT_CERT_DER = "client_cert_der"
_TLS_VERSIONS = {"TLSv1.2": 0x0303, "TLSv1.3": 0x0304}


class PeerCertificateApp:
    """A hypercorn app wrapper that adds one connection's client certificate to scopes.

    Parameters
    ----------
    inner
        hypercorn's wrapper of the ASGI app (``ASGIWrapper``).
    client_cert_der
        The verified peer certificate of the connection (None on plain TCP).
    tls_version
        Negotiated protocol version as in the ASGI TLS extension (0x0303 = TLS 1.2).
    """

    def __init__(
        self, inner: AppWrapper, client_cert_der: bytes | None, tls_version: int | None
    ) -> None:
        self._inner = inner
        self._extension: dict[str, Any] = {
            CLIENT_CERT_DER: client_cert_der,
            "client_cert_chain": (
                [] if client_cert_der is None else [ssl.DER_cert_to_PEM_cert(client_cert_der)]
            ),
            "client_cert_name": None,
            "client_cert_error": None,
            "tls_version": tls_version,
            "cipher_suite": None,
            "server_cert": None,
        }

    async def __call__(
        self,
        scope: AsgiScope,
        receive: ASGIReceiveCallable,
        send: ASGISendCallable,
        sync_spawn: Callable[..., Any],
        call_soon: Callable[..., Any],
    ) -> None:
        if scope["type"] in ("http", "websocket"):
            scope["extensions"][TLS_EXTENSION] = dict(self._extension)
        await self._inner(scope, receive, send, sync_spawn, call_soon)


class PeerCertificateTCPServer(TCPServer):
    """hypercorn's per-connection server, with the peer certificate put into each scope."""

    def __init__(
        self,
        app: AppWrapper,
        loop: asyncio.AbstractEventLoop,
        config: Config,
        context: WorkerContext,
        state: LifespanState,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        ssl_object: ssl.SSLObject | None = writer.get_extra_info("ssl_object")
        der: bytes | None = None
        version: int | None = None
        if ssl_object is not None:
            der = ssl_object.getpeercert(binary_form=True)
            version = _TLS_VERSIONS.get(ssl_object.version() or "")
        super().__init__(
            PeerCertificateApp(app, der, version), loop, config, context, state, reader, writer
        )


def _pem_to_der(pem: str) -> bytes | None:
    try:
        return ssl.PEM_cert_to_DER_cert(pem.strip() + "\n")
    except ValueError:
        return None


def client_certificate_der(
    asgi_scope: dict[str, Any],
    *,
    trusted_proxies: Collection[str] = (),
    header_name: str = "X-SSL-Client-Cert",
) -> bytes | None:
    """The caller's certificate (DER), or None when there is none we can believe.

    The TLS extension set by `PeerCertificateTCPServer` wins. Otherwise, when the TCP peer
    is one of `trusted_proxies`, the URL-encoded PEM in `header_name` is used; the header
    from any other address is ignored (it would let anyone claim any identity).
    """
    extension = asgi_scope.get("extensions", {}).get(TLS_EXTENSION)
    if extension is not None and extension.get(CLIENT_CERT_DER):
        return bytes(extension[CLIENT_CERT_DER])
    client = asgi_scope.get("client")
    if not trusted_proxies or client is None or client[0] not in trusted_proxies:
        return None
    wanted = header_name.lower().encode("latin-1")
    for name, value in asgi_scope.get("headers", ()):
        if name.lower() == wanted:
            return _pem_to_der(unquote(value.decode("latin-1")))
    return None
