"""The admin API against its own OpenAPI document (issue 12, item 9), with schemathesis.

Every operation of the document the app serves is called with requests generated from it,
with a utility token and an aggregator token, against the admin app served on loopback.
Checks: no server error (5xx), every answer's status is one the document declares, and
its body conforms to the declared schema. Bounded: a few examples per operation and role.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hardening_testlib import Tally
from hypercorn.config import Config
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from openderms.server.admin.app import create_admin_app
from openderms.server.admin.openapi import build_openapi
from openderms.server.admin.routes import ROUTES
from openderms.server.admin.tokens import create_token
from openderms.server.runner import Listener, ServingHandle, serve
from openderms.server.services import programs, registration
from openderms.server.store.admin import AdminRole
from openderms.server.store.db import Store
from openderms.testing.clock import NOW

EXAMPLES_PER_OPERATION = 8
AGGREGATOR_LFDI = "AA" * 20


class _Served:
    """The admin app on a loopback port (plain HTTP) in its own thread and event loop."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._handle = ServingHandle()
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._ready = threading.Event()

    def _run(self) -> None:
        async def main() -> None:
            self._stop = asyncio.Event()
            config = Config()
            config.bind = ["127.0.0.1:0"]
            config.accesslog = None
            app = create_admin_app(self._store, clock=lambda: NOW)
            server = asyncio.ensure_future(
                serve(
                    [Listener(app, config, "admin")],
                    shutdown_trigger=self._stop.wait,
                    handle=self._handle,
                )
            )
            await self._handle.ready.wait()
            self._ready.set()
            await server

        self._loop.run_until_complete(main())

    def __enter__(self) -> str:
        self._thread.start()
        assert self._ready.wait(30), "the admin API did not start"
        host, port = self._handle.addresses["admin"][0]
        return f"http://{host}:{port}"

    def __exit__(self, *_: object) -> None:
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    store = Store.open(f"sqlite:///{tmp_path / 'admin.db'}")
    with _Served(store) as base_url:
        yield base_url, store
    store.dispose()


def _seed(store: Store) -> dict[str, str]:
    """Tokens of both roles, and a device, group, program and control to find."""
    from openderms.server.config import ServerSettings
    from openderms.server.scope import ServiceContext

    ctx = ServiceContext(now=NOW, settings=ServerSettings())
    device = store.call(
        registration.register_end_device, ctx, lfdi="0A" * 20, aggregator_lfdi=AGGREGATOR_LFDI
    )
    group = store.call(programs.create_group, ctx, description="g")
    assert device.id is not None and group.id is not None
    store.call(programs.assign_devices, ctx, group.id, [device.id])
    store.call(programs.create_program, ctx, primacy=1, group_ids=[group.id])
    return {
        role.value: store.call(
            create_token, name=role.value, role=role, aggregator_lfdi=lfdi, now=NOW
        ).token
        for role, lfdi in ((AdminRole.UTILITY, None), (AdminRole.AGGREGATOR, AGGREGATOR_LFDI))
    }


def _fuzz(operation: Any, base_url: str, token: str, calls: list[int]) -> None:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy())
        calls.append(1)
        case.call_and_validate(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
            timeout=30,
        )

    run()


@pytest.mark.slow
def test_admin_api_conforms_to_its_openapi_document(served: tuple[str, Store]) -> None:
    base_url, store = served
    tokens = _seed(store)
    schema = schemathesis.openapi.from_dict(build_openapi(ROUTES))
    tally = Tally("admin API operations x roles fuzzed against its OpenAPI document")
    calls: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for role, token in tokens.items():
            try:
                _fuzz(operation, base_url, token, calls)
                tally.check(True, "")
            except (Exception, BaseExceptionGroup) as exc:  # one failure must not hide others
                tally.check(False, f"{operation.label} as {role}: {str(exc)[:1500]}")
    print(f"[hardening] admin API: {len(calls)} generated requests")
    assert tally.report() == []
    assert len(calls) > 100
