"""Fixtures of the VTN tests: the app over a migrated store, clients of each role."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from openderms.certs.pki import PkiPaths, init_pki
from openderms.server.config import ServerSettings
from openderms.server.main import run_server
from openderms.server.openadr import auth
from openderms.server.openadr.app import OpenAdrSettings, create_openadr_app
from openderms.server.openadr.callbacks import CallbackPolicy
from openderms.server.openadr.scopes import Role
from openderms.server.runner import ServingHandle
from openderms.server.store.db import Store
from openderms.testing.openadr_vtn import Clock, RunningVtn, Vtn


@pytest.fixture(autouse=True)
def _cheap_secret_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt at its production cost takes ~0.2 s per hash here; the tests make dozens.
    The cost is a parameter of the same code path (test_openadr_auth checks the real one)."""
    monkeypatch.setattr(auth, "_SCRYPT", {**auth._SCRYPT, "n": 2**4})


@pytest.fixture
def vtn_settings() -> OpenAdrSettings:
    return OpenAdrSettings(
        mqtt_url="mqtt://127.0.0.1:1883",
        callbacks=CallbackPolicy(allow_http=False, allow_private=False),
    )


@pytest.fixture
async def vtn(store: Store, vtn_settings: OpenAdrSettings) -> Iterator[Vtn]:
    """The VTN with a business-logic client "bl" and VEN clients "ven1", "ven2"."""
    clock = Clock()
    app = create_openadr_app(store, vtn_settings, clock=clock)
    made = Vtn(store=store, client=app.test_client(), clock=clock)
    made.add_client("bl", Role.BL)
    made.add_client("ven1", Role.VEN)
    made.add_client("ven2", Role.VEN)
    for name in ("bl", "ven1", "ven2"):
        await made.token(name)
    yield made


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiPaths:
    return init_pki(tmp_path_factory.mktemp("oadr-pki"))


MQTT_URL = "mqtt://127.0.0.1:1883"


@pytest.fixture
async def running_vtn(pki: PkiPaths, tmp_path: Path) -> AsyncIterator[RunningVtn]:
    """`run_server` with the VTN on its own HTTPS listener, webhooks and MQTT on."""
    db = tmp_path / "server.db"
    store = Store.open(f"sqlite:///{db}")
    secrets = {
        name: store.call(auth.create_client, client_id=name, role=role, now=0).client_secret
        for name, role in (("bl", Role.BL), ("ven1", Role.VEN), ("ven2", Role.VEN))
    }
    settings = ServerSettings(
        listen="127.0.0.1:0",
        admin_listen="127.0.0.1:0",
        db_url=str(db),
        certs_dir=pki.serca_cert.parent,
        openadr_listen="127.0.0.1:0",
        openadr_mqtt_url=MQTT_URL,
        openadr_allow_private_callbacks=True,  # the callback receiver is on loopback
        openadr_callback_ca_file=str(pki.serca_cert),
    )
    stop = asyncio.Event()
    handle = ServingHandle()
    task = asyncio.create_task(run_server(settings, shutdown_trigger=stop.wait, handle=handle))
    async with asyncio.timeout(30):
        await handle.ready.wait()
    host, port = handle.addresses["openadr"][0]
    admin_host, admin_port = handle.addresses["admin"][0]
    try:
        yield RunningVtn(
            base_url=f"https://{host}:{port}",
            admin_url=f"https://{admin_host}:{admin_port}",
            admin_token=(tmp_path / "admin-token").read_text().strip(),
            ca_file=str(pki.serca_cert),
            store=store,
            secrets=secrets,
        )
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        store.dispose()
