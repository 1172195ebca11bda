"""Property-based test of the VTN driven by the official OpenADR 3.1 YAML (schemathesis).

Every operation of ../shared/schemas/openadr3/openadr3.yaml (not a document of ours) is
called with requests generated from the YAML, with a valid token of each role (business
logic and VEN), against the VTN served on loopback over HTTP. Checks: no server error
(5xx) and every response conforms to the YAML's response schema. Bounded: a few examples
per operation and role, so it runs in about a minute.

One in-memory change to the YAML, because no document can satisfy it: ``ven`` and
``resource`` are ``allOf`` objectMetadata (objectType one of PROGRAM..RESOURCE) and the BL
request (objectType BL_VEN_REQUEST / BL_RESOURCE_REQUEST); the BL request's objectType is
dropped from that allOf, so a served VEN says ``"objectType": "VEN"`` (as
schemas/openadr3 does; see scripts/generate_openadr3_models.py).
"""

from __future__ import annotations

import asyncio
import copy
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypercorn.config import Config
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from openderms.server.openadr import auth
from openderms.server.openadr.app import OpenAdrSettings, create_openadr_app
from openderms.server.openadr.scopes import Role
from openderms.server.runner import Listener, ServingHandle, serve
from openderms.server.store.db import Store
from openderms.testing.openadr_yaml import openadr_document, openadr_yaml_path

pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION = 6


def _official_schema() -> dict[str, Any]:
    document = copy.deepcopy(openadr_document())
    schemas = document["components"]["schemas"]
    for stored, request in (("ven", "BlVenRequest"), ("resource", "BlResourceRequest")):
        body = copy.deepcopy(schemas[request])
        body["properties"].pop("objectType")
        body["required"].remove("objectType")
        schemas[stored]["allOf"][1] = body
    return document


class _Served:
    """The VTN on a loopback port in its own thread and event loop."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._handle = ServingHandle()
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._ready = threading.Event()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def main() -> None:
            self._stop = asyncio.Event()
            config = Config()
            config.bind = ["127.0.0.1:0"]
            config.accesslog = None
            app = create_openadr_app(
                self._store, OpenAdrSettings(mqtt_url="mqtt://127.0.0.1:1883")
            )
            server = asyncio.ensure_future(
                serve(
                    [Listener(app, config, "openadr")],
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
        assert self._ready.wait(30), "the VTN did not start"
        host, port = self._handle.addresses["openadr"][0]
        return f"http://{host}:{port}"

    def __exit__(self, *_: object) -> None:
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Store]]:
    if openadr_yaml_path() is None:
        pytest.skip("openadr3.yaml not found: set OPENDERMS_OPENADR_YAML or provide ../shared")
    store = Store.open(f"sqlite:///{tmp_path / 'vtn.db'}")
    with _Served(store) as base_url:
        yield base_url, store
    store.dispose()


def _seed(base_url: str, store: Store) -> dict[str, str]:
    """Clients of both roles and one object of each kind, so lists are not empty."""
    tokens: dict[str, str] = {}
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for name, role in (("bl", Role.BL), ("ven", Role.VEN)):
            issued = store.call(auth.create_client, client_id=name, role=role, now=0)
            answer = client.post(
                "/auth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": name,
                    "client_secret": issued.client_secret,
                },
            )
            tokens[name] = answer.json()["access_token"]

        def post(path: str, who: str, body: dict[str, Any]) -> str:
            answer = client.post(
                path, json=body, headers={"Authorization": f"Bearer {tokens[who]}"}
            )
            assert answer.status_code == 201, answer.text
            return str(answer.json()["id"])

        program = post("/programs", "bl", {"programName": "seed", "targets": ["t1"]})
        event = post(
            "/events",
            "bl",
            {
                "programID": program,
                "priority": 1,
                "intervalPeriod": {"start": "2026-01-01T00:00:00Z", "duration": "PT1H"},
                "payloadDescriptors": [
                    {
                        "objectType": "EVENT_PAYLOAD_DESCRIPTOR",
                        "payloadType": "PRICE",
                        "units": "KWH",
                        "currency": "USD",
                    }
                ],
                "reportDescriptors": [{"payloadType": "USAGE"}],
                "intervals": [{"id": 0, "payloads": [{"type": "PRICE", "values": [0.17]}]}],
            },
        )
        ven = post(
            "/vens",
            "bl",
            {"objectType": "BL_VEN_REQUEST", "clientID": "ven", "venName": "v", "targets": ["t1"]},
        )
        post(
            "/resources",
            "ven",
            {"objectType": "VEN_RESOURCE_REQUEST", "resourceName": "r", "venID": ven},
        )
        post(
            "/reports",
            "ven",
            {
                "eventID": event,
                "clientName": "v",
                "resources": [
                    {
                        "resourceName": "r",
                        "intervals": [{"id": 0, "payloads": [{"type": "USAGE", "values": [1.5]}]}],
                    }
                ],
            },
        )
    return tokens


def _fuzz(operation: Any, base_url: str, token: str, calls: list[int]) -> None:
    """Call one operation with generated requests; raises on the first failed check."""

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
            checks=[not_a_server_error, response_schema_conformance],
            timeout=30,
        )

    run()


def test_vtn_conforms_to_the_official_yaml(served: tuple[str, Store]) -> None:
    """0 server errors and 0 response-schema violations, for each role's token."""
    base_url, store = served
    tokens = _seed(base_url, store)
    schema = schemathesis.openapi.from_dict(_official_schema())
    failures: list[str] = []
    calls: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for role, token in tokens.items():
            try:
                _fuzz(operation, base_url, token, calls)
            except Exception as exc:  # one operation's failure must not hide the others
                failures.append(f"{operation.label} as {role}: {str(exc)[:1500]}")
    assert failures == [], "\n\n".join(failures)
    assert len(calls) > 100
