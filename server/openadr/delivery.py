"""Deliver the VTN's outbox rows: webhook POSTs and MQTT publications.

The same outbox as 2030.5 (`openderms.server.store.outbox`): this worker claims only the
OpenADR rows (content type `OADR_JSON`), under the same lease, so two server processes on
one PostgreSQL deliver each row once, and a restart loses none (a row claimed by a
process that died becomes due again when its lease ends). Retries follow the 2030.5
`RetryPolicy`.

Webhooks: ``POST callbackUrl`` with the notification JSON and ``Authorization: Bearer``
the subscription's bearerToken (read from the subscription at delivery, so it is never
copied into the outbox); the URL is checked again against the callback policy (DNS
answers may have changed). TLS verifies the callback's certificate against the system
trust store, or ``ca_file``. MQTT: publish QoS 1 on the row's topic to the configured
broker.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import ssl
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiomqtt
import httpx
from sqlmodel import Session

from openderms.server.notify.backoff import RetryPolicy, is_retryable_status
from openderms.server.openadr.callbacks import CallbackPolicy, resolve_and_check
from openderms.server.openadr.errors import OadrError
from openderms.server.openadr.notify import MQTT_SCHEME, OADR_JSON
from openderms.server.store.crud.openadr import select_object
from openderms.server.store.db import Store
from openderms.server.store.outbox import (
    ClaimedNotification,
    claim_due_notifications,
    record_attempt_failed,
    record_delivered,
    record_given_up,
)

__all__ = ["OpenAdrDelivery", "PassReport"]

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class PassReport:
    """Rows handled by one or more passes."""

    delivered: int = 0
    retrying: int = 0
    given_up: int = 0

    @property
    def claimed(self) -> int:
        return self.delivered + self.retrying + self.given_up


@dataclass(frozen=True, slots=True)
class _Outcome:
    ok: bool
    status_code: int | None = None
    error: str = ""
    permanent: bool = False


class OpenAdrDelivery:
    """Deliver OpenADR notifications; run one per server process.

    Parameters
    ----------
    mqtt_url
        ``mqtt://host:port`` of the broker; None = MQTT rows fail (and are retried).
    callbacks
        The callback URL policy, checked again before each POST.
    ca_file
        Trust anchors for callback TLS instead of the system store (tests, private PKI).
    lanes
        Claim-and-deliver loops run side by side (see `run_forever`).
    timeout_s
        Deadline of one POST or publish [s]; the lease is longer.
    """

    def __init__(
        self,
        store: Store,
        *,
        mqtt_url: str | None = None,
        callbacks: CallbackPolicy | None = None,
        ca_file: str | None = None,
        policy: RetryPolicy | None = None,
        batch_size: int = 50,
        lanes: int = 4,
        timeout_s: float = 10.0,
        lease_s: float = 60.0,
        poll_interval_s: float = 1.0,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        if lease_s <= 2 * timeout_s:
            raise ValueError("lease_s must exceed two timeouts, or two workers may both deliver")
        self._store = store
        self._mqtt_url = mqtt_url
        self._callbacks = callbacks or CallbackPolicy()
        self._verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=ca_file) if ca_file else True
        )
        self._policy = policy or RetryPolicy()
        self._batch_size = batch_size
        self._lanes = lanes
        self._mqtt_lock = asyncio.Lock()
        self._timeout_s = timeout_s
        self._lease_s = lease_s
        self._poll_interval_s = poll_interval_s
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311  # jitter, not cryptography
        self._wakeup = asyncio.Event()
        self._mqtt: aiomqtt.Client | None = None

    def wake(self) -> None:
        """Look for due rows now (after a write committed)."""
        self._wakeup.set()

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set; a failed pass is logged, not fatal.

        ``lanes`` loops claim and deliver side by side, so a slow callback holds up only
        its own batch (for at most ``timeout_s``), never the other lanes' rows.
        """
        async with self._http() as client:
            try:
                await asyncio.gather(*(self._lane(client, stop) for _ in range(self._lanes)))
            finally:
                await self._close_mqtt()

    async def _lane(self, client: httpx.AsyncClient, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                report = await self.run_once(client)
            except Exception:  # keep delivering across database or broker hiccups
                logger.exception("OpenADR delivery pass failed")
                report = PassReport()
            if report.claimed:
                continue
            self._wakeup.clear()
            waiters = [
                asyncio.ensure_future(stop.wait()),
                asyncio.ensure_future(self._wakeup.wait()),
            ]
            await asyncio.wait(
                waiters, timeout=self._poll_interval_s, return_when=asyncio.FIRST_COMPLETED
            )
            for waiter in waiters:
                waiter.cancel()

    async def drain(self, *, max_passes: int = 50) -> PassReport:
        """Passes until one claims nothing (rows waiting for a retry stay)."""
        total = PassReport()
        async with self._http() as client:
            try:
                for _ in range(max_passes):
                    report = await self.run_once(client)
                    if not report.claimed:
                        break
                    total.delivered += report.delivered
                    total.retrying += report.retrying
                    total.given_up += report.given_up
            finally:
                await self._close_mqtt()
        return total

    async def run_once(self, client: httpx.AsyncClient) -> PassReport:
        claimed = await self._store.run(
            claim_due_notifications,
            now=self._clock(),
            limit=self._batch_size,
            lease_s=self._lease_s,
            claim_token=uuid.uuid4().hex,
            content_type=OADR_JSON,
        )
        if not claimed:
            return PassReport()
        tokens = await self._store.run_read(self._bearer_tokens, claimed)
        outcomes = await asyncio.gather(
            *(self._deliver(client, item, tokens.get(item.id)) for item in claimed)
        )
        return await self._store.run(self._record_all, claimed, outcomes)

    def _http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            verify=self._verify, timeout=httpx.Timeout(self._timeout_s), follow_redirects=False
        )

    @staticmethod
    def _bearer_tokens(
        session: Session, claimed: Sequence[ClaimedNotification]
    ) -> dict[int, str | OadrError | None]:
        """Per webhook row, the subscription's bearerToken (an error if it is gone)."""
        tokens: dict[int, str | OadrError | None] = {}
        for item in claimed:
            if item.notification_uri.startswith(MQTT_SCHEME):
                continue
            _, _, subscription_id, index = item.resource_href.split("/")
            row = select_object(session, "SUBSCRIPTION", subscription_id)
            if row is None:
                tokens[item.id] = OadrError("the subscription was deleted")
                continue
            operations: list[dict[str, Any]] = json.loads(row.body)["objectOperations"]
            position = int(index)
            if position >= len(operations) or (
                operations[position]["callbackUrl"] != item.notification_uri
            ):
                tokens[item.id] = OadrError("the subscription's callback changed")
                continue
            tokens[item.id] = operations[position].get("bearerToken")
        return tokens

    async def _deliver(
        self,
        client: httpx.AsyncClient,
        item: ClaimedNotification,
        token: str | OadrError | None,
    ) -> _Outcome:
        body = item.body or b""
        if item.notification_uri.startswith(MQTT_SCHEME):
            return await self._publish(item.notification_uri.removeprefix(MQTT_SCHEME), body)
        if isinstance(token, OadrError):
            return _Outcome(ok=False, error=token.detail, permanent=True)
        try:
            await resolve_and_check(item.notification_uri, self._callbacks)
        except OadrError as exc:
            return _Outcome(ok=False, error=exc.detail, permanent=True)
        headers = {"Content-Type": OADR_JSON}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            async with asyncio.timeout(self._timeout_s):
                response = await client.post(item.notification_uri, content=body, headers=headers)
        except (httpx.HTTPError, TimeoutError) as exc:
            return _Outcome(ok=False, error=f"{type(exc).__name__}: {exc}")
        if 200 <= response.status_code <= 299:
            return _Outcome(ok=True, status_code=response.status_code)
        return _Outcome(
            ok=False,
            status_code=response.status_code,
            error=f"HTTP {response.status_code}",
            permanent=not is_retryable_status(response.status_code),
        )

    async def _publish(self, topic: str, body: bytes) -> _Outcome:
        if self._mqtt_url is None:
            return _Outcome(ok=False, error="no MQTT broker configured")
        try:
            async with asyncio.timeout(self._timeout_s):
                client = await self._mqtt_client()
                await client.publish(topic, body, qos=1)
        except (aiomqtt.MqttError, OSError, TimeoutError) as exc:
            await self._close_mqtt()
            return _Outcome(ok=False, error=f"MQTT: {exc}")
        return _Outcome(ok=True)

    async def _mqtt_client(self) -> aiomqtt.Client:
        async with self._mqtt_lock:  # lanes share one broker connection
            return await self._connected_mqtt()

    async def _connected_mqtt(self) -> aiomqtt.Client:
        if self._mqtt is None:
            assert self._mqtt_url is not None
            parts = urlsplit(self._mqtt_url)
            client = aiomqtt.Client(
                parts.hostname or "127.0.0.1",
                parts.port or 1883,
                identifier=f"openderms-vtn-{uuid.uuid4().hex[:12]}",
                timeout=self._timeout_s,
            )
            await client.__aenter__()
            self._mqtt = client
        return self._mqtt

    async def _close_mqtt(self) -> None:
        client, self._mqtt = self._mqtt, None
        if client is not None:
            try:
                await client.__aexit__(None, None, None)
            except aiomqtt.MqttError as exc:
                logger.debug("MQTT disconnect: %s", exc)

    def _record_all(
        self,
        session: Session,
        claimed: Sequence[ClaimedNotification],
        outcomes: Sequence[_Outcome],
    ) -> PassReport:
        report = PassReport()
        now = self._clock()
        for item, outcome in zip(claimed, outcomes, strict=True):
            attempts = item.attempts + 1
            if outcome.ok:
                report.delivered += record_delivered(
                    session, item, now=now, status_code=outcome.status_code or 0, commit=False
                )
            elif outcome.permanent or self._policy.gives_up_after(attempts):
                logger.warning("gave up OpenADR notification %d: %s", item.id, outcome.error)
                report.given_up += record_given_up(
                    session,
                    item,
                    error=outcome.error,
                    status_code=outcome.status_code,
                    commit=False,
                )
            else:
                report.retrying += record_attempt_failed(
                    session,
                    item,
                    retry_at=now + self._policy.delay_s(attempts, self._rng),
                    error=outcome.error,
                    status_code=outcome.status_code,
                    commit=False,
                )
        session.commit()
        return report
