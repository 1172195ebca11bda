"""Response function set: clients POST Responses to a control's ``replyTo``."""

from __future__ import annotations

from quart import Blueprint, Response

from openderms.schemas.sep2 import models as sep
from openderms.server import uris
from openderms.server.sep2.request import (
    call_service,
    created,
    decode_body,
    request_scope,
    service_context,
    xml_response,
)
from openderms.server.services import response as service

__all__ = ["blueprint"]

blueprint = Blueprint("response", __name__)


@blueprint.post(uris.RESPONSE_LIST.rule)
async def post_response(rsps_id: int) -> Response:
    scope = request_scope()
    body = await decode_body(sep.Response)
    href = await call_service(service.post_response, service_context(), scope, rsps_id, body)
    return created(href)


@blueprint.get(uris.RESPONSE.rule)
async def response(rsps_id: int, rsp_id: int) -> Response:
    scope = request_scope()
    return xml_response(await call_service(service.get_response, scope, rsps_id, rsp_id))
