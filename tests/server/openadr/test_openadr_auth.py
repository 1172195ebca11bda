"""The token endpoint (OAuth2 client credentials, RFC 6749 §4.4) and the client store."""

from __future__ import annotations

import base64

import pytest
from sqlmodel import select

from openderms.server.openadr import auth
from openderms.server.openadr.scopes import Role
from openderms.server.store.models.openadr import OadrClientRow, OadrTokenRow
from openderms.testing.openadr_vtn import Vtn


async def _token(vtn: Vtn, **form: str) -> tuple[int, dict[str, str]]:
    response = await vtn.client.post("/auth/token", form=form)
    return response.status_code, await response.get_json()


async def test_token_grants_the_clients_scopes(vtn: Vtn) -> None:
    status, body = await _token(
        vtn, grant_type="client_credentials", client_id="ven1", client_secret=vtn.secrets["ven1"]
    )
    assert status == 200 and body["token_type"] == "Bearer"
    assert int(body["expires_in"]) == auth.DEFAULT_TOKEN_LIFETIME_S
    assert set(body["scope"].split()) == {
        "read_targets",
        "read_ven_objects",
        "write_reports",
        "write_subscriptions",
        "write_vens",
    }


async def test_credentials_may_come_as_http_basic(vtn: Vtn) -> None:
    """RFC 6749 §2.3.1."""
    basic = base64.b64encode(f"ven1:{vtn.secrets['ven1']}".encode()).decode()
    response = await vtn.client.post(
        "/auth/token",
        form={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200


async def test_wrong_secret_is_401_invalid_client(vtn: Vtn) -> None:
    status, body = await _token(
        vtn, grant_type="client_credentials", client_id="ven1", client_secret="guess"
    )
    assert status == 401 and body["error"] == "invalid_client" and body["status"] == 401
    status, body = await _token(
        vtn, grant_type="client_credentials", client_id="nobody", client_secret="guess"
    )
    assert status == 401 and body["error"] == "invalid_client"


async def test_other_grant_types_are_refused(vtn: Vtn) -> None:
    status, body = await _token(
        vtn, grant_type="password", client_id="ven1", client_secret=vtn.secrets["ven1"]
    )
    assert status == 400 and body["error"] == "unsupported_grant_type"


async def test_missing_credentials_are_invalid_request(vtn: Vtn) -> None:
    status, body = await _token(vtn, grant_type="client_credentials")
    assert status == 400 and body["error"] == "invalid_request"


async def test_a_scope_the_client_lacks_is_invalid_scope(vtn: Vtn) -> None:
    status, body = await _token(
        vtn,
        grant_type="client_credentials",
        client_id="ven1",
        client_secret=vtn.secrets["ven1"],
        scope="write_programs",
    )
    assert status == 400 and body["error"] == "invalid_scope"


async def test_a_narrowed_token_has_only_what_it_asked_for(vtn: Vtn) -> None:
    await vtn.token("bl", scope="read_all")
    status, _ = await vtn.call("GET", "/programs", "bl")
    assert status == 200
    status, problem = await vtn.call("POST", "/programs", "bl", {"programName": "x"})
    assert status == 403 and "write_programs" in problem["detail"]


async def test_tokens_expire(vtn: Vtn) -> None:
    vtn.clock.now += auth.DEFAULT_TOKEN_LIFETIME_S - 1
    assert (await vtn.call("GET", "/programs", "bl"))[0] == 200
    vtn.clock.now += 2
    status, problem = await vtn.call("GET", "/programs", "bl")
    assert status == 401 and "expired" in problem["detail"]


async def test_a_disabled_client_loses_its_tokens_at_once(vtn: Vtn) -> None:
    vtn.store.call(auth.disable_client, "ven1", now=vtn.clock())
    status, _ = await vtn.call("GET", "/vens", "ven1")
    assert status == 401
    status, _ = await _token(
        vtn, grant_type="client_credentials", client_id="ven1", client_secret=vtn.secrets["ven1"]
    )
    assert status == 401


async def test_secrets_and_tokens_are_stored_hashed(vtn: Vtn) -> None:
    with vtn.store.session() as session:
        clients = session.exec(select(OadrClientRow)).all()
        tokens = session.exec(select(OadrTokenRow)).all()
    stored = " ".join([c.secret_hash for c in clients] + [t.token_sha256 for t in tokens])
    for secret in [*vtn.secrets.values(), *vtn.tokens.values()]:
        assert secret not in stored
    assert all(c.secret_hash.startswith("scrypt$") for c in clients)


async def test_production_scrypt_cost(vtn: Vtn, monkeypatch: pytest.MonkeyPatch) -> None:
    """RFC 7914's interactive figure n=2**14, r=8 (the fixtures lower n for speed)."""
    monkeypatch.undo()
    vtn.add_client("real-cost", Role.VEN)
    with vtn.store.session() as session:
        row = session.exec(
            select(OadrClientRow).where(OadrClientRow.client_id == "real-cost")
        ).one()
    assert row.secret_hash.startswith("scrypt$16384$")
    assert await vtn.token("real-cost")


async def test_client_ids_are_unique(vtn: Vtn) -> None:
    try:
        vtn.add_client("ven1", Role.VEN)
    except auth.OadrConflictError:
        return
    raise AssertionError("a second client ven1 was made")
