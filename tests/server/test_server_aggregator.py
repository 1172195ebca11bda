"""Aggregator certificates: they register and manage many EndDevices, and only those."""

from __future__ import annotations

import pytest

from openderms.schemas.sep2 import models as sep
from openderms.server.config import ServerSettings
from openderms.server.services import registration
from openderms.testing.head_end import (
    XML_HEADERS,
    Sep2Server,
    body,
    enroll,
    parse,
    schedule_control,
)


def _end_device(lfdi: str, sfdi: int) -> bytes:
    return body(
        sep.EndDevice(
            lFDI=bytes.fromhex(lfdi),
            sFDI=sep.SFDIType(value=sfdi),
            changedTime=sep.TimeType(value=0),
        )
    )


async def _register_and_list(srv: Sep2Server, agg_name: str) -> None:
    agg = srv.client(agg_name, aggregator=True)
    hrefs = []
    for name in (f"{agg_name}-site-1", f"{agg_name}-site-2"):
        ident = srv.identity(name)
        response = await agg.post(
            "/edev", content=_end_device(ident.lfdi, ident.sfdi), headers=XML_HEADERS
        )
        assert response.status_code == 201
        hrefs.append(response.headers["location"])
    listed = parse(await agg.get("/edev"), sep.EndDeviceList)
    assert sorted(d.href for d in listed.EndDevice if d.href) == sorted(hrefs)
    # The managed device's own certificate still reaches its EndDevice.
    assert (await srv.client(f"{agg_name}-site-1").get(hrefs[0])).status_code == 200


async def test_aggregator_registers_and_lists_its_devices(sep2_server: Sep2Server) -> None:
    """Default policy: the devices the utility assigned to the aggregator."""
    srv = sep2_server
    agg_lfdi = srv.identity("agg-1", aggregator=True).lfdi
    for name in ("agg-1-site-1", "agg-1-site-2"):
        srv.store.call(
            registration.register_end_device,
            srv.ctx(),
            lfdi=srv.identity(name).lfdi,
            aggregator_lfdi=agg_lfdi,
        )
    await _register_and_list(srv, "agg-1")


class TestOpenRegistration:
    @pytest.fixture
    def server_settings(self) -> ServerSettings:
        return ServerSettings(list_limit_default=100, aggregator_registration="open")

    async def test_aggregator_registers_and_lists_its_devices(
        self, sep2_server: Sep2Server
    ) -> None:
        """Open policy: LFDIs nobody registered yet, without the utility's assignment."""
        await _register_and_list(sep2_server, "agg-1o")

    async def test_aggregator_cannot_take_over_a_registered_device(
        self, sep2_server: Sep2Server
    ) -> None:
        await _take_over_a_registered_device(sep2_server, expected_status=409)


