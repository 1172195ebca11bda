"""The admin API quart app: authentication, validation, errors and audit around ROUTES.

Run it beside the 2030.5 app on its own listener (``openderms server --admin-listen``),
over server-authenticated TLS (see `admin_ssl_context`). Every route, the OpenAPI document
included, needs a bearer token.
"""

from __future__ import annotations

import json
import logging
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from quart import Quart, Response, request
from sqlmodel import Session
from werkzeug.exceptions import HTTPException

from openderms.server.admin.errors import (
    AdminBadRequestError,
    AdminError,
    AdminForbiddenError,
)
from openderms.server.admin.openapi import OPENAPI_PATH, build_openapi
from openderms.server.admin.routes import ROUTES as SEP2_ROUTES
from openderms.server.admin.routes import AdminCall, AdminRoute
from openderms.server.admin.tokens import Principal, authenticate
from openderms.server.changes import ChangeSink, NullChangeSink
from openderms.server.clock import utc_now_s
from openderms.server.config import ServerSettings
from openderms.server.errors import ServerError
from openderms.server.openadr.admin_routes import OPENADR_ADMIN_ROUTES
from openderms.server.scope import ServiceContext
from openderms.server.store.admin import insert_audit_record
from openderms.server.store.db import Store
from openderms.server.store.errors import StoreUnavailableError
from openderms.server.url_ids import use_row_ids

__all__ = [
    "DISPATCHER_KEY",
    "MAX_BODY_BYTES",
    "AdminDispatcher",
    "AdminOutcome",
    "admin_dispatcher",
    "admin_ssl_context",
    "create_admin_app",
]

logger = logging.getLogger(__name__)

#: Every admin operation: the 2030.5 fleet's and the OpenADR VTN's clients.
ROUTES: tuple[AdminRoute, ...] = SEP2_ROUTES + OPENADR_ADMIN_ROUTES

#: Largest request body [bytes]; bigger is refused with 413 before it is read.
MAX_BODY_BYTES = 64 * 1024
#: Where `create_admin_app` keeps its `AdminDispatcher` (``app.extensions``).
DISPATCHER_KEY = "openderms.admin.dispatcher"
#: Longest request body kept in an audit record [characters].
_AUDIT_BODY_CHARS = 2000


def _json(status: int, payload: Any) -> Response:
    return Response(
        json.dumps(payload, separators=(",", ":")),
        status=status,
        content_type="application/json",
    )


def _error_outcome(exc: AdminError | ServerError) -> AdminOutcome:
    if isinstance(exc, AdminError):
        return AdminOutcome(exc.http_status, {"error": exc.kind, "message": exc.message})
    kind = type(exc).__name__.removesuffix("Error").lower() or "error"
    return AdminOutcome(exc.http_status, {"error": kind, "message": str(exc)})


def _error(exc: AdminError | ServerError) -> Response:
    outcome = _error_outcome(exc)
    return _json(outcome.status, outcome.payload)


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for item in exc.errors()[:10]:
        where = ".".join(str(p) for p in item["loc"]) or "body"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def create_admin_app(
    store: Store,
    *,
    settings: ServerSettings | None = None,
    changes: ChangeSink | None = None,
    clock: Callable[[], int] = utc_now_s,
) -> Quart:
    """Build the admin app.

    Parameters
    ----------
    store
        The head-end database (at schema head).
    settings
        Server settings given to services (defaults when None).
    changes
        The change sink services report to (the notification outbox in a server).
    clock
        Current time [s since the epoch]; the only clock read of the admin API.
    """
    app = Quart("openderms.server.admin")
    use_row_ids(app)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    server_settings = settings or ServerSettings()
    sink: ChangeSink = changes or NullChangeSink()
    openapi_doc = build_openapi(ROUTES)

    async def principal_of_request() -> Principal:
        header = request.headers.get("Authorization")
        return await store.run(
            authenticate, header, now=clock(), lifetime_s=server_settings.admin_token_lifetime_s
        )

    async def serve_openapi() -> Response:
        try:
            await principal_of_request()
        except AdminError as exc:
            return _error(exc)
        return _json(200, openapi_doc)

    app.add_url_rule(OPENAPI_PATH, "getOpenApi", serve_openapi, methods=["GET"])

    dispatcher = AdminDispatcher(store, settings=server_settings, changes=sink, clock=clock)
    app.extensions[DISPATCHER_KEY] = dispatcher

    def make_view(route: AdminRoute) -> Callable[..., Awaitable[Response]]:
        async def view(**params: Any) -> Response:
            try:
                principal = await principal_of_request()
            except AdminError as exc:
                return _error(exc)  # unauthenticated calls are refused, not audited
            data = None
            if route.body is not None:
                read = await request.get_data(as_text=False)
                data = read.encode("utf-8") if isinstance(read, str) else read
            outcome = await dispatcher.execute(
                route,
                principal,
                params=params,
                query=dict(request.args),
                data=data,
                path=request.path,
            )
            return _json(outcome.status, outcome.payload)

        view.__name__ = route.operation_id
        return view

    for route in ROUTES:
        app.add_url_rule(route.path, route.operation_id, make_view(route), methods=[route.method])

    @app.errorhandler(413)
    async def too_large(_error_: Exception) -> Response:
        return _json(
            413,
            {"error": "too_large", "message": f"the body exceeds {MAX_BODY_BYTES} bytes"},
        )

    @app.errorhandler(404)
    async def not_found(_error_: Exception) -> Response:
        return _json(404, {"error": "not_found", "message": "no such admin API route"})

    @app.errorhandler(405)
    async def wrong_method(error: Exception) -> Response:
        response = _json(
            405, {"error": "method_not_allowed", "message": "method not allowed here"}
        )
        allowed = getattr(error, "valid_methods", None)  # werkzeug's MethodNotAllowed
        if allowed:
            response.headers["Allow"] = ", ".join(sorted(allowed))  # RFC 9110 §15.5.6
        return response

    @app.errorhandler(HTTPException)
    async def other_http_error(error: HTTPException) -> Response:
        status = error.code or 500
        return _json(status, {"error": "http_error", "message": error.name})

    @app.errorhandler(StoreUnavailableError)
    async def store_unavailable(error: StoreUnavailableError) -> Response:
        response = _json(503, {"error": "unavailable", "message": str(error)})
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    async def internal_error(error: Exception) -> Response:
        # Never quart's HTML page: a JSON body like every other answer, and one log line.
        logger.error("admin API: unexpected %s: %s", type(error).__name__, error)
        return _json(500, {"error": "internal_error", "message": "unexpected server error"})

    return app


