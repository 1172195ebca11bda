"""Every authorization refusal: a certificate reaches only its own EndDevice and what its
groups link; an aggregator only its devices. Refused requests change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from openderms.schemas.sep2 import models as sep
from openderms.server.store.models import ClientResourceRow, ControlResponseRow, LogEventRow
from openderms.testing.clock import NOW
from openderms.testing.head_end import (
    XML_HEADERS,
    Sep2Server,
    body,
    enroll,
    error_reason,
    schedule_control,
)


def _count(srv: Sep2Server, model: type) -> int:
    with srv.store.session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _received(srv: Sep2Server, lfdi_of: str, mrid: str) -> bytes:
    """A DERControlResponse "event received" (status 1) for the device named ``lfdi_of``."""
    return body(
        sep.DERControlResponse(
            endDeviceLFDI=bytes.fromhex(srv.identity(lfdi_of).lfdi),
            subject=sep.mRIDType(value=bytes.fromhex(mrid)),
            status=1,
        )
    )


@pytest.mark.parametrize(
    "path",
    [
        "/edev/{victim}",
        "/edev/{victim}/fsa",
        "/edev/{victim}/fsa/{vgroup}",
        "/edev/{victim}/fsa/{vgroup}/derp",
        "/edev/{victim}/derp/{vprog}",
        "/edev/{victim}/derp/{vprog}/derc",
        "/edev/{victim}/der",
        "/edev/{victim}/der/1/ders",
        "/edev/{victim}/lel",
        "/edev/{victim}/di",
        "/edev/{victim}/cp",
        "/edev/{victim}/rg",
    ],
)
async def test_device_cannot_read_another_devices_resources(
    sep2_server: Sep2Server, path: str
) -> None:
    """Another device's resources answer 404 with an Error body, like absent ones."""
    srv = sep2_server
    enroll(srv, "snoop")
    victim = enroll(srv, "victim")
    url = path.format(victim=victim.device_id, vgroup=victim.group_id, vprog=victim.program_id)
    response = await srv.client("snoop").get(url)
    assert response.status_code == 404
    error_reason(response)


async def test_device_cannot_read_a_program_its_groups_do_not_link(
    sep2_server: Sep2Server,
) -> None:
    """Own EndDevice in the path, but a program of another group: 404."""
    srv = sep2_server
    me = enroll(srv, "curious")
    other = enroll(srv, "other-group")
    schedule_control(srv, other.program_id)
    client = srv.client("curious")
    for suffix in ("", "/derc", "/actderc", "/dderc", "/dc", "/derc/1"):
        response = await client.get(f"/edev/{me.device_id}/derp/{other.program_id}{suffix}")
        assert response.status_code == 404, suffix
    response = await client.get(f"/edev/{me.device_id}/fsa/{other.group_id}/derp")
    assert response.status_code == 404


async def test_device_cannot_put_status_for_another_device(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    enroll(srv, "writer")
    victim = enroll(srv, "target")
    status = body(sep.DERStatus(readingTime=sep.TimeType(value=NOW)))
    response = await srv.client("writer").put(
        f"/edev/{victim.device_id}/der/1/ders", content=status, headers=XML_HEADERS
    )
    assert response.status_code == 404
    assert _count(srv, ClientResourceRow) == 0


async def test_device_cannot_post_log_events_for_another_device(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    enroll(srv, "logger")
    victim = enroll(srv, "logged")
    event = body(
        sep.LogEvent(
            createdDateTime=sep.TimeType(value=NOW),
            functionSet=0,
            logEventCode=1,
            logEventID=1,
            logEventPEN=sep.PENType(value=1),
            profileID=0,
        )
    )
    response = await srv.client("logger").post(
        f"/edev/{victim.device_id}/lel", content=event, headers=XML_HEADERS
    )
    assert response.status_code == 404
    assert _count(srv, LogEventRow) == 0


async def test_device_cannot_respond_on_behalf_of_another(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    enroll(srv, "impostor")
    victim = enroll(srv, "victim-r")
    control = schedule_control(srv, victim.program_id)
    response_body = _received(srv, "victim-r", control.mrid)
    response = await srv.client("impostor").post(
        f"/rsps/{victim.program_id}/rsp", content=response_body, headers=XML_HEADERS
    )
    assert response.status_code in (403, 404)
    assert _count(srv, ControlResponseRow) == 0


async def test_device_cannot_respond_to_a_control_it_does_not_see(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    enroll(srv, "responder")
    other = enroll(srv, "unseen")
    control = schedule_control(srv, other.program_id)
    response_body = _received(srv, "responder", control.mrid)
    response = await srv.client("responder").post(
        f"/rsps/{other.program_id}/rsp", content=response_body, headers=XML_HEADERS
    )
    assert response.status_code == 404
    assert _count(srv, ControlResponseRow) == 0


async def test_device_cannot_mirror_another_devices_meter(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    enroll(srv, "mirror-thief")
    enroll(srv, "mirror-owner")
    mup = body(
        sep.MirrorUsagePoint(
            mRID=sep.mRIDType(value=b"\x01" * 16),
            deviceLFDI=bytes.fromhex(srv.identity("mirror-owner").lfdi),
            roleFlags=sep.RoleFlagsType(value=b"\x00\x03"),
            serviceCategoryKind=sep.ServiceKind(value=0),
            status=1,
        )
    )
    response = await srv.client("mirror-thief").post("/mup", content=mup, headers=XML_HEADERS)
    assert response.status_code == 403


async def test_unregistered_certificate_sees_no_end_device(sep2_server: Sep2Server) -> None:
    """A valid certificate of the PKI that nobody registered reaches no EndDevice."""
    srv = sep2_server
    victim = enroll(srv, "registered")
    response = await srv.client("unregistered").get(f"/edev/{victim.device_id}")
    assert response.status_code == 404
