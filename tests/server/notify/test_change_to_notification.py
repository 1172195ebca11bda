"""From a change authored on the admin API to a Notification at the client's listener.

admin API -> programs service -> OutboxChangeSink (same transaction) -> outbox ->
DeliveryWorker -> mutual-TLS listener; the body decodes as a 2030.5 Notification that
embeds the subscribed DERControlList as the device would GET it.
"""

from __future__ import annotations

import random

import pytest
from notify_listener import NotificationListener
from notify_pki import NotifyPki

from openderms.schemas.sep2 import decode
from openderms.schemas.sep2 import models as sep
from openderms.server import uris
from openderms.server.admin.app import create_admin_app
from openderms.server.admin.tokens import create_token
from openderms.server.config import ServerSettings
from openderms.server.errors import BadRequestError, ForbiddenError, NotFoundError
from openderms.server.notify.sink import OutboxChangeSink
from openderms.server.notify.worker import DeliveryWorker
from openderms.server.scope import Scope, ServiceContext
from openderms.server.services.subscriptions import create_subscription, delete_subscription
from openderms.server.store.admin import AdminRole
from openderms.server.store.db import Store
from openderms.server.store.outbox import NotificationOutbox

NOW = 1_800_000_000
LFDI_A = "1A" * 20
LFDI_B = "1B" * 20


async def _setup(store: Store) -> tuple[object, str, dict[str, int]]:
    sink = OutboxChangeSink(ServerSettings(), clock=lambda: float(NOW))
    app = create_admin_app(store, changes=sink, clock=lambda: NOW)
    token = store.call(
        create_token, name="u", role=AdminRole.UTILITY, aggregator_lfdi=None, now=NOW
    ).token
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    ids: dict[str, int] = {}
    for key, lfdi in (("a", LFDI_A), ("b", LFDI_B)):
        ids[key] = (
            await (await client.post("/devices", headers=auth, json={"lfdi": lfdi})).get_json()
        )["id"]
    group = await (await client.post("/groups", headers=auth, json={})).get_json()
    await client.post(f"/groups/{group['id']}/devices", headers=auth, json={"lfdis": [LFDI_A]})
    program = await (
        await client.post(
            "/programs", headers=auth, json={"primacy": 3, "group_ids": [group["id"]]}
        )
    ).get_json()
    ids["group"], ids["program"] = group["id"], program["id"]
    return client, token, ids


def _subscribe(store: Store, lfdi: str, edev: int, href: str, uri: str) -> str:
    scope = Scope(lfdi=lfdi, sfdi=0)
    ctx = ServiceContext(now=NOW, settings=ServerSettings())
    body = sep.Subscription(
        subscribedResource=href, encoding=0, level="+S1", limit=10, notificationURI=uri
    )
    return store.call(create_subscription, ctx, scope, edev, body)


async def test_new_control_is_notified_to_the_subscriber_with_the_list_embedded(
    store: Store, notify_pki: NotifyPki
) -> None:
    client, token, ids = await _setup(store)
    derc = uris.der_control_list(ids["a"], ids["program"])
    with NotificationListener(notify_pki.listener_context()) as listener:
        sub_href = _subscribe(store, LFDI_A, ids["a"], derc, listener.url + "/notify")
        response = await client.post(
            f"/groups/{ids['group']}/controls",
            headers={"Authorization": f"Bearer {token}"},
            json={"start": NOW + 60, "duration_s": 900, "modes": {"op_mod_exp_lim_w": 1500}},
        )
        assert response.status_code == 201
        worker = DeliveryWorker(
            store,
            notify_pki.server_client_context(),
            rng=random.Random(1),
            clock=lambda: NOW + 1.0,
        )
        report = await worker.drain()
        (received,) = listener.received
    note = decode(received.body, sep.Notification)
    assert report.delivered == 1
    assert note.subscribedResource == derc
    assert note.subscriptionURI == sub_href
    assert note.status == 0
    assert isinstance(note.Resource, sep.DERControlList)
    (control,) = note.Resource.DERControl
    assert control.interval.start.value == NOW + 60
    assert control.DERControlBase.opModExpLimW is not None


