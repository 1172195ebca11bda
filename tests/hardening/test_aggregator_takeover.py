"""Aggregator takeover (issue 12, item 1), over real mutual TLS.

An aggregator certificate must not register a device the utility did not give it (nor
with a forged sFDI), the device's own registration must still work, and the utility can
always reclaim a device an aggregator holds; an aggregator token never reaches a device
that is not its own, nor cancels a utility's group control.
"""

from __future__ import annotations

from typing import Any

import pytest
from hardening_testlib import Tally
from quart import Quart

from openderms.schemas.sep2 import models as sep
from openderms.server.admin.app import create_admin_app
from openderms.server.admin.tokens import create_token
from openderms.server.config import ServerSettings
from openderms.server.services import registration
from openderms.server.store.admin import AdminRole
from openderms.testing.head_end import XML_HEADERS, Sep2Server, body, enroll, parse

CONTROL = {"duration_s": 600, "modes": {"op_mod_connect": False}}


def _end_device(lfdi: str, sfdi: int) -> bytes:
    return body(
        sep.EndDevice(
            lFDI=bytes.fromhex(lfdi),
            sFDI=sep.SFDIType(value=sfdi),
            changedTime=sep.TimeType(value=0),
        )
    )


class Admin:
    """The admin API on the server's store, with a utility and an aggregator token."""

    def __init__(self, srv: Sep2Server, aggregator_lfdi: str) -> None:
        self.app: Quart = create_admin_app(
            srv.store, settings=srv.settings, changes=srv.changes, clock=srv.clock
        )

        def issue(role: AdminRole, lfdi: str | None) -> str:
            return srv.store.call(
                create_token, name=role.value, role=role, aggregator_lfdi=lfdi, now=srv.clock.now
            ).token

        self.utility = issue(AdminRole.UTILITY, None)
        self.aggregator = issue(AdminRole.AGGREGATOR, aggregator_lfdi)

    async def call(self, method: str, path: str, token: str, json: Any = None) -> tuple[int, Any]:
        response = await self.app.test_client().open(
            path, method=method, headers={"Authorization": f"Bearer {token}"}, json=json
        )
        return response.status_code, await response.get_json()


def _device_rows(srv: Sep2Server, lfdi: str) -> list[int | None]:
    from openderms.server.store.crud.end_device import select_end_device_by_lfdi

    def owner(session: Any) -> list[int | None]:
        row = select_end_device_by_lfdi(session, lfdi)
        return [] if row is None else [row.aggregator_id]

    return srv.store.call(owner)


async def test_aggregator_cannot_take_over_devices_it_was_not_given(
    sep2_server: Sep2Server,
) -> None:
    srv = sep2_server
    tally = Tally("aggregator takeover (default policy: assigned devices only)")
    agg = srv.client("agg-x", aggregator=True)
    srv.identity("agg-x", aggregator=True)
    victim = srv.identity("victim")
    forged = await agg.post("/edev", content=_end_device(victim.lfdi, 1), headers=XML_HEADERS)
    tally.check(forged.status_code == 400, f"forged sFDI: {forged.status_code}")
    unassigned = await agg.post(
        "/edev", content=_end_device(victim.lfdi, victim.sfdi), headers=XML_HEADERS
    )
    tally.check(unassigned.status_code == 403, f"unassigned LFDI: {unassigned.status_code}")
    tally.check(_device_rows(srv, victim.lfdi) == [], "a row was stored for the victim")
    # The registration oracle: a device registered to someone else answers the same.
    enroll(srv, "registered-elsewhere")
    other = srv.identity("registered-elsewhere")
    taken = await agg.post(
        "/edev", content=_end_device(other.lfdi, other.sfdi), headers=XML_HEADERS
    )
    tally.check(
        (taken.status_code, taken.content) == (unassigned.status_code, unassigned.content),
        f"registered vs unregistered LFDI differ: {taken.status_code} {unassigned.status_code}",
    )
    # The real device still registers itself.
    own = await srv.client("victim").post(
        "/edev", content=_end_device(victim.lfdi, victim.sfdi), headers=XML_HEADERS
    )
    tally.check(own.status_code == 201, f"victim's own registration: {own.status_code}")
    listed = parse(await agg.get("/edev"), sep.EndDeviceList)
    tally.check(listed.all == 0, f"aggregator lists {listed.all} devices")
    assert tally.report() == []


