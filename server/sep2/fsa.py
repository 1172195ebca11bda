"""FunctionSetAssignments function set (a device's groups)."""

from __future__ import annotations

from quart import Blueprint, Response

from openderms.server import uris
from openderms.server.sep2.request import (
    call_service,
    page,
    request_scope,
    service_context,
    xml_response,
)
from openderms.server.services import fsa as service

__all__ = ["blueprint"]

blueprint = Blueprint("fsa", __name__)


@blueprint.get(uris.FSA_LIST.rule)
async def fsa_list(edev_id: int) -> Response:
    scope = request_scope()
    return xml_response(
        await call_service(service.list_fsas, service_context(), scope, edev_id, page())
    )


@blueprint.get(uris.FSA.rule)
async def fsa(edev_id: int, fsa_id: int) -> Response:
    scope = request_scope()
    return xml_response(await call_service(service.get_fsa, scope, edev_id, fsa_id))


@blueprint.get(uris.FSA_PROGRAM_LIST.rule)
async def fsa_program_list(edev_id: int, fsa_id: int) -> Response:
    scope = request_scope()
    return xml_response(
        await call_service(
            service.list_fsa_programs, service_context(), scope, edev_id, fsa_id, page()
        )
    )
