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
from openderms.schemas.openadr3 import models as oadr
from openderms.server.openadr import objects
from openderms.server.openadr.callbacks import CallbackPolicy
from openderms.server.openadr.delivery import OpenAdrDelivery
from openderms.server.openadr.kinds import KINDS_BY_TYPE
from openderms.server.openadr.notify import NotifySettings
from openderms.server.openadr.objects import OadrContext
from openderms.server.openadr.scopes import ROLE_SCOPES, Principal, Role
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
    #: Seconds to wait before answering (a slow subscriber).
    delay_s: float = 0.0
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
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
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


def _subscribe_directly(vtn: Vtn, url: str, client: str = "ven1") -> None:
    """ven1 subscribes to program creations at `url` through the service (the route's
    callback policy would refuse the loopback receiver; its refusals are tested below)."""
    subscription = oadr.SubscriptionRequest.model_validate(
        {
            "clientName": client,
            "objectOperations": [
                {"objects": ["PROGRAM"], "operations": ["CREATE"], "callbackUrl": url}
            ],
        }
    )
    principal = Principal(client_id=client, scopes=ROLE_SCOPES[Role.VEN])
    ctx = OadrContext(now=vtn.clock(), notify=NotifySettings(mqtt=True))
    vtn.store.call(
        objects.create_object, ctx, principal, KINDS_BY_TYPE["SUBSCRIPTION"], subscription
    )


async def test_a_worker_that_dies_holding_a_row_loses_no_notification(
    vtn: Vtn, callback: Callback, pki: PkiPaths
) -> None:
    """The lease: a claim whose worker died is delivered by the next one, exactly once."""
    _subscribe_directly(vtn, callback.url)
    await vtn.made("/programs", "bl", {"programName": "lease"})
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


@pytest.mark.postgres
async def test_two_workers_on_postgres_deliver_each_webhook_once(
    vtn: Vtn, callback: Callback, pki: PkiPaths
) -> None:
    """Two server processes' workers on one database: every notification arrives once."""
    if vtn.store.dialect != "postgresql":
        pytest.skip("row locks (FOR UPDATE SKIP LOCKED) are the PostgreSQL case")
    _subscribe_directly(vtn, callback.url)
    for index in range(30):
        await vtn.made("/programs", "bl", {"programName": f"p{index}"})
    workers = [
        OpenAdrDelivery(
            vtn.store,
            callbacks=CallbackPolicy(allow_private=True),
            ca_file=str(pki.serca_cert),
            batch_size=4,
            timeout_s=5,
            lease_s=60,
        )
        for _ in range(2)
    ]
    reports = await asyncio.gather(*(worker.drain() for worker in workers))
    await callback.wait_for(30)
    names = [json.loads(body)["object"]["programName"] for _, body in callback.received]
    assert sorted(names) == sorted(f"p{i}" for i in range(30))
    assert all(report.delivered > 0 for report in reports)
    assert sum(report.delivered for report in reports) == 30


@pytest.fixture
async def slow_callback(pki: PkiPaths) -> AsyncIterator[Callback]:
    receiver = Callback(delay_s=6.0)
    config = Config()
    config.bind = ["127.0.0.1:0"]
    config.certfile, config.keyfile = str(pki.server_cert), str(pki.server_key)
    config.accesslog = None
    config.graceful_timeout = 1
    async with _serving([Listener(receiver, config, "callback")]) as handle:
        host, port = handle.addresses["callback"][0]
        receiver.url = f"https://{host}:{port}/slow"
        yield receiver


async def test_a_slow_callback_does_not_hold_up_other_subscribers(
    vtn: Vtn, callback: Callback, slow_callback: Callback, pki: PkiPaths
) -> None:
    """ven1's callback takes 6 s to answer; ven2 still hears of each program at once."""
    _subscribe_directly(vtn, slow_callback.url, "ven1")
    _subscribe_directly(vtn, callback.url, "ven2")
    worker = OpenAdrDelivery(
        vtn.store,
        callbacks=CallbackPolicy(allow_private=True),
        ca_file=str(pki.serca_cert),
        timeout_s=8,
        lease_s=60,
        poll_interval_s=0.1,
    )
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run_forever(stop))
    try:
        await vtn.made("/programs", "bl", {"programName": "first"})
        await slow_callback.wait_for(1, timeout_s=5)  # its lane is now stuck for 6 s
        await vtn.made("/programs", "bl", {"programName": "second"})
        await callback.wait_for(2, timeout_s=3)
    finally:
        stop.set()
        await asyncio.wait_for(running, 15)
    names = [json.loads(body)["object"]["programName"] for _, body in callback.received]
    assert names == ["first", "second"]
