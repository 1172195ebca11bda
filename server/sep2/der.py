"""DER function set: DERList, DER and the client-PUT DERCapability, DERSettings,
DERStatus, DERAvailability (history kept)."""

from __future__ import annotations

from quart import Blueprint, Response

from openderms.server import uris
from openderms.server.errors import NotFoundError
from openderms.server.sep2.request import (
    call_service,
    decode_body,
    no_content,
    page,
    request_scope,
    service_context,
    xml_response,
)
from openderms.server.services import der as service

__all__ = ["blueprint"]

blueprint = Blueprint("der", __name__)


@blueprint.get(uris.DER_LIST.rule)
async def der_list(edev_id: int) -> Response:
    scope = request_scope()
    return xml_response(
        await call_service(service.get_der_list, service_context(), scope, edev_id, page())
    )


@blueprint.get(uris.DER.rule)
async def der(edev_id: int, der_id: int) -> Response:
    scope = request_scope()
    return xml_response(await call_service(service.get_der, scope, edev_id, der_id))


def _resource_class(segment: str) -> type:
    cls = service.DER_RESOURCES.get(segment)
    if cls is None:
        raise NotFoundError(f"no DER resource {segment!r}")
    return cls


@blueprint.get(uris.DER.rule + "/<segment>")
async def der_resource(edev_id: int, der_id: int, segment: str) -> Response:
    scope = request_scope()
    _resource_class(segment)
    return xml_response(
        await call_service(service.get_der_resource, scope, edev_id, der_id, segment)
    )


@blueprint.put(uris.DER.rule + "/<segment>")
async def put_der_resource(edev_id: int, der_id: int, segment: str) -> Response:
    scope = request_scope()
    body = await decode_body(_resource_class(segment))
    await call_service(service.put_der_resource, service_context(), scope, edev_id, der_id, body)
    return no_content()
