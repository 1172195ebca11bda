"""Subscription function set over real mutual TLS (IEEE 2030.5-2018 §12.8): /edev/{id}/sub."""

from __future__ import annotations

import httpx

from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.codec import SEP_XML, decode, encode
from openderms.server import uris
from openderms.server.services import programs, registration
from openderms.testing.head_end import Sep2Server


def _setup(srv: Sep2Server, name: str) -> tuple[int, int]:
    """A registered device in a group with one program: (end device id, program id)."""
    ident = srv.identity(name)
    device = srv.store.call(registration.register_end_device, srv.ctx(), lfdi=ident.lfdi)
    group = srv.store.call(programs.create_group, srv.ctx(), description="g")
    assert device.id is not None and group.id is not None
    srv.store.call(programs.assign_devices, srv.ctx(), group.id, [device.id])
    program = srv.store.call(programs.create_program, srv.ctx(), primacy=1, group_ids=[group.id])
    assert program.id is not None
    return device.id, program.id


def _subscription(resource: str, *, encoding: int = 0) -> bytes:
    return encode(
        sep.Subscription(
            subscribedResource=resource,
            encoding=encoding,
            level="+S1",
            limit=5,
            notificationURI="https://127.0.0.1:9999/note",
        )
    )


async def _post(client: httpx.AsyncClient, edev: int, body: bytes) -> httpx.Response:
    return await client.post(f"/edev/{edev}/sub", content=body, headers={"Content-Type": SEP_XML})


async def test_posted_subscription_is_created_and_read_back(sep2_server: Sep2Server) -> None:
    edev, program = _setup(sep2_server, "sub-reader")
    client = sep2_server.client("sub-reader")
    derc = uris.der_control_list(edev, program)

    created = await _post(client, edev, _subscription(derc))
    location = created.headers["Location"]
    one = decode((await client.get(location)).content, sep.Subscription)
    listing = decode((await client.get(f"/edev/{edev}/sub?l=10")).content, sep.SubscriptionList)

    assert created.status_code == 201
    assert location.startswith(f"/edev/{edev}/sub/")
    assert (one.subscribedResource, one.notificationURI, one.limit) == (
        derc,
        "https://127.0.0.1:9999/note",
        5,
    )
    assert (listing.all, listing.results) == (1, 1)


async def test_end_device_links_its_subscription_list(sep2_server: Sep2Server) -> None:
    edev, _ = _setup(sep2_server, "sub-linker")
    client = sep2_server.client("sub-linker")
    device = decode((await client.get(uris.end_device(edev))).content, sep.EndDevice)
    assert device.SubscriptionListLink is not None
    assert device.SubscriptionListLink.href == f"/edev/{edev}/sub"


async def test_deleted_subscription_is_gone(sep2_server: Sep2Server) -> None:
    edev, program = _setup(sep2_server, "sub-deleter")
    client = sep2_server.client("sub-deleter")
    location = (
        await _post(client, edev, _subscription(uris.default_der_control(edev, program)))
    ).headers["Location"]

    deleted = await client.delete(location)
    again = await client.get(location)

    assert deleted.status_code == 204
    assert again.status_code == 404


async def test_subscribing_to_a_resource_that_is_not_subscribable_is_refused(
    sep2_server: Sep2Server,
) -> None:
    edev, _ = _setup(sep2_server, "sub-wrong")
    client = sep2_server.client("sub-wrong")
    for resource in ("/dcap", uris.registration(edev), "/edev/1/../2/fsa"):
        response = await _post(client, edev, _subscription(resource))
        assert response.status_code == 400, resource


async def test_exi_encoding_is_refused(sep2_server: Sep2Server) -> None:
    edev, _ = _setup(sep2_server, "sub-exi")
    client = sep2_server.client("sub-exi")
    response = await _post(client, edev, _subscription(uris.fsa_list(edev), encoding=1))
    assert response.status_code == 400


async def test_another_device_cannot_see_subscribe_or_delete_under_my_end_device(
    sep2_server: Sep2Server,
) -> None:
    edev, program = _setup(sep2_server, "sub-owner")
    _setup(sep2_server, "sub-intruder")
    owner = sep2_server.client("sub-owner")
    intruder = sep2_server.client("sub-intruder")
    location = (await _post(owner, edev, _subscription(uris.fsa_list(edev)))).headers["Location"]

    answers = [
        (await intruder.get(f"/edev/{edev}/sub")).status_code,
        (await intruder.get(location)).status_code,
        (await intruder.delete(location)).status_code,
        (
            await _post(intruder, edev, _subscription(uris.der_control_list(edev, program)))
        ).status_code,
    ]

    assert all(status in (403, 404) for status in answers), answers
    assert (await owner.get(location)).status_code == 200
