"""EndDevice function set: EndDeviceList, EndDevice, Registration, DeviceInformation,
and the CSIP-AUS ConnectionPoint."""

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
from openderms.server.services import end_device as service

__all__ = ["blueprint"]

blueprint = Blueprint("end_device", __name__)


@blueprint.get(uris.END_DEVICE_LIST.rule)
async def end_device_list() -> Response:
    scope = request_scope()
    return xml_response(
        await call_service(service.list_end_devices, service_context(), scope, page())
    )


@blueprint.post(uris.END_DEVICE_LIST.rule)
async def register_end_device() -> Response:
    """In-band registration (a device registers itself; an aggregator its devices)."""
    scope = request_scope()
    body = await decode_body(sep.EndDevice)
    href, _ = await call_service(
        service.register_end_device_in_band, service_context(), scope, body
    )
    return created(href)


@blueprint.get(uris.END_DEVICE.rule)
async def end_device(edev_id: int) -> Response:
    scope = request_scope()
    return xml_response(
        await call_service(service.get_end_device, service_context(), scope, edev_id)
    )


@blueprint.get(uris.REGISTRATION.rule)
async def registration(edev_id: int) -> Response:
    scope = request_scope()
    return xml_response(
        await call_service(service.get_registration, service_context(), scope, edev_id)
    )


@blueprint.get(uris.DEVICE_INFORMATION.rule)
async def device_information(edev_id: int) -> Response:
    scope = request_scope()
    return xml_response(await call_service(service.get_device_information, scope, edev_id))


@blueprint.put(uris.DEVICE_INFORMATION.rule)
async def put_device_information(edev_id: int) -> Response:
    scope = request_scope()
    body = await decode_body(sep.DeviceInformation)
    await call_service(service.put_device_information, service_context(), scope, edev_id, body)
    return no_content()


@blueprint.get(uris.CONNECTION_POINT.rule)
async def connection_point(edev_id: int) -> Response:
    scope = request_scope()
    return xml_response(await call_service(service.get_connection_point, scope, edev_id))


@blueprint.route(uris.CONNECTION_POINT.rule, methods=["PUT", "POST"])
async def put_connection_point(edev_id: int) -> Response:
    """CSIP-AUS: the client reports its site's connection point id (NMI).

    201 Created with its Location when first set (RFC 9110 §9.3.4: a PUT that creates),
    204 with the Location after; clients read the Location either way (issue 11 item 7).
    """
    scope = request_scope()
    body = await decode_body(sep.ConnectionPoint)
    href, first = await call_service(
        service.put_connection_point, service_context(), scope, edev_id, body
    )
    if first:
        return created(href)
    response = no_content()
    response.headers["Location"] = href
    return response
