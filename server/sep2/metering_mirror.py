"""MirrorUsagePoint function set: mirrors and their readings (single and batched)."""

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
from openderms.server.services import metering_mirror as service

__all__ = ["blueprint"]

blueprint = Blueprint("metering_mirror", __name__)


@blueprint.get(uris.MIRROR_USAGE_POINT_LIST.rule)
async def mirror_usage_point_list() -> Response:
    scope = request_scope()
    return xml_response(
        await call_service(service.list_mirror_usage_points, service_context(), scope, page())
    )


@blueprint.post(uris.MIRROR_USAGE_POINT_LIST.rule)
async def post_mirror_usage_point() -> Response:
    scope = request_scope()
    body = await decode_body(sep.MirrorUsagePoint)
    href, _ = await call_service(service.post_mirror_usage_point, service_context(), scope, body)
    return created(href)


@blueprint.get(uris.MIRROR_USAGE_POINT.rule)
async def mirror_usage_point(mup_id: int) -> Response:
    scope = request_scope()
    return xml_response(
        await call_service(service.get_mirror_usage_point, service_context(), scope, mup_id)
    )


@blueprint.post(uris.MIRROR_USAGE_POINT.rule)
async def post_mirror_readings(mup_id: int) -> Response:
    scope = request_scope()
    body = await decode_body((sep.MirrorMeterReading, sep.MirrorMeterReadingList))
    href = await call_service(service.post_mirror_readings, service_context(), scope, mup_id, body)
    return created(href)
