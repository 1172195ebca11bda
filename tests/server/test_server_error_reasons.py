"""Error bodies carry the reasonCode 2030.5 defines for the mistake (issue 11 item 15).

sep.xsd ``Error.reasonCode``: 0 invalid request format, 1 invalid request values,
2 resource limit reached, 3 conditional subscription field not supported, 4 maximum
request frequency exceeded (this server has no request-rate limit, so 4 is never sent).
"""

from __future__ import annotations

from openderms.schemas.sep2 import models as sep
from openderms.server.services import subscriptions
from openderms.testing.head_end import XML_HEADERS, Sep2Server, body, enroll, error_reason


def _subscription(href: str, **extra: object) -> bytes:
    return body(
        sep.Subscription(
            subscribedResource=href,
            encoding=0,
            level="+S1",
            limit=5,
            notificationURI="https://127.0.0.1:9/notify",
            **extra,  # type: ignore[arg-type]
        )
    )


async def test_malformed_body_is_reason_0_and_bad_value_reason_1(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    e = enroll(srv, "reasons")
    client = srv.client("reasons")
    malformed = await client.post(
        f"/edev/{e.device_id}/sub", content=b"<Subscription", headers=XML_HEADERS
    )
    assert (malformed.status_code, error_reason(malformed)) == (400, 0)
    https_only = body(
        sep.Subscription(
            subscribedResource=f"/edev/{e.device_id}/fsa",
            encoding=0,
            level="+S1",
            limit=5,
            notificationURI="http://127.0.0.1:9/notify",
        )
    )
    bad_value = await client.post(
        f"/edev/{e.device_id}/sub", content=https_only, headers=XML_HEADERS
    )
    assert (bad_value.status_code, error_reason(bad_value)) == (400, 1)


async def test_conditional_subscription_is_reason_3(sep2_server: Sep2Server) -> None:
    srv = sep2_server
    e = enroll(srv, "conditional")
    condition = sep.Condition(attributeIdentifier=0, lowerThreshold=0, upperThreshold=10)
    response = await srv.client("conditional").post(
        f"/edev/{e.device_id}/sub",
        content=_subscription(f"/edev/{e.device_id}/fsa", Condition=condition),
        headers=XML_HEADERS,
    )
    assert (response.status_code, error_reason(response)) == (400, 3)


async def test_too_many_subscriptions_is_reason_2(
    sep2_server: Sep2Server, monkeypatch: object
) -> None:
    srv = sep2_server
    e = enroll(srv, "greedy")
    monkeypatch.setattr(subscriptions, "MAX_SUBSCRIPTIONS_PER_DEVICE", 1)  # type: ignore[attr-defined]
    client = srv.client("greedy")
    first = await client.post(
        f"/edev/{e.device_id}/sub",
        content=_subscription(f"/edev/{e.device_id}/fsa"),
        headers=XML_HEADERS,
    )
    assert first.status_code == 201
    second = await client.post(
        f"/edev/{e.device_id}/sub",
        content=_subscription(f"/edev/{e.device_id}/derp/{e.program_id}/derc"),
        headers=XML_HEADERS,
    )
    assert (second.status_code, error_reason(second)) == (400, 2)