async def test_aggregator_registers_a_device_the_utility_assigned(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    agg_ident = srv.identity("agg-y", aggregator=True)
    site = srv.identity("assigned-site")
    srv.store.call(
        registration.register_end_device, srv.ctx(), lfdi=site.lfdi, aggregator_lfdi=agg_ident.lfdi
    )
    agg = srv.client("agg-y", aggregator=True)
    response = await agg.post(
        "/edev", content=_end_device(site.lfdi, site.sfdi), headers=XML_HEADERS
    )
    assert response.status_code == 201
    assert parse(await agg.get("/edev"), sep.EndDeviceList).all == 1


class TestOpenPolicy:
    @pytest.fixture
    def server_settings(self) -> ServerSettings:
        return ServerSettings(list_limit_default=100, aggregator_registration="open")

    async def test_the_utility_reclaims_a_device_an_aggregator_registered(
        self, sep2_server: Sep2Server
    ) -> None:
        srv = sep2_server
        tally = Tally("aggregator takeover (open policy: utility reclaims)")
        agg_ident = srv.identity("agg-z", aggregator=True)
        agg = srv.client("agg-z", aggregator=True)
        device = srv.identity("claimed")
        forged = await agg.post("/edev", content=_end_device(device.lfdi, 7), headers=XML_HEADERS)
        tally.check(forged.status_code == 400, f"forged sFDI: {forged.status_code}")
        claimed = await agg.post(
            "/edev", content=_end_device(device.lfdi, device.sfdi), headers=XML_HEADERS
        )
        assert claimed.status_code == 201
        admin = Admin(srv, agg_ident.lfdi)
        status, control = await admin.call(
            "POST", f"/devices/{device.lfdi}/controls", admin.aggregator, CONTROL
        )
        assert status == 201, control
        status, moved = await admin.call(
            "PUT", f"/devices/{device.lfdi}/aggregator", admin.utility, {"aggregator_lfdi": None}
        )
        tally.check(status == 200 and moved["aggregator_id"] is None, f"reclaim: {status}")
        refused, _ = await admin.call(
            "PUT",
            f"/devices/{device.lfdi}/aggregator",
            admin.aggregator,
            {"aggregator_lfdi": None},
        )
        tally.check(refused == 403, f"aggregator token reassigns: {refused}")
        disconnect, _ = await admin.call(
            "POST", f"/devices/{device.lfdi}/controls", admin.aggregator, CONTROL
        )
        tally.check(disconnect == 404, f"aggregator disconnects a reclaimed device: {disconnect}")
        cancel, _ = await admin.call(
            "POST", f"/controls/{control['id']}/cancel", admin.aggregator, {}
        )
        tally.check(cancel == 404, f"aggregator cancels on a reclaimed device: {cancel}")
        listed = parse(await agg.get("/edev"), sep.EndDeviceList)
        tally.check(listed.all == 0, f"aggregator still lists {listed.all} devices")
        again = await agg.post(
            "/edev", content=_end_device(device.lfdi, device.sfdi), headers=XML_HEADERS
        )
        tally.check(again.status_code == 409, f"aggregator re-registers: {again.status_code}")
        own = await srv.client("claimed").post(
            "/edev", content=_end_device(device.lfdi, device.sfdi), headers=XML_HEADERS
        )
        tally.check(own.status_code == 201, f"device's own registration: {own.status_code}")
        assert tally.report() == []


async def test_aggregator_token_cannot_cancel_a_utility_group_control(
    sep2_server: Sep2Server,
) -> None:
    """Item 8: every member of the group is the aggregator's, the control is still not."""
    srv = sep2_server
    agg_ident = srv.identity("agg-g", aggregator=True)
    member = srv.identity("group-member")
    srv.store.call(
        registration.register_end_device,
        srv.ctx(),
        lfdi=member.lfdi,
        aggregator_lfdi=agg_ident.lfdi,
    )
    admin = Admin(srv, agg_ident.lfdi)
    _, group = await admin.call("POST", "/groups", admin.utility, {})
    await admin.call(
        "POST", f"/groups/{group['id']}/devices", admin.utility, {"lfdis": [member.lfdi]}
    )
    await admin.call(
        "POST", "/programs", admin.utility, {"primacy": 5, "group_ids": [group["id"]]}
    )
    status, control = await admin.call(
        "POST", f"/groups/{group['id']}/controls", admin.utility, CONTROL
    )
    assert status == 201, control
    refused, _ = await admin.call(
        "POST", f"/controls/{control['id']}/cancel", admin.aggregator, {}
    )
    assert refused == 404
    own_status, own = await admin.call(
        "POST", f"/devices/{member.lfdi}/controls", admin.aggregator, CONTROL
    )
    assert own_status == 201
    mine, _ = await admin.call("POST", f"/controls/{own['id']}/cancel", admin.aggregator, {})
    assert mine == 200
