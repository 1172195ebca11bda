"""Hostile and malformed requests get a 2030.5 Error body and change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from openderms.server.config import ServerSettings
from openderms.server.store.models import ClientResourceRow, EndDeviceRow
from openderms.testing.head_end import XML_HEADERS, Sep2Server, enroll, error_reason

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>
<EndDevice xmlns="urn:ieee:std:2030.5:ns"><sFDI>&lol2;</sFDI>
<changedTime>0</changedTime></EndDevice>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<EndDevice xmlns="urn:ieee:std:2030.5:ns"><sFDI>&xxe;</sFDI>
<changedTime>0</changedTime></EndDevice>"""


def _devices(srv: Sep2Server) -> int:
    with srv.store.session() as session:
        return session.exec(select(func.count()).select_from(EndDeviceRow)).one()


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(BILLION_LAUGHS, id="entity-expansion"),
        pytest.param(EXTERNAL_ENTITY, id="external-entity"),
        pytest.param(b"<EndDevice xmlns='urn:ieee:std:2030.5:ns'><sFDI>", id="truncated"),
        pytest.param(b"not xml at all", id="not-xml"),
        pytest.param(
            b"<DERStatus xmlns='urn:ieee:std:2030.5:ns'><readingTime>0</readingTime></DERStatus>",
            id="wrong-root",
        ),
        pytest.param(
            b"<EndDevice xmlns='urn:ieee:std:2030.5:ns'><sFDI>1</sFDI>"
            b"<changedTime>0</changedTime><evil>1</evil></EndDevice>",
            id="unknown-element",
        ),
        pytest.param(
            b"<EndDevice xmlns='urn:example:other'><sFDI>1</sFDI></EndDevice>", id="foreign-ns"
        ),
    ],
)
async def test_hostile_body_gets_400_with_error_body(
    sep2_server: Sep2Server, payload: bytes
) -> None:
    response = await sep2_server.client("hostile").post(
        "/edev", content=payload, headers=XML_HEADERS
    )
    assert response.status_code == 400
    error_reason(response)
    assert _devices(sep2_server) == 0


async def test_deep_nesting_is_refused(sep2_server: Sep2Server) -> None:
    e = enroll(sep2_server, "deep")
    payload = (
        b"<DERStatus xmlns='urn:ieee:std:2030.5:ns'>"
        + b"<a>" * 200
        + b"</a>" * 200
        + b"</DERStatus>"
    )
    response = await sep2_server.client("deep").put(
        f"/edev/{e.device_id}/der/1/ders", content=payload, headers=XML_HEADERS
    )
    assert response.status_code == 400
    error_reason(response)


class TestSmallBodies:
    @pytest.fixture
    def server_settings(self) -> ServerSettings:
        return ServerSettings(max_body_bytes=2048)

    async def test_oversized_body_is_413_before_parsing(self, sep2_server: Sep2Server) -> None:
        """Bodies larger than max_body_bytes are refused (413, Error reasonCode 2)."""
        e = enroll(sep2_server, "big")
        payload = b"<DERStatus xmlns='urn:ieee:std:2030.5:ns'>" + b" " * 4096 + b"</DERStatus>"
        response = await sep2_server.client("big").put(
            f"/edev/{e.device_id}/der/1/ders", content=payload, headers=XML_HEADERS
        )
        assert response.status_code == 413
        assert error_reason(response) == 2
        with sep2_server.store.session() as session:
            assert session.exec(select(func.count()).select_from(ClientResourceRow)).one() == 0


async def test_unknown_path_is_404_with_error_body(sep2_server: Sep2Server) -> None:
    response = await sep2_server.client("lost").get("/nothing/here")
    assert response.status_code == 404
    error_reason(response)


async def test_wrong_method_is_405_with_error_body(sep2_server: Sep2Server) -> None:
    response = await sep2_server.client("deleter").delete("/dcap")
    assert response.status_code == 405
    error_reason(response)
