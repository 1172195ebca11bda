"""The delivery HTTP client against a real mutual-TLS listener on 127.0.0.1."""

from __future__ import annotations

import socket

import pytest
from notify_listener import NotificationListener
from notify_pki import NotifyPki

from openderms.server.notify.http import DeliveryHttpError, HttpPoster

BODY = b"<Notification/>"
HEADERS = {"Content-Type": "application/sep+xml"}


async def test_posts_to_one_listener_reuse_one_connection(notify_pki: NotifyPki) -> None:
    with NotificationListener(notify_pki.listener_context(), statuses=[201, 204]) as listener:
        async with HttpPoster(notify_pki.server_client_context()) as poster:
            first = await poster.post(f"{listener.url}/n/1?x=1", BODY, HEADERS)
            second = await poster.post(f"{listener.url}/n/2", BODY, HEADERS)
        received = listener.received
        connections = listener.connections
    assert (first, second) == (201, 204)
    assert [(r.path, r.body, r.content_type) for r in received] == [
        ("/n/1?x=1", BODY, "application/sep+xml"),
        ("/n/2", BODY, "application/sep+xml"),
    ]
    assert connections == 1  # kept alive
    assert {r.peer_cert_sha256 for r in received} == {notify_pki.server_cert_sha256}


async def test_a_kept_connection_the_listener_closed_is_replaced_once(
    notify_pki: NotifyPki,
) -> None:
    """The listener dropped the idle connection: the next POST goes on a new one, once."""
    with NotificationListener(notify_pki.listener_context()) as listener:
        async with HttpPoster(notify_pki.server_client_context()) as poster:
            assert await poster.post(f"{listener.url}/a", BODY, HEADERS) == 201
            listener.drop_connections()
            assert await poster.post(f"{listener.url}/b", BODY, HEADERS) == 201
        paths = [r.path for r in listener.received]
        connections = listener.connections
    assert paths == ["/a", "/b"]  # each exactly once
    assert connections == 2


async def test_refused_connection_and_bad_urls_are_delivery_errors(notify_pki: NotifyPki) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with HttpPoster(notify_pki.server_client_context()) as poster:
        with pytest.raises(DeliveryHttpError) as refused:
            await poster.post(f"https://127.0.0.1:{port}/n", BODY, HEADERS)
        with pytest.raises(DeliveryHttpError) as not_http:
            await poster.post("ftp://127.0.0.1/n", BODY, HEADERS)
    assert refused.value.kind == "ConnectError"
    assert not_http.value.kind == "UnsupportedURL"