async def test_device_cannot_subscribe_to_a_program_it_does_not_see(store: Store) -> None:
    _, _, ids = await _setup(store)
    derc_b = uris.der_control_list(ids["b"], ids["program"])  # B is not in the group
    derc_a = uris.der_control_list(ids["a"], ids["program"])
    with pytest.raises((ForbiddenError, NotFoundError)):
        _subscribe(store, LFDI_B, ids["b"], derc_b, "https://127.0.0.1:9/n")
    with pytest.raises(BadRequestError):  # A's list under B's EndDevice
        _subscribe(store, LFDI_B, ids["b"], derc_a, "https://127.0.0.1:9/n")
    with pytest.raises((ForbiddenError, NotFoundError)):  # B acting on A's EndDevice
        _subscribe(store, LFDI_B, ids["a"], derc_a, "https://127.0.0.1:9/n")


async def test_plain_http_notification_uri_is_refused(store: Store) -> None:
    _, _, ids = await _setup(store)
    derc = uris.der_control_list(ids["a"], ids["program"])
    with pytest.raises(BadRequestError):
        _subscribe(store, LFDI_A, ids["a"], derc, "http://127.0.0.1:9/n")


async def test_deleted_subscription_gets_no_more_notifications(store: Store) -> None:
    client, token, ids = await _setup(store)
    derc = uris.der_control_list(ids["a"], ids["program"])
    href = _subscribe(store, LFDI_A, ids["a"], derc, "https://127.0.0.1:9/n")
    sub_id = int(href.rsplit("/", 1)[1])
    store.call(delete_subscription, Scope(lfdi=LFDI_A, sfdi=0), ids["a"], sub_id)
    await _group_control(client, token, ids["group"], NOW + 60)
    assert _outbox_rows(store) == []


def _outbox_rows(store: Store) -> list[NotificationOutbox]:
    from sqlmodel import select

    with store.session() as session:
        return list(session.exec(select(NotificationOutbox)).all())


async def _group_control(client: object, token: str, group: int, start: int) -> None:
    response = await client.post(  # type: ignore[attr-defined]
        f"/groups/{group}/controls",
        headers={"Authorization": f"Bearer {token}"},
        json={"start": start, "duration_s": 900, "modes": {"op_mod_exp_lim_w": 1500}},
    )
    assert response.status_code == 201


async def test_changes_before_the_first_attempt_coalesce_into_one_notification(
    store: Store,
) -> None:
    """Three controls authored before delivery: one row, rendered with all three."""
    client, token, ids = await _setup(store)
    derc = uris.der_control_list(ids["a"], ids["program"])
    _subscribe(store, LFDI_A, ids["a"], derc, "https://127.0.0.1:9/n")
    for offset in (60, 120, 180):
        await _group_control(client, token, ids["group"], NOW + offset)
    (row,) = _outbox_rows(store)
    assert (row.resource_href, row.body, row.attempts) == (derc, None, 0)


async def test_change_after_a_claim_queues_a_new_notification(store: Store) -> None:
    """A claimed row may already carry the old state: the next change needs its own row."""
    from openderms.server.store.outbox import claim_due_notifications

    client, token, ids = await _setup(store)
    derc = uris.der_control_list(ids["a"], ids["program"])
    _subscribe(store, LFDI_A, ids["a"], derc, "https://127.0.0.1:9/n")
    await _group_control(client, token, ids["group"], NOW + 60)
    store.call(claim_due_notifications, now=NOW, limit=10, lease_s=60, claim_token="w")
    await _group_control(client, token, ids["group"], NOW + 120)
    assert len(_outbox_rows(store)) == 2


async def test_change_to_one_control_reaches_subscribers_of_its_list(store: Store) -> None:
    """Cancelling /edev/a/derp/p/derc/{id} concerns the subscribers of /edev/a/derp/p/derc."""
    from openderms.server.notify.sink import OutboxChangeSink

    _, _, ids = await _setup(store)
    derc = uris.der_control_list(ids["a"], ids["program"])
    _subscribe(store, LFDI_A, ids["a"], derc, "https://127.0.0.1:9/n")
    sink = OutboxChangeSink(ServerSettings(), clock=lambda: float(NOW))
    with store.session() as session:
        sink.resource_changed(session, derc + "/42")
        sink.resource_changed(session, uris.fsa_list(ids["a"]))  # not subscribed
        session.commit()
    assert [row.resource_href for row in _outbox_rows(store)] == [derc]