@dataclass(frozen=True)
class AdminOutcome:
    """What one admin operation answered: HTTP status and JSON payload."""

    status: int
    payload: Any

    @property
    def ok(self) -> bool:
        return self.status < 400


class AdminDispatcher:
    """Runs one admin operation for an authenticated principal: scope, validation, audit.

    The admin API's routes and the dashboard's forms both go through `execute`, so a change
    made from the dashboard follows the same rules and leaves the same audit record as one
    made through the API.
    """

    def __init__(
        self,
        store: Store,
        *,
        settings: ServerSettings,
        changes: ChangeSink,
        clock: Callable[[], int],
    ) -> None:
        self._store = store
        self._settings = settings
        self._changes = changes
        self._clock = clock

    async def execute(
        self,
        route: AdminRoute,
        principal: Principal,
        *,
        params: Mapping[str, Any],
        query: Mapping[str, str],
        data: bytes | None,
        path: str,
    ) -> AdminOutcome:
        """Run ``route`` with a JSON body ``data`` (routes with a body) as ``principal``."""
        raw: Any = None
        try:
            if route.utility_only and not principal.is_utility:
                raise AdminForbiddenError(f"{route.operation_id} needs a utility token")
            body = None
            if route.body is not None:
                try:
                    raw = json.loads(data or b"null")
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    raise AdminBadRequestError(f"the body is not JSON: {exc}") from None
                if not isinstance(raw, dict):
                    raise AdminBadRequestError("the body must be a JSON object")
                try:
                    body = route.body.model_validate(raw)
                except ValidationError as exc:
                    raise AdminBadRequestError(_validation_message(exc)) from None
            call = AdminCall(
                principal=principal,
                ctx=ServiceContext(
                    now=self._clock(), settings=self._settings, changes=self._changes
                ),
                params=params,
                query=query,
                body=body,
            )
            # The change, its outbox rows and its audit row: one transaction.
            result = await self._store.run(_handle_and_audit, route, call, raw, path)
            return AdminOutcome(route.status, result)
        except (AdminError, ServerError) as exc:
            outcome = _error_outcome(exc)
            error_text = str(exc)
        if route.changes:  # the change rolled back; the refusal is audited alone
            await self._store.run(
                _audit,
                principal,
                route,
                status_code=outcome.status,
                raw_body=raw,
                made={},  # rolled back: nothing was made
                error=error_text,
                path=path,
                now=self._clock(),
            )
        return outcome


def admin_dispatcher(admin_app: Any) -> AdminDispatcher:
    """The dispatcher of an app made by `create_admin_app` (for the dashboard's forms)."""
    dispatcher = getattr(admin_app, "extensions", {}).get(DISPATCHER_KEY)
    if not isinstance(dispatcher, AdminDispatcher):
        raise TypeError("not an admin app made by create_admin_app")
    return dispatcher


def _handle_and_audit(
    session: Session, route: AdminRoute, call: AdminCall, raw_body: Any, path: str
) -> Any:
    result = route.handler(session, call)
    if route.changes:
        _audit(
            session,
            call.principal,
            route,
            status_code=route.status,
            raw_body=raw_body,
            made=call.made,
            error=None,
            path=path,
            now=call.ctx.now,
        )
    return result


def _audit(
    session: Session,
    principal: Principal,
    route: AdminRoute,
    *,
    status_code: int,
    raw_body: Any,
    made: dict[str, Any],
    error: str | None,
    path: str,
    now: int,
) -> None:
    body_text = json.dumps(raw_body, separators=(",", ":"), default=str)
    summary: dict[str, Any] = {"body": body_text[:_AUDIT_BODY_CHARS]}
    if made:
        summary["made"] = made
    if error:
        summary["error"] = error[:500]
    insert_audit_record(
        session,
        now=now,
        token_id=principal.token_id,
        actor=principal.name,
        role=principal.role.value,
        action=route.operation_id,
        method=route.method,
        path=path,
        status_code=status_code,
        summary=summary,
    )


def admin_ssl_context(cert: Path, key: Path) -> ssl.SSLContext:
    """Server-authenticated TLS (1.2+) for the admin listener.

    Admin clients are people and scripts holding bearer tokens, not 2030.5 devices, so no
    client certificate is asked for; they verify the server against its CA (``--ca``).
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile=cert, keyfile=key)
    return context
