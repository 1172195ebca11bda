"""Fixtures of the VTN tests: the app over a migrated store, clients of each role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from openderms.server.openadr import auth
from openderms.server.openadr.app import OpenAdrSettings, create_openadr_app
from openderms.server.openadr.callbacks import CallbackPolicy
from openderms.server.openadr.scopes import Role
from openderms.server.store.db import Store
from openderms.testing.openadr_vtn import Clock, Vtn


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
