"""DeviceCapability (``/dcap``) and Time (``/tm``) function sets."""

from __future__ import annotations

from quart import Blueprint, Response

from openderms.server import uris
from openderms.server.sep2.request import (
    call_service,
    request_scope,
    service_context,
    xml_response,
)
from openderms.server.services.dcap import get_device_capability, get_time

__all__ = ["blueprint"]

blueprint = Blueprint("dcap", __name__)


@blueprint.get(uris.DEVICE_CAPABILITY.rule)
async def device_capability() -> Response:
    request_scope()  # any verified certificate may start the walk
    return xml_response(await call_service(get_device_capability, service_context()))


@blueprint.get(uris.TIME_RESOURCE.rule)
async def time_resource() -> Response:
    request_scope()
    return xml_response(await call_service(get_time, service_context()))