async def test_aggregator_reads_controls_of_its_devices(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    srv.identity("agg-2", aggregator=True)
    e = enroll(srv, "managed", aggregator="agg-2")
    schedule_control(srv, e.program_id)
    agg = srv.client("agg-2", aggregator=True)
    listed = parse(
        await agg.get(f"/edev/{e.device_id}/derp/{e.program_id}/derc"), sep.DERControlList
    )
    assert listed.all == 1


async def test_aggregator_cannot_reach_another_aggregators_device(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    srv.identity("agg-3", aggregator=True)
    srv.identity("agg-4", aggregator=True)
    theirs = enroll(srv, "theirs", aggregator="agg-4")
    standalone = enroll(srv, "standalone")
    agg = srv.client("agg-3", aggregator=True)
    for device_id in (theirs.device_id, standalone.device_id):
        assert (await agg.get(f"/edev/{device_id}")).status_code == 404
        assert (await agg.get(f"/edev/{device_id}/fsa")).status_code == 404
    assert parse(await agg.get("/edev"), sep.EndDeviceList).all == 0


async def _take_over_a_registered_device(srv: Sep2Server, *, expected_status: int) -> None:
    """Registering an LFDI that belongs to someone else is refused, ownership unchanged."""
    srv.identity("agg-5", aggregator=True)
    enroll(srv, "owned")
    ident = srv.identity("owned")
    agg = srv.client("agg-5", aggregator=True)
    response = await agg.post(
        "/edev", content=_end_device(ident.lfdi, ident.sfdi), headers=XML_HEADERS
    )
    assert response.status_code == expected_status
    assert parse(await agg.get("/edev"), sep.EndDeviceList).all == 0


async def test_aggregator_cannot_take_over_a_registered_device(sep2_server: Sep2Server) -> None:
    """Default policy: 403, as for any LFDI not assigned to the aggregator (no oracle)."""
    await _take_over_a_registered_device(sep2_server, expected_status=403)


async def test_plain_device_certificate_cannot_register_others(sep2_server: Sep2Server) -> None:
    """Only an aggregator certificate may register an LFDI that is not its own."""
    srv = sep2_server
    client = srv.client("not-an-aggregator")
    srv.identity("not-an-aggregator")
    other = srv.identity("someone")
    response = await client.post(
        "/edev", content=_end_device(other.lfdi, other.sfdi), headers=XML_HEADERS
    )
    assert response.status_code == 403


async def test_aggregator_has_its_own_end_device_and_subscribes_to_the_list(
    sep2_server: Sep2Server,
) -> None:
    """Issue 11 item 5: the EndDeviceList is subscribable; an aggregator registers its own
    EndDevice (its SubscriptionList lives there) and a Notification of the list shows it
    the fleet, new devices included."""
    from openderms.schemas.sep2.codec import decode
    from openderms.server.notify.sink import render_notification
    from openderms.server.services import registration
    from openderms.server.store.outbox import ClaimedNotification

    srv = sep2_server
    agg_ident = srv.identity("agg-own", aggregator=True)
    agg = srv.client("agg-own", aggregator=True)
    own = await agg.post(
        "/edev", content=_end_device(agg_ident.lfdi, agg_ident.sfdi), headers=XML_HEADERS
    )
    assert own.status_code == 201, own.text
    own_device = parse(await agg.get(own.headers["location"]), sep.EndDevice)
    assert own_device.SubscriptionListLink is not None
    listed = parse(await agg.get("/edev"), sep.EndDeviceList)
    assert listed.subscribable == 1
    subscription = body(
        sep.Subscription(
            subscribedResource="/edev",
            encoding=0,
            level="+S1",
            limit=10,
            notificationURI="https://127.0.0.1:9/notify",
        )
    )
    subscribed = await agg.post(
        own_device.SubscriptionListLink.href, content=subscription, headers=XML_HEADERS
    )
    assert subscribed.status_code == 201, subscribed.text
    site = srv.identity("agg-own-site")
    srv.store.call(  # the utility assigns the site to the aggregator (default policy)
        registration.register_end_device,
        srv.ctx(),
        lfdi=site.lfdi,
        aggregator_lfdi=agg_ident.lfdi,
    )
    registered = await agg.post(
        "/edev", content=_end_device(site.lfdi, site.sfdi), headers=XML_HEADERS
    )
    assert registered.status_code == 201, registered.text
    assert "/edev" in srv.changes.hrefs
    subscription_id = int(subscribed.headers["location"].rsplit("/", 1)[1])
    with srv.store.session() as session:
        rendered = render_notification(
            session,
            srv.settings,
            ClaimedNotification(
                id=1,
                subscription_id=subscription_id,
                end_device_id=None,
                resource_href="/edev",
                notification_uri="https://127.0.0.1:9/notify",
                content_type="application/sep+xml",
                body=None,
                attempts=0,
                claim_token="t",
            ),
            now=srv.clock.now,
        )
    notification = decode(rendered, sep.Notification)
    shown = {d.href for d in notification.Resource.EndDevice}
    assert registered.headers["location"] in shown and own.headers["location"] in shown
