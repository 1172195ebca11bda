"""LogEvent function set: each EndDevice's LogEventList."""

from __future__ import annotations

from quart import Blueprint, Response

from openderms.schemas.sep2 import models as sep
from openderms.server import uris
from openderms.server.sep2.request import (
    call_service,
    created,
    decode_body,
    page,
    request_scope,
    service_context,
    xml_response,
)
from openderms.server.services import log_event as service

__all__ = ["blueprint"]

blueprint = Blueprint("log_event", __name__)


@blueprint.get(uris.LOG_EVENT_LIST.rule)
async def log_event_list(edev_id: int) -> Response:
    scope = request_scope()
    return xml_response(
        await call_service(service.list_log_events, service_context(), scope, edev_id, page())
    )


@blueprint.post(uris.LOG_EVENT_LIST.rule)
async def post_log_event(edev_id: int) -> Response:
    scope = request_scope()
    body = await decode_body(sep.LogEvent)
    href = await call_service(service.post_log_event, service_context(), scope, edev_id, body)
    return created(href)


@blueprint.get(uris.LOG_EVENT.rule)
async def log_event(edev_id: int, log_id: int) -> Response:
    scope = request_scope()
    return xml_response(await call_service(service.get_log_event, scope, edev_id, log_id))