async def test_device_that_left_the_group_gets_no_notification(
    store: Store, notify_pki: NotifyPki
) -> None:
    """Rendered at delivery with the device's own access: a removed member sees nothing."""
    from openderms.server.services.programs import remove_devices

    client, token, ids = await _setup(store)
    derc = uris.der_control_list(ids["a"], ids["program"])
    with NotificationListener(notify_pki.listener_context()) as listener:
        _subscribe(store, LFDI_A, ids["a"], derc, listener.url + "/n")
        await _group_control(client, token, ids["group"], NOW + 60)
        ctx = ServiceContext(now=NOW, settings=ServerSettings())
        store.call(remove_devices, ctx, ids["group"], [ids["a"]])
        worker = DeliveryWorker(store, notify_pki.server_client_context(), clock=lambda: NOW + 1.0)
        report = await worker.drain()
        received = listener.received
    (row,) = _outbox_rows(store)
    assert received == []
    assert report.given_up == 1
    assert row.status == "failed" and (row.last_error or "").startswith("gone:")


async def test_worker_is_woken_only_when_the_change_commits(store: Store) -> None:
    from openderms.server.notify.sink import OutboxChangeSink

    _, _, ids = await _setup(store)
    derc = uris.der_control_list(ids["a"], ids["program"])
    _subscribe(store, LFDI_A, ids["a"], derc, "https://127.0.0.1:9/n")
    wakes: list[str] = []
    sink = OutboxChangeSink(
        ServerSettings(), clock=lambda: float(NOW), on_enqueue=lambda: wakes.append("w")
    )
    with store.session() as session:
        sink.resource_changed(session, derc)
        woken_before_commit = list(wakes)
        session.rollback()
    with store.session() as session:
        sink.resource_changed(session, derc)
        session.commit()
    assert woken_before_commit == []
    assert wakes == ["w"]
    assert len(_outbox_rows(store)) == 1  # the rolled-back row is gone with its change


async def test_group_notifications_share_one_encoding_and_are_byte_identical(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One encoding per group of equal documents, with each subscriber's own hrefs and
    subscriptionURI written in: the bytes equal a Notification encoded for each alone."""
    from openderms.server.notify import sink as sink_module
    from openderms.server.notify.sink import NotificationEncoder, render_notification
    from openderms.server.store.outbox import claim_due_notifications

    client, token, ids = await _setup(store)
    lfdi_c = "1C" * 20
    auth = {"Authorization": f"Bearer {token}"}
    ids["c"] = (
        await (await client.post("/devices", headers=auth, json={"lfdi": lfdi_c})).get_json()
    )["id"]
    await client.post(
        f"/groups/{ids['group']}/devices", headers=auth, json={"lfdis": [LFDI_B, lfdi_c]}
    )
    for key, lfdi, limit in (("a", LFDI_A, 10), ("b", LFDI_B, 10), ("c", lfdi_c, 1)):
        href = uris.der_control_list(ids[key], ids["program"])
        scope = Scope(lfdi=lfdi, sfdi=0)
        ctx = ServiceContext(now=NOW, settings=ServerSettings())
        body = sep.Subscription(
            subscribedResource=href,
            encoding=0,
            level="+S1",
            limit=limit,
            notificationURI="https://127.0.0.1:9/n",
        )
        store.call(create_subscription, ctx, scope, ids[key], body)
    await _group_control(client, token, ids["group"], NOW + 60)
    await _group_control(client, token, ids["group"], NOW + 120)
    claimed = store.call(claim_due_notifications, now=NOW, limit=10, lease_s=60, claim_token="w")
    encodes: list[object] = []
    real_encode = sink_module.encode
    monkeypatch.setattr(sink_module, "encode", lambda doc: encodes.append(doc) or real_encode(doc))
    encoder = NotificationEncoder()
    with store.session() as session:
        shared = [
            render_notification(session, ServerSettings(), item, now=NOW, encoder=encoder)
            for item in claimed
        ]
        shared_encodes = len(encodes)
        alone = [render_notification(session, ServerSettings(), item, now=NOW) for item in claimed]
    assert len(claimed) == 3
    assert shared == alone  # byte for byte
    assert shared_encodes == 2  # a and b share one; c (limit 1) is a list of its own
    notes = [decode(body, sep.Notification) for body in shared]
    assert sorted(n.subscriptionURI for n in notes) == sorted(
        f"/edev/{ids[k]}/sub/{i}" for k, i in (("a", 1), ("b", 2), ("c", 3))
    )
    for note in notes:
        assert isinstance(note.Resource, sep.DERControlList)
        assert note.Resource.href == note.subscribedResource
        assert all(
            c.href.startswith(note.subscribedResource + "/") for c in note.Resource.DERControl
        )
