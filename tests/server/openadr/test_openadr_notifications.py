"""VTN notifications end to end: `openderms server` with its VTN over real HTTPS, webhooks to
a real HTTPS callback, MQTT through the real Mosquitto at 127.0.0.1:1883, the outbox lease
across a worker that dies, and the callback URL policy.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiomqtt
import httpx
import pytest
from hypercorn.config import Config
from sqlmodel import select

from openderms.certs.pki import PkiPaths
from openderms.server.openadr.callbacks import CallbackPolicy
from openderms.server.openadr.delivery import OpenAdrDelivery
from openderms.server.runner import Listener, ServingHandle, serve
from openderms.server.store.db import Store
from openderms.server.store.outbox import NotificationOutbox, OutboxStatus
from openderms.testing.openadr_vtn import RunningVtn, Vtn

MQTT_HOST, MQTT_PORT = "127.0.0.1", 1883
pytestmark = pytest.mark.slow


@dataclass
class Callback:
    """An HTTPS webhook receiver on 127.0.0.1 (hypercorn, the test PKI's server cert)."""

    url: str = ""
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                kind = message["type"].removeprefix("lifespan.")
                await send({"type": f"lifespan.{kind}.complete"})
                if kind == "shutdown":
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.received.append((headers, body))
        self.arrived.set()
        status = self.statuses.pop(0) if self.statuses else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def wait_for(self, count: int, timeout_s: float = 20) -> None:
        async with asyncio.timeout(timeout_s):
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()


@contextlib.asynccontextmanager
async def _serving(listeners: list[Listener]) -> AsyncIterator[ServingHandle]:
    stop = asyncio.Event()
    handle = ServingHandle()
    task = asyncio.create_task(serve(listeners, shutdown_trigger=stop.wait, handle=handle))
    async with asyncio.timeout(20):
        await handle.ready.wait()
    try:
        yield handle
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


@pytest.fixture
async def callback(pki: PkiPaths) -> AsyncIterator[Callback]:
    receiver = Callback()
    config = Config()
    config.bind = ["127.0.0.1:0"]
    config.certfile, config.keyfile = str(pki.server_cert), str(pki.server_key)
    config.accesslog = None
    async with _serving([Listener(receiver, config, "callback")]) as handle:
        host, port = handle.addresses["callback"][0]
        receiver.url = f"https://{host}:{port}/cb"
        yield receiver


async def _post(client: httpx.AsyncClient, url: str, headers: dict[str, str], body: Any) -> Any:
    answer = await client.post(url, json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_webhook_over_https_with_the_subscriptions_bearer_token(
    running_vtn: RunningVtn, callback: Callback
) -> None:
    """A VEN subscribes; BL creates then deletes an event; the callback gets both, with
    the bearer token it gave, as the YAML's notification (objectType, operation, object)."""
    async with httpx.AsyncClient(verify=running_vtn.verify, timeout=30) as client:
        bl = await running_vtn.token(client, "bl")
        ven = await running_vtn.token(client, "ven1")
        base = running_vtn.base_url
        await _post(
            client,
            f"{base}/subscriptions",
            ven,
            {
                "clientName": "ven1",
                "objectOperations": [
                    {
                        "objects": ["EVENT"],
                        "operations": ["CREATE", "DELETE"],
                        "callbackUrl": callback.url,
                        "bearerToken": "ven-secret-token",
                    }
                ],
            },
        )
        program = await _post(client, f"{base}/programs", bl, {"programName": "dr"})
        event = await _post(client, f"{base}/events", bl, {"programID": program["id"]})
        await callback.wait_for(1)
        deleted = await client.delete(f"{base}/events/{event['id']}", headers=bl)
        assert deleted.status_code == 200
        await callback.wait_for(2)
    (first_headers, first), (_, second) = callback.received[:2]
    assert first_headers["authorization"] == "Bearer ven-secret-token"
    assert first_headers["content-type"] == "application/json"
    created = json.loads(first)
    assert created["objectType"] == "EVENT" and created["operation"] == "CREATE"
    assert created["object"]["id"] == event["id"]
    assert json.loads(second)["operation"] == "DELETE"


async def test_mqtt_per_ven_topic_through_mosquitto(running_vtn: RunningVtn) -> None:
    """The VEN subscribes to the topic /notifiers/mqtt/topics/vens/{venID}/events names
    and gets the event targeted at it."""
    async with httpx.AsyncClient(verify=running_vtn.verify, timeout=30) as client:
        bl = await running_vtn.token(client, "bl")
        ven = await running_vtn.token(client, "ven1")
        base = running_vtn.base_url
        made = await _post(
            client,
            f"{base}/vens",
            bl,
            {
                "objectType": "BL_VEN_REQUEST",
                "clientID": "ven1",
                "venName": f"mqtt-{uuid.uuid4().hex[:8]}",
                "targets": ["feeder-7"],
            },
        )
        topics = (
            await client.get(f"{base}/notifiers/mqtt/topics/vens/{made['id']}/events", headers=ven)
        ).json()["topics"]
        program = await _post(client, f"{base}/programs", bl, {"programName": "mqtt-dr"})
        try:
            async with aiomqtt.Client(MQTT_HOST, MQTT_PORT, timeout=10) as mqtt:
                await mqtt.subscribe(topics["ALL"], qos=1)
                event = await _post(
                    client,
                    f"{base}/events",
                    bl,
                    {"programID": program["id"], "targets": ["feeder-7"]},
                )
                async with asyncio.timeout(20):
                    message = await anext(aiter(mqtt.messages))
        except aiomqtt.MqttError as exc:
            pytest.fail(f"Mosquitto at {MQTT_HOST}:{MQTT_PORT} is needed: {exc}")
    assert str(message.topic) == topics["CREATE"]
    assert isinstance(message.payload, bytes | bytearray)
    notification = json.loads(message.payload)
    assert notification["operation"] == "CREATE" and notification["object"]["id"] == event["id"]


def _webhook_rows(store: Store) -> list[NotificationOutbox]:
    with store.session() as session:
        return [
            row
            for row in session.exec(select(NotificationOutbox)).all()
            if row.content_type == "application/json"
            and not row.notification_uri.startswith("mqtt:")
        ]


async def test_a_worker_that_dies_holding_a_row_loses_no_notification(
    vtn: Vtn, callback: Callback, pki: PkiPaths
) -> None:
    """The lease: a claim whose worker died is delivered by the next one, exactly once."""
    await vtn.made(
        "/subscriptions",
        "ven1",
        {
            "clientName": "ven1",
            "objectOperations": [
                {
                    "objects": ["PROGRAM"],
                    "operations": ["CREATE"],
                    "callbackUrl": "https://93.184.215.14/x",
                }
            ],
        },
    )
    # Point the queued row at the local receiver (the subscription's URL had to be public).
    await vtn.made("/programs", "bl", {"programName": "lease"})
    with vtn.store.session() as session:
        row = session.exec(
            select(NotificationOutbox)
            .where(NotificationOutbox.content_type == "application/json")
            .where(~NotificationOutbox.notification_uri.startswith("mqtt:"))
        ).one()
        subscription_row_href = row.resource_href
        row.notification_uri = callback.url
        session.add(row)
        session.commit()
    # Keep the subscription consistent with the row (delivery checks they agree).
    from openderms.server.store.crud.openadr import select_object

    with vtn.store.session() as session:
        sub = select_object(session, "SUBSCRIPTION", subscription_row_href.split("/")[2])
        assert sub is not None
        body = json.loads(sub.body)
        body["objectOperations"][0]["callbackUrl"] = callback.url
        sub.body = json.dumps(body)
        session.add(sub)
        session.commit()
    now = [vtn.clock.now]
    policy = CallbackPolicy(allow_private=True)

    def worker() -> OpenAdrDelivery:
        return OpenAdrDelivery(
            vtn.store,
            callbacks=policy,
            ca_file=str(pki.serca_cert),
            clock=lambda: now[0],
            lease_s=60,
            timeout_s=5,
        )

    from openderms.server.store.outbox import claim_due_notifications

    dead = vtn.store.call(
        claim_due_notifications,
        now=now[0],
        limit=10,
        lease_s=60,
        claim_token="dead",
        content_type="application/json",
    )
    assert [c.notification_uri for c in dead if not c.notification_uri.startswith("mqtt:")] == [
        callback.url
    ]
    report = await worker().drain()
    assert callback.received == []  # still leased by the dead worker
    now[0] += 61
    report = await worker().drain()
    await callback.wait_for(1)
    assert report.delivered >= 1
    assert len(callback.received) == 1
    assert [r.status for r in _webhook_rows(vtn.store)] == [OutboxStatus.DELIVERED.value]
    report = await worker().drain()
    assert len(callback.received) == 1


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://93.184.215.14/cb", "https"),
        ("https://127.0.0.1/cb", "loopback"),
        ("https://localhost/cb", "loopback"),
        ("https://10.1.2.3/cb", "private"),
        ("https://[::1]/cb", "loopback"),
        ("https://169.254.169.254/latest", "private"),
    ],
)
async def test_callback_urls_are_refused_unless_allowed(vtn: Vtn, url: str, reason: str) -> None:
    status, problem = await vtn.call(
        "POST",
        "/subscriptions",
        "ven1",
        {
            "clientName": "ven1",
            "objectOperations": [
                {"objects": ["EVENT"], "operations": ["CREATE"], "callbackUrl": url}
            ],
        },
    )
    assert status == 400 and reason in problem["detail"]
