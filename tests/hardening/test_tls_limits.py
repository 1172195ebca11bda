"""Memory pinned without authentication (issue 12, item 5): TCP connections that never
finish TLS are bounded in time and in number, per address and in total, on the 2030.5
listener and on the admin listener, and a real device still gets in meanwhile."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import AsyncIterator

import pytest
from hardening_testlib import Tally
from hypercorn.config import Config

from openderms.certs.pki import PkiPaths
from openderms.server.admin.app import create_admin_app
from openderms.server.app import create_app
from openderms.server.config import ServerSettings
from openderms.server.hypercorn_tls import hypercorn_config
from openderms.server.runner import HandshakeLimits, Listener, ServingHandle, serve
from openderms.server.store.db import Store
from openderms.testing.head_end import DeviceCerts, wait_until_serving

LIMITS = HandshakeLimits(timeout_s=1.5, pending_total=12, pending_per_address=4)


@pytest.fixture
async def listeners(
    store: Store, server_pki: PkiPaths
) -> AsyncIterator[dict[str, tuple[str, int]]]:
    settings = ServerSettings()
    sep2 = hypercorn_config(server_pki.server_cert, server_pki.server_key, server_pki.serca_cert)
    admin = Config()  # server-authenticated TLS, as `openderms server --admin-listen`
    admin.certfile, admin.keyfile = str(server_pki.server_cert), str(server_pki.server_key)
    for config in (sep2, admin):
        config.bind = ["127.0.0.1:0"]
        config.accesslog = None
        config.graceful_timeout = 1
    handle = ServingHandle()
    stop = asyncio.Event()
    served = [
        Listener(create_app(settings, store), sep2, "2030.5", LIMITS),
        Listener(create_admin_app(store, settings=settings), admin, "admin", LIMITS),
    ]
    task = asyncio.create_task(serve(served, shutdown_trigger=stop.wait, handle=handle))
    await wait_until_serving(task, handle)
    try:
        yield {name: addresses[0] for name, addresses in handle.addresses.items()}
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)


def _idle_connection(target: tuple[str, int], source: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((source, 0))
    sock.connect(target)
    sock.setblocking(False)
    return sock


async def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes `sock` (EOF or reset) within `seconds`."""
    loop = asyncio.get_running_loop()
    try:
        data = await asyncio.wait_for(loop.sock_recv(sock, 1), seconds)
    except TimeoutError:
        return False
    except ConnectionError:
        return True
    return data == b""


async def test_idle_tls_connections_are_bounded_on_both_listeners(
    listeners: dict[str, tuple[str, int]], device_certs: DeviceCerts, server_pki: PkiPaths
) -> None:
    tally = Tally("connections that never start TLS (limits 4 per address, 12 in total)")
    for name, target in listeners.items():
        opened: list[socket.socket] = []
        try:
            per_address = [_idle_connection(target, "127.0.0.2") for _ in range(8)]
            opened += per_address
            await asyncio.sleep(0.2)
            closed = [await _closed_within(s, 0.3) for s in per_address]
            tally.check(
                closed.count(False) == LIMITS.pending_per_address,
                f"{name}: {closed.count(False)} held from one address",
            )
            # A real peer from another address still completes its handshake (one address is full).
            began = time.monotonic()
            _, writer = await asyncio.open_connection(
                *target, ssl=_client_context(name, device_certs, server_pki), server_hostname=None
            )
            tally.check(time.monotonic() - began < 1.0, f"{name}: real handshake too slow")
            writer.close()
            spread = [_idle_connection(target, f"127.0.0.{3 + i % 5}") for i in range(5 * 4)]
            opened += spread
            await asyncio.sleep(0.2)
            held = [s for s in per_address + spread if not await _closed_within(s, 0.1)]
            tally.check(len(held) <= LIMITS.pending_total, f"{name}: {len(held)} held in total")
            # Past the deadline the held connections are dropped too.
            dropped = [await _closed_within(s, LIMITS.timeout_s + 1.5) for s in held]
            tally.check(all(dropped), f"{name}: {dropped.count(False)} outlived the deadline")
        finally:
            for sock in opened:
                sock.close()
    assert tally.report() == []


def _client_context(listener: str, device_certs: DeviceCerts, pki: PkiPaths) -> ssl.SSLContext:
    """A device's mutual-TLS context (2030.5), or an admin client's server-checking one."""
    from openderms.certs.tls import client_context

    if listener == "admin":
        context = ssl.create_default_context(cafile=pki.serca_cert)
        context.check_hostname = False
        return context
    files = device_certs.get("tls-limits")
    return client_context(files.cert, files.key, pki.serca_cert, check_hostname=False)
