"""Where the caller's identity comes from: the TLS peer certificate (bridged from hypercorn)
or, behind a TLS-terminating proxy, a header believed only from trusted addresses."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

import httpx
import pytest
from hypercorn.config import Config

from openderms.schemas.sep2 import models as sep
from openderms.server.app import create_app
from openderms.server.config import ServerSettings
from openderms.server.identity import CLIENT_CERT_DER, TLS_EXTENSION, client_certificate_der
from openderms.server.runner import Listener, ServingHandle, serve
from openderms.server.services import registration
from openderms.server.store.db import Store
from openderms.testing.head_end import DeviceCerts, Sep2Server, parse, wait_until_serving

HEADER = "X-SSL-Client-Cert"


def _first_pem(device_certs: DeviceCerts, name: str) -> str:
    """The leaf certificate of a device chain file, as PEM."""
    end = "-----END CERTIFICATE-----"
    return device_certs.get(name).cert.read_text().split(end)[0] + end + "\n"


def _escaped_pem(device_certs: DeviceCerts, name: str) -> str:
    """The device certificate as nginx's $ssl_client_escaped_cert sends it."""
    return quote(_first_pem(device_certs, name), safe="")


async def test_tls_peer_certificate_reaches_the_request(sep2_server: Sep2Server) -> None:
    """Over mutual TLS the EndDeviceList is the one of the presented certificate."""
    srv = sep2_server
    ident = srv.identity("tls-peer")
    srv.store.call(registration.register_end_device, srv.ctx(), lfdi=ident.lfdi)
    listed = parse(await srv.client("tls-peer").get("/edev"), sep.EndDeviceList)
    assert [d.lFDI for d in listed.EndDevice] == [bytes.fromhex(ident.lfdi)]


@asynccontextmanager
async def _plain_server(store: Store, settings: ServerSettings) -> AsyncIterator[str]:
    """The app served as plain HTTP on 127.0.0.1 (a free port) until the block ends."""
    config = Config()
    config.bind = ["127.0.0.1:0"]
    config.accesslog = None
    config.graceful_timeout = 1
    handle = ServingHandle()
    stop = asyncio.Event()
    app = create_app(settings, store)
    task = asyncio.create_task(
        serve([Listener(app, config, "2030.5")], shutdown_trigger=stop.wait, handle=handle)
    )
    await wait_until_serving(task, handle)
    host, port = handle.addresses["2030.5"][0]
    try:
        yield f"http://{host}:{port}"
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)


@pytest.fixture
async def proxied(store: Store) -> AsyncIterator[str]:
    """The app as plain HTTP behind a proxy at 127.0.0.1 (trusted)."""
    settings = ServerSettings(tls_terminated_by_proxy=True, trusted_proxies=("127.0.0.1",))
    async with _plain_server(store, settings) as url:
        yield url


@pytest.fixture
async def untrusting(store: Store) -> AsyncIterator[str]:
    """The app as plain HTTP trusting a proxy address that is not ours."""
    settings = ServerSettings(tls_terminated_by_proxy=True, trusted_proxies=("192.0.2.1",))
    async with _plain_server(store, settings) as url:
        yield url


async def test_certificate_header_from_trusted_proxy_is_believed(
    proxied: str, store: Store, device_certs: DeviceCerts
) -> None:
    async with httpx.AsyncClient(base_url=proxied) as client:
        response = await client.get(
            "/edev", headers={HEADER: _escaped_pem(device_certs, "proxied-device")}
        )
        assert response.status_code == 200
        assert (await client.get("/dcap")).status_code == 403  # no header, no identity


async def test_certificate_header_from_untrusted_address_is_ignored(
    untrusting: str, device_certs: DeviceCerts
) -> None:
    async with httpx.AsyncClient(base_url=untrusting) as client:
        response = await client.get(
            "/edev", headers={HEADER: _escaped_pem(device_certs, "spoofer")}
        )
    assert response.status_code == 403


def test_tls_extension_wins_over_a_header(device_certs: DeviceCerts) -> None:
    files = device_certs.get("ext-wins")
    der = ssl.PEM_cert_to_DER_cert(
        files.cert.read_text().split("-----END CERTIFICATE-----")[0]
        + "-----END CERTIFICATE-----\n"
    )
    scope = {
        "client": ("127.0.0.1", 1),
        "headers": [(HEADER.lower().encode(), b"garbage")],
        "extensions": {TLS_EXTENSION: {CLIENT_CERT_DER: der}},
    }
    assert client_certificate_der(scope, trusted_proxies=("127.0.0.1",)) == der


def test_malformed_header_gives_no_identity() -> None:
    scope = {"client": ("127.0.0.1", 1), "headers": [(b"x-ssl-client-cert", b"%2D%2Dnope")]}
    assert client_certificate_der(scope, trusted_proxies=("127.0.0.1",)) is None
