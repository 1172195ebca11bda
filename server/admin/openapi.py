"""The OpenAPI 3.1 document of the admin API, generated from the route table.

Generated, not hand-written, so it cannot drift: a route exists in the app if and only if
it is in ``ROUTES``, and this module describes exactly ``ROUTES`` (plus ``/openapi.json``
itself). Body schemas come from the pydantic models the app validates with.
"""

from __future__ import annotations

import re
from typing import Any

from openderms import __version__
from openderms.server.admin.routes import MAX_PAGE, AdminRoute
from openderms.server.url_ids import MAX_ROW_ID

__all__ = ["OPENAPI_PATH", "build_openapi", "openapi_path"]

OPENAPI_PATH = "/openapi.json"
_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")

_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}


def openapi_path(rule: str) -> str:
    """``/groups/<int:group_id>`` -> ``/groups/{group_id}``."""
    return _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", rule)


#: The paging parameters the routes take (see `openderms.server.admin.routes`).
_QUERY_SCHEMAS: dict[str, dict[str, Any]] = {
    "start": {"type": "integer", "minimum": 0, "maximum": MAX_ROW_ID},
    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
}


#: Body fields naming stored objects: an unknown one is a 404 like an unknown path id.
_REFERENCING_FIELDS = {"group_ids", "lfdis", "lfdi", "program_id"}


def _path_parameters(rule: str) -> list[dict[str, Any]]:
    parameters = []
    for converter, name in _CONVERTER.findall(rule):
        schema: dict[str, Any] = (
            {"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID}
            if converter == "int"
            else {"type": "string"}
        )
        if name == "lfdi":
            schema["pattern"] = "^[0-9A-Fa-f]{40}$"
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return parameters


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _operation(route: AdminRoute, components: dict[str, Any]) -> dict[str, Any]:
    parameters = _path_parameters(route.path) + [
        {"name": name, "in": "query", "required": False, "schema": _QUERY_SCHEMAS[name]}
        for name in route.query
    ]
    responses: dict[str, Any] = {
        str(route.status): {
            "description": "success",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        "401": _error("missing, unknown or revoked bearer token"),
        "403": _error(
            "utility token required" if route.utility_only else "outside the token's scope"
        ),
    }
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "tags": [route.tag],
        "security": [{"bearerAuth": []}],
        "parameters": parameters,
        "responses": responses,
        "x-utility-only": route.utility_only,
        "x-audited": route.changes,
    }
    if route.body is not None:
        schema = route.body.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            components[name] = definition
        components[route.body.__name__] = schema
        operation["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": f"#/components/schemas/{route.body.__name__}"}
                }
            },
        }
        responses["400"] = _error("invalid JSON or a body that breaks the schema")
        responses["413"] = _error("body too large")
    if route.query:
        responses["400"] = _error("a query parameter out of range")
    references = route.body is not None and bool(
        _REFERENCING_FIELDS & set(route.body.model_fields)
    )
    if route.path.count("<") or references:
        responses["404"] = _error("no such object in the token's scope")
    if route.changes:
        responses["409"] = _error("conflicts with stored data")
    return operation


def build_openapi(routes: tuple[AdminRoute, ...]) -> dict[str, Any]:
    """The OpenAPI 3.1 document describing ``routes`` and ``/openapi.json``."""
    components: dict[str, Any] = {"Error": _ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {
        OPENAPI_PATH: {
            "get": {
                "operationId": "getOpenApi",
                "summary": "This document",
                "tags": ["admin"],
                "security": [{"bearerAuth": []}],
                "responses": {
                    "200": {"description": "the OpenAPI document"},
                    "401": _error("missing, unknown or revoked bearer token"),
                },
            }
        }
    }
    for route in routes:
        paths.setdefault(openapi_path(route.path), {})[route.method.lower()] = _operation(
            route, components
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "openderms admin API",
            "version": __version__,
            "description": (
                "Register devices, group them, author DERPrograms, DERControls and "
                "DefaultDERControls, set poll/post rates, and read devices' latest status. "
                "Every call needs `Authorization: Bearer <token>`; aggregator tokens see "
                "only their aggregator's devices. Every change is audited."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearerAuth": []}],
    }
