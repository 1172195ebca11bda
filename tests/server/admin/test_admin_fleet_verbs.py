"""Admin verbs for fleet operations (issue 11 item 17): disable and re-enable a client's
access by LFDI, list tokens, groups, programs and the audit log, API and CLI."""

from __future__ import annotations

import argparse

import pytest

from openderms.schemas.sep2 import models as sep
from openderms.server.admin.app import create_admin_app
from openderms.server.admin.cli import _request, register
from openderms.server.admin.tokens import create_token
from openderms.server.store.admin import AdminRole
from openderms.testing.clock import NOW
from openderms.testing.head_end import Sep2Server, enroll, parse
from openderms.testing.sep2_builders import site_mirror


async def test_disabled_client_is_refused_until_re_enabled(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    e = enroll(srv, "switchable")
    lfdi = srv.identity("switchable").lfdi
    app = create_admin_app(srv.store, changes=srv.changes, clock=lambda: NOW)
    token = srv.store.call(
        create_token, name="ops", role=AdminRole.UTILITY, aggregator_lfdi=None, now=NOW
    ).token
    admin = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    client = srv.client("switchable")
    fsa = f"/edev/{e.device_id}/fsa"
    program = f"/edev/{e.device_id}/derp/{e.program_id}/derc"
    assert (await client.get(fsa)).status_code == 200
    off = await admin.put(f"/devices/{lfdi}/access", headers=auth, json={"enabled": False})
    assert off.status_code == 200, await off.get_data()
    assert (await client.get(fsa)).status_code == 403
    assert (await client.get(program)).status_code == 403
    listed = parse(await client.get("/edev"), sep.EndDeviceList)
    assert [d.enabled for d in listed.EndDevice] == [False]  # it can tell why
    on = await admin.put(f"/devices/{lfdi}/access", headers=auth, json={"enabled": True})
    assert on.status_code == 200
    assert (await client.get(program)).status_code == 200
    tokens = await (await admin.get("/tokens", headers=auth)).get_json()
    assert [t["name"] for t in tokens["tokens"]] == ["ops"]
    assert all("token_sha256" not in t and "token" not in t for t in tokens["tokens"])
    audit = await (await admin.get("/audit", headers=auth)).get_json()
    assert any("/access" in record["path"] for record in audit["records"])


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["disable-device", "--lfdi", "AB" * 20],
            ("PUT", f"/devices/{'AB' * 20}/access", {"enabled": False}),
        ),
        (
            ["enable-device", "--lfdi", "AB" * 20],
            ("PUT", f"/devices/{'AB' * 20}/access", {"enabled": True}),
        ),
        (["list-groups"], ("GET", "/groups", None)),
        (["list-programs"], ("GET", "/programs", None)),
        (["list-tokens"], ("GET", "/tokens", None)),
        (["audit", "--limit", "5"], ("GET", "/audit?start=0&limit=5", None)),
        (["delete-mirror", "7"], ("DELETE", "/mirrors/7", None)),
    ],
)
def test_cli_fleet_verbs(argv: list[str], expected: tuple[str, str, object]) -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    assert _request(parser.parse_args(["admin", *argv])) == expected


async def test_deleting_a_mirror_removes_it_and_its_readings(sep2_server: Sep2Server) -> None:
    from openderms.testing.head_end import XML_HEADERS, body

    srv = sep2_server
    enroll(srv, "mirrored")
    lfdi = srv.identity("mirrored").lfdi
    client = srv.client("mirrored")
    mup = site_mirror(lfdi, 0x44, 0x45, Reading=sep.Reading(value=7))
    created = await client.post("/mup", content=body(mup), headers=XML_HEADERS)
    mup_id = int(created.headers["location"].rsplit("/", 1)[1])
    app = create_admin_app(srv.store, changes=srv.changes, clock=lambda: NOW)
    token = srv.store.call(
        create_token, name="ops", role=AdminRole.UTILITY, aggregator_lfdi=None, now=NOW
    ).token
    deleted = await app.test_client().delete(
        f"/mirrors/{mup_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert deleted.status_code == 200, await deleted.get_data()
    assert (await deleted.get_json())["readings_deleted"] == 1
    assert (await client.get(created.headers["location"])).status_code == 404
    again = await client.post("/mup", content=body(mup), headers=XML_HEADERS)
    assert again.status_code == 201  # the client can create it again
