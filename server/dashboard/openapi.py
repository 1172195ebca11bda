"""The OpenAPI 3.1 section of the dashboard's JSON and CSV endpoints (``/dashboard/api/...``).

The admin API documents itself from its route table (`openderms.server.admin.openapi`);
the dashboard is a separate app on the same listener, so it serves its own small document
at ``/dashboard/api/openapi.json`` with the same bearer scheme.
"""

from __future__ import annotations

from typing import Any

from openderms import __version__

__all__ = ["dashboard_openapi"]

_TIME = {"type": "string", "description": "epoch seconds or ISO 8601 (UTC when no offset)"}
_RANGE = [
    {"name": "since", "in": "query", "schema": _TIME},
    {"name": "until", "in": "query", "schema": _TIME},
    {
        "name": "window_s",
        "in": "query",
        "schema": {"type": "integer", "minimum": 60, "maximum": 366 * 86400},
        "description": "window back from until (default 86400) [s]",
    },
]
_LFDI_PATH = {
    "name": "lfdi",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9A-Fa-f]{40}$"},
}
_LFDI_QUERY = {**_LFDI_PATH, "in": "query", "required": False}


def _int(name: str, low: int, high: int, default: int) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "schema": {"type": "integer", "minimum": low, "maximum": high, "default": default},
    }


def _get(
    operation_id: str, summary: str, parameters: list[dict[str, Any]], media: str
) -> dict[str, Any]:
    error = {"$ref": "#/components/schemas/Error"}
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "tags": ["dashboard"],
            "security": [{"bearerAuth": []}, {"sessionCookie": []}],
            "parameters": parameters,
            "responses": {
                "200": {"description": "success", "content": {media: {}}},
                "400": {
                    "description": "a parameter is malformed or out of range",
                    "content": {"application/json": {"schema": error}},
                },
                "401": {
                    "description": "no valid token or session",
                    "content": {"application/json": {"schema": error}},
                },
            },
        }
    }


def dashboard_openapi() -> dict[str, Any]:
    """The OpenAPI document of ``/dashboard/api`` and ``/dashboard/export``."""
    json_media, csv_media = "application/json", "text/csv"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "openderms dashboard API",
            "version": __version__,
            "description": (
                "Read-only views of the fleet behind the operator dashboard. Authenticate "
                "with an admin token (`Authorization: Bearer <token>`); aggregator tokens "
                "see only their aggregator's devices."
            ),
        },
        "servers": [{"url": "/dashboard"}],
        "paths": {
            "/api/fleet": _get(
                "dashboardFleet",
                "Every device with last contact, latest DERStatus, active control, site power",
                [
                    _int("start", 0, 10**9, 0),
                    _int("limit", 1, 500, 100),
                    {
                        "name": "q",
                        "in": "query",
                        "schema": {"type": "string", "pattern": "^[0-9A-Fa-f]{0,40}$"},
                        "description": "only devices whose LFDI starts with these hex digits",
                    },
                    _int("group", 0, 2**31 - 1, 0),
                ],
                json_media,
            ),
            "/api/devices/{lfdi}": _get(
                "dashboardDevice",
                "A device: DER resources with history, telemetry, controls, responses, logs",
                [_LFDI_PATH, *_RANGE, _int("history", 1, 200, 20)],
                json_media,
            ),
            "/api/programs": _get(
                "dashboardPrograms",
                "Programs by primacy with their controls' EventStatus and default control",
                [_int("controls", 1, 500, 50)],
                json_media,
            ),
            "/api/energy": _get(
                "dashboardEnergy",
                "Site import/export energy over a window and fleet site power over time",
                [*_RANGE, _int("buckets", 1, 1000, 96)],
                json_media,
            ),
            "/export/telemetry.csv": _get(
                "dashboardExportTelemetry",
                "Mirror readings of one device (lfdi) or the fleet in a time range",
                [_LFDI_QUERY, *_RANGE, _int("limit", 1, 100_000, 10_000)],
                csv_media,
            ),
            "/export/responses.csv": _get(
                "dashboardExportResponses",
                "Responses to controls received in a time range",
                [_LFDI_QUERY, *_RANGE, _int("limit", 1, 100_000, 10_000)],
                csv_media,
            ),
        },
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
                }
            },
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "openderms_dashboard"},
            },
        },
    }
