"""The 2030.5 walk against the real server over mutual TLS: registration, PIN, paging."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from openderms.certs import tls
from openderms.certs.identity import DeviceIdentity, identity_from_pem
from openderms.client.sep2.errors import PinMismatchError, RegistrationError
from openderms.client.sep2.http import Sep2Http, origin_of
from openderms.client.sep2.walker import walk
from openderms.testing.clock import NOON_S, VirtualClock
from openderms.testing.gateway import make_pki
from openderms.testing.head_end import RunningServer, running_server


@dataclass
class Conn:
    server: RunningServer
    http: Sep2Http
    identity: DeviceIdentity
    clock: VirtualClock


@pytest.fixture
async def conn(tmp_path: Path) -> AsyncIterator[Conn]:
    pki_dir = make_pki(tmp_path / "pki", "gw1")
    clock = VirtualClock(NOON_S)
    identity = identity_from_pem((pki_dir / "gw1.pem").read_bytes())
    async with running_server(pki_dir, tmp_path / "server.sqlite", clock=clock.server) as server:
        context = tls.client_context(
            pki_dir / "gw1.pem", pki_dir / "gw1.key", pki_dir / "serca.pem"
        )
        http = Sep2Http(origin_of(server.dcap_url), context)
        try:
            yield Conn(server, http, identity, clock)
        finally:
            await http.aclose()


async def test_in_band_registration_posts_our_end_device(conn: Conn) -> None:
    view = await walk(
        conn.http, "/dcap", conn.identity, register_in_band=True, pin=None, now=NOON_S
    )
    assert bytes(view.end_device.lFDI).hex().upper() == conn.identity.lfdi
    assert view.end_device.sFDI.value == conn.identity.sfdi
    again = await walk(
        conn.http, "/dcap", conn.identity, register_in_band=True, pin=None, now=NOON_S
    )
    assert again.end_device_href == view.end_device_href  # found, not registered twice


async def test_out_of_band_gateway_not_yet_registered_says_so(conn: Conn) -> None:
    with pytest.raises(RegistrationError, match="out of band"):
        await walk(conn.http, "/dcap", conn.identity, register_in_band=False, pin=None, now=NOON_S)


async def test_pin_from_registration_must_match_the_configured_pin(conn: Conn) -> None:
    """IEEE 2030.5 §6.7: the PIN proves the server registered this installation."""
    async with conn.server.admin() as admin:
        response = await admin.post("/devices", json={"lfdi": conn.identity.lfdi, "pin": 111115})
        assert response.status_code == 201
    view = await walk(
        conn.http, "/dcap", conn.identity, register_in_band=False, pin=111115, now=NOON_S
    )
    assert view.registration is not None
    with pytest.raises(PinMismatchError):
        await walk(
            conn.http, "/dcap", conn.identity, register_in_band=False, pin=222220, now=NOON_S
        )


async def test_walk_follows_list_paging_to_every_control(conn: Conn) -> None:
    """Lists are read page by page (s, l) until `all` items are in."""
    async with conn.server.admin() as admin:
        await admin.post("/devices", json={"lfdi": conn.identity.lfdi})
        for index in range(60):
            response = await admin.post(
                f"/devices/{conn.identity.lfdi}/controls",
                json={
                    "start": int(NOON_S) + 3600 * (index + 1),
                    "duration_s": 600,
                    "modes": {"op_mod_exp_lim_w": 1000 + index},
                },
            )
            assert response.status_code == 201, response.text
    view = await walk(
        conn.http, "/dcap", conn.identity, register_in_band=False, pin=None, now=NOON_S
    )
    (program,) = view.programs
    assert len(program.controls) == 60
    assert len({bytes(c.mRID.value) for c in program.controls}) == 60
