"""DER program function set: DERProgram, DERControlList, ActiveDERControlList,
DefaultDERControl, DERCurveList."""

from __future__ import annotations

from quart import Blueprint, Response

from openderms.server import uris
from openderms.server.sep2.request import (
    call_service,
    page,
    request_scope,
    service_context,
    state,
    xml_response,
)
from openderms.server.services import derp as service

__all__ = ["blueprint"]

blueprint = Blueprint("derp", __name__)


@blueprint.get(uris.DER_PROGRAM.rule)
async def der_program(edev_id: int, derp_id: int) -> Response:
    scope = request_scope()
    return xml_response(
        await call_service(service.get_der_program, service_context(), scope, edev_id, derp_id)
    )


@blueprint.get(uris.DER_CONTROL_LIST.rule)
async def der_control_list(edev_id: int, derp_id: int) -> Response:
    """The poll hot path: served from the per-process cache when still current."""
    scope = request_scope()
    ctx = service_context()
    wanted = page()
    cache = state().poll_cache
    key = (scope.lfdi, edev_id, derp_id, wanted)
    cached = cache.get(key, ctx.now)
    if cached is not None:
        version = await call_service(service.der_control_list_version, scope, edev_id, derp_id)
        if version == cached.version:
            return xml_response(cached.body)
    snapshot = await call_service(
        service.der_control_list_snapshot, ctx, scope, edev_id, derp_id, wanted
    )
    cache.put(key, snapshot)
    return xml_response(snapshot.body)


@blueprint.get(uris.DER_CONTROL.rule)
async def der_control(edev_id: int, derp_id: int, derc_id: int) -> Response:
    scope = request_scope()
    return xml_response(
        await call_service(
            service.get_der_control, service_context(), scope, edev_id, derp_id, derc_id
        )
    )


@blueprint.get(uris.ACTIVE_DER_CONTROL_LIST.rule)
async def active_der_control_list(edev_id: int, derp_id: int) -> Response:
    scope = request_scope()
    return xml_response(
        await call_service(
            service.list_active_der_controls, service_context(), scope, edev_id, derp_id, page()
        )
    )


@blueprint.get(uris.DEFAULT_DER_CONTROL.rule)
async def default_der_control(edev_id: int, derp_id: int) -> Response:
    scope = request_scope()
    return xml_response(
        await call_service(
            service.get_default_der_control, service_context(), scope, edev_id, derp_id
        )
    )


@blueprint.get(uris.DER_CURVE_LIST.rule)
async def der_curve_list(edev_id: int, derp_id: int) -> Response:
    scope = request_scope()
    return xml_response(
        await call_service(service.list_der_curves, scope, edev_id, derp_id, page())
    )


@blueprint.get(uris.DER_CURVE.rule)
async def der_curve(edev_id: int, derp_id: int, curve_id: int) -> Response:
    scope = request_scope()
    return xml_response(
        await call_service(service.get_der_curve, scope, edev_id, derp_id, curve_id)
    )
