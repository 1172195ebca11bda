"""The 2030.5 server TLS settings applied to a real hypercorn server, with an httpx client."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from certs_testlib import bare_client_context, rsa_device
from hypercorn.asyncio import serve

from openderms.certs.errors import TlsConfigError
from openderms.certs.pki import DeviceFiles, PkiPaths
from openderms.certs.tls import CSIP_CIPHER, client_context
from openderms.server.hypercorn_tls import hypercorn_config

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def _hello(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hello"})


@pytest.fixture
async def server_url(pki: PkiPaths) -> AsyncIterator[str]:
    """A hypercorn server on 127.0.0.1 with hypercorn_config; yields its https URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = hypercorn_config(pki.server_cert, pki.server_key, pki.serca_cert)
    config.bind = [f"fd://{listener.detach()}"]
    config.accesslog = None
    stop = asyncio.Event()
    task = asyncio.create_task(serve(_hello, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
    try:
        yield await _wait_until_listening(f"https://localhost:{port}", port)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)


async def _wait_until_listening(url: str, port: int) -> str:
    for _ in range(200):  # bounded: at most ~2 s for hypercorn to start accepting
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.01)
            continue
        writer.close()
        await writer.wait_closed()
        return url
    raise RuntimeError("hypercorn did not start")


async def test_hypercorn_serves_device_over_ccm8(
    server_url: str, pki: PkiPaths, device: DeviceFiles
) -> None:
    context = client_context(device.cert, device.key, pki.serca_cert)

    async with httpx.AsyncClient(verify=context) as client:
        response = await client.get(server_url)
        ssl_object = response.extensions["network_stream"].get_extra_info("ssl_object")

    assert response.status_code == 200
    assert response.text == "hello"
    assert ssl_object.version() == "TLSv1.2"
    assert ssl_object.cipher()[0] == CSIP_CIPHER


async def test_hypercorn_refuses_client_without_certificate(
    server_url: str, pki: PkiPaths
) -> None:
    async with httpx.AsyncClient(verify=bare_client_context(pki.serca_cert)) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(server_url)


async def test_hypercorn_refuses_rsa_client_certificate(
    server_url: str, pki: PkiPaths, tmp_path: Path
) -> None:
    files = rsa_device(pki, tmp_path)
    context = client_context(files.cert, files.key, pki.serca_cert)

    async with httpx.AsyncClient(verify=context) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(server_url)


def test_hypercorn_config_fields_match_the_context(pki: PkiPaths) -> None:
    config = hypercorn_config(pki.server_cert, pki.server_key, pki.serca_cert, ciphers="wide")

    context = config.create_ssl_context()

    assert config.ssl_enabled
    assert config.verify_mode == ssl.CERT_REQUIRED
    assert context is not None
    assert context.maximum_version == ssl.TLSVersion.TLSv1_2
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert "ECDHE-ECDSA-AES128-GCM-SHA256" in {c["name"] for c in context.get_ciphers()}


def test_hypercorn_config_without_ca_refuses_to_serve_one_way_tls(pki: PkiPaths) -> None:
    config = hypercorn_config(pki.server_cert, pki.server_key, pki.serca_cert)
    config.ca_certs = None

    with pytest.raises(TlsConfigError, match="SERCA"):
        config.create_ssl_context()
