"""The real 2030.5 server and admin API in memory: ASGI apps behind httpx, no sockets.

For tests that drive a 2030.5 session with a virtual clock and no network (the
:mod:`openderms.testing.rig` runs the same server over real mutual TLS).

The server's own apps (``create_app``, ``create_admin_app``) over a real store; the client
certificate reaches the app as the ASGI TLS extension, exactly as the server's TLS layer
puts it there (:mod:`openderms.server.identity`), so identities and scopes are the server's
own. Time is a virtual clock both ends read.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from openderms.certs import pki
from openderms.certs.identity import identity_from_pem
from openderms.client.config import GatewayConfig, NotificationConfig, TimingConfig
from openderms.client.sep2.http import Sep2Http
from openderms.client.sep2.session import Sep2Session
from openderms.client.store import GatewayStore
from openderms.server.admin.app import create_admin_app
from openderms.server.admin.tokens import AdminRole, create_token
from openderms.server.app import create_app
from openderms.server.config import ServerSettings
from openderms.server.identity import CLIENT_CERT_DER, TLS_EXTENSION
from openderms.server.store.db import Store
from openderms.testing.clock import NOON_S, VirtualClock

__all__ = ["ORIGIN", "MemoryHeadEnd", "memory_head_end", "with_client_certificate"]

ORIGIN = "https://sep2.test"
"""The origin the session's HTTP client believes it talks to."""
_PIN = 123455


def with_client_certificate(app: Any, der: bytes) -> Any:  # Any: ASGI callables
    """``app`` as if every request came over mutual TLS with the certificate ``der``."""

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:  # Any: ASGI
        if scope["type"] == "http":
            extensions = {**scope.get("extensions", {}), TLS_EXTENSION: {CLIENT_CERT_DER: der}}
            scope = {**scope, "extensions": extensions}
        await app(scope, receive, send)

    return asgi


def _ok(response: httpx.Response) -> Any:  # Any: a JSON body
    if not response.is_success:
        raise AssertionError(f"{response.request.url}: {response.status_code} {response.text}")
    return response.json()


@dataclass
class MemoryHeadEnd:
    """A head-end in memory and the 2030.5 session of one device registered with it."""

    clock: VirtualClock
    admin: httpx.AsyncClient
    """The admin API (utility token)."""
    lfdi: str
    session: Sep2Session
    """Not started: call ``start`` (or hand it to a runtime)."""

    async def control(self, modes: dict[str, Any], *, duration_s: int, starts_in_s: int) -> Any:
        """A DERControl for the device through the admin API (its JSON)."""
        start = int(self.clock.now_s) + starts_in_s
        body = {"start": start, "duration_s": duration_s, "modes": modes}
        return _ok(await self.admin.post(f"/devices/{self.lfdi}/controls", json=body))

    async def response_statuses(self) -> set[int]:
        """The Response statuses the server holds from the device."""
        device = _ok(await self.admin.get(f"/devices/{self.lfdi}"))
        return {int(r["status"]) for r in device["responses"]}


@contextlib.asynccontextmanager
async def memory_head_end(directory: Path) -> AsyncIterator[MemoryHeadEnd]:
    """A device registered out of band with an in-memory head-end (pollRate and postRate
    10 s), and its 2030.5 session at noon; files under ``directory``."""
    tmp_path = directory
    pki_dir = tmp_path / "pki"
    pki.init_pki(pki_dir)
    pki.issue_device(pki_dir, "gw")
    pem = (pki_dir / "gw.pem").read_bytes()
    der = x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)
    identity = identity_from_pem(pem)
    clock = VirtualClock(NOON_S)
    store = Store.open(str(tmp_path / "server.sqlite"))
    settings = ServerSettings(
        db_url=str(tmp_path / "server.sqlite"), certs_dir=pki_dir, poll_rate_s=10, post_rate_s=10
    )
    token = store.call(
        create_token,
        name="tests",
        role=AdminRole.UTILITY,
        aggregator_lfdi=None,
        now=clock.server(),
    ).token
    # Any: Quart's ASGI signature is narrower than httpx's ASGIApp type; both are ASGI.
    admin_app: Any = create_admin_app(store, settings=settings, clock=clock.server)
    sep2_app = with_client_certificate(create_app(settings, store, clock=clock.server), der)
    admin = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=admin_app),
        base_url="http://admin.test",
        headers={"Authorization": f"Bearer {token}"},
    )
    _ok(await admin.post("/devices", json={"lfdi": identity.lfdi, "pin": _PIN}))
    config = GatewayConfig(
        name="gw",
        dcap_url=f"{ORIGIN}/dcap",
        cert_path=pki_dir / "gw.pem",
        key_path=pki_dir / "gw.key",
        ca_path=pki_dir / "serca.pem",
        store_path=tmp_path / "gw.sqlite",
        register_in_band=False,
        pin=_PIN,
        notifications=NotificationConfig(enabled=False),
        timing=TimingConfig(poll_s=900.0, post_s=900.0, sample_s=10.0, dispatch_s=10.0),
    )
    session = Sep2Session(
        config=config,
        identity=identity,
        http=Sep2Http(ORIGIN, None, transport=httpx.ASGITransport(app=sep2_app)),
        store=GatewayStore.open(":memory:"),
        clock=clock,
        rng=random.Random(3),  # noqa: S311 - replayable jitter, not a secret
    )
    try:
        yield MemoryHeadEnd(clock, admin, identity.lfdi, session)
    finally:
        await admin.aclose()
        await session.close()
        store.dispose()
