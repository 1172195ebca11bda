"""The gateway's Notification endpoint: real mutual TLS on loopback (IEEE 2030.5 §5.5.1)."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest

from openderms.certs import pki, tls
from openderms.client.runtime.listener import NotificationListener


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("pki")
    pki.init_pki(directory)
    pki.issue_device(directory, "gateway")
    return directory


def listener_context(pki_dir: Path) -> ssl.SSLContext:
    # The gateway serves with its own device certificate: 2030.5 devices have one.
    return tls.server_context(
        pki_dir / "gateway.pem", pki_dir / "gateway.key", pki_dir / "serca.pem"
    )


def notifier(pki_dir: Path, name: str = "server") -> httpx.AsyncClient:
    context = tls.client_context(
        pki_dir / f"{name}.pem",
        pki_dir / f"{name}.key",
        pki_dir / "serca.pem",
        check_hostname=False,
    )
    return httpx.AsyncClient(verify=context)


async def test_posted_notification_reaches_the_handler(pki_dir: Path) -> None:
    received: list[tuple[str, bytes]] = []

    async def handler(path: str, body: bytes) -> int:
        received.append((path, body))
        return 204

    listener = NotificationListener(handler, listener_context(pki_dir))
    await listener.start()
    try:
        async with notifier(pki_dir) as client:
            url = f"https://127.0.0.1:{listener.port}/notify"
            first = await client.post(url, content=b"<Notification/>")
            second = await client.post(url, content=b"<Notification>2</Notification>")
    finally:
        await listener.close()
    assert (first.status_code, second.status_code) == (204, 204)
    assert received == [
        ("/notify", b"<Notification/>"),
        ("/notify", b"<Notification>2</Notification>"),
    ]


async def test_handler_status_is_returned(pki_dir: Path) -> None:
    async def handler(path: str, body: bytes) -> int:
        return 400

    listener = NotificationListener(handler, listener_context(pki_dir))
    await listener.start()
    try:
        async with notifier(pki_dir) as client:
            response = await client.post(f"https://127.0.0.1:{listener.port}/notify", content=b"x")
            get = await client.get(f"https://127.0.0.1:{listener.port}/notify")
    finally:
        await listener.close()
    assert response.status_code == 400
    assert get.status_code == 405


async def test_peer_without_client_certificate_is_refused(pki_dir: Path) -> None:
    async def handler(path: str, body: bytes) -> int:
        raise AssertionError("must not be called")

    listener = NotificationListener(handler, listener_context(pki_dir))
    await listener.start()
    try:
        context = ssl.create_default_context(cafile=str(pki_dir / "serca.pem"))
        context.check_hostname = False
        tls_ciphers = tls.cipher_string("csip")
        context.set_ciphers(tls_ciphers)
        async with httpx.AsyncClient(verify=context) as client:
            with pytest.raises(httpx.TransportError):
                await client.post(f"https://127.0.0.1:{listener.port}/notify", content=b"x")
    finally:
        await listener.close()
