"""FunctionSetAssignments function set (a device's groups)."""

from __future__ import annotations

from quart import Blueprint, Response

from openderms.server.sep2.request import (
    call_service,
    page,
    request_scope,
    service_context,
    xml_response,
)
from openderms.server.services import derp as service

__all__ = ["blueprint"]

blueprint = Blueprint("fsa", __name__)


@blueprint.get("/edev/<int:edev_id>/fsa")
async def fsa_list(edev_id: int) -> Response:
    scope = request_scope()
    return xml_response(
        await call_service(service.list_fsas, service_context(), scope, edev_id, page())
    )


@blueprint.get("/edev/<int:edev_id>/fsa/<int:fsa_id>")
async def fsa(edev_id: int, fsa_id: int) -> Response:
    scope = request_scope()
    return xml_response(await call_service(service.get_fsa, scope, edev_id, fsa_id))


@blueprint.get("/edev/<int:edev_id>/fsa/<int:fsa_id>/derp")
async def fsa_program_list(edev_id: int, fsa_id: int) -> Response:
    scope = request_scope()
    return xml_response(
        await call_service(
            service.list_fsa_programs, service_context(), scope, edev_id, fsa_id, page()
        )
    )
