"""Subscription function set: ``/edev/{id}/sub`` (IEEE 2030.5-2018 §12.8)."""

from __future__ import annotations

from quart import Blueprint, Response

from openderms.schemas.sep2 import models as sep
from openderms.server import uris
from openderms.server.sep2.request import (
    call_service,
    created,
    decode_body,
    no_content,
    page,
    request_scope,
    service_context,
    xml_response,
)
from openderms.server.services import subscriptions as service

__all__ = ["blueprint"]

blueprint = Blueprint("subscription", __name__)


@blueprint.get(uris.SUBSCRIPTION_LIST.rule)
async def subscription_list(edev_id: int) -> Response:
    scope = request_scope()
    return xml_response(
        await call_service(service.list_subscriptions, service_context(), scope, edev_id, page())
    )


@blueprint.post(uris.SUBSCRIPTION_LIST.rule)
async def post_subscription(edev_id: int) -> Response:
    scope = request_scope()
    body = await decode_body(sep.Subscription)
    href = await call_service(service.create_subscription, service_context(), scope, edev_id, body)
    return created(href)


@blueprint.get(uris.SUBSCRIPTION.rule)
async def subscription(edev_id: int, sub_id: int) -> Response:
    scope = request_scope()
    return xml_response(await call_service(service.get_subscription, scope, edev_id, sub_id))


@blueprint.delete(uris.SUBSCRIPTION.rule)
async def delete_subscription(edev_id: int, sub_id: int) -> Response:
    scope = request_scope()
    await call_service(service.delete_subscription, scope, edev_id, sub_id)
    return no_content()
