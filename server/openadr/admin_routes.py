"""Admin API operations for the VTN's OAuth2 clients (utility tokens only).

``POST /openadr/clients`` makes a client and shows its secret once; ``GET`` lists them;
``POST /openadr/clients/<client_id>/disable`` stops the client and its tokens at once.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from openderms.server.admin.errors import (
    AdminBadRequestError,
    AdminConflictError,
    AdminNotFoundError,
)
from openderms.server.admin.routes import AdminCall, AdminRoute
from openderms.server.openadr import auth
from openderms.server.openadr.errors import OadrConflictError, OadrError, OadrNotFoundError
from openderms.server.openadr.scopes import Role, parse_scopes
from openderms.server.store.models.openadr import OadrClientRow

__all__ = ["OPENADR_ADMIN_ROUTES", "CreateOadrClientBody"]


class CreateOadrClientBody(BaseModel):
    """A new VTN client: business logic (``bl``) or a VEN (``ven``)."""

    model_config = ConfigDict(extra="forbid")

    client_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")
    role: Literal["bl", "ven"]
    #: Scopes instead of the role's (space-separated OAuth2 scope names).
    scopes: str | None = Field(default=None, max_length=1000)
    token_lifetime_s: int = Field(default=auth.DEFAULT_TOKEN_LIFETIME_S, gt=0, le=30 * 86400)


def _client_json(row: OadrClientRow) -> dict[str, Any]:
    return {
        "client_id": row.client_id,
        "role": row.role,
        "scopes": row.scopes.split(),
        "token_lifetime_s": row.token_lifetime_s,
        "disabled": row.disabled_at is not None,
    }


def _admin_error(exc: OadrError) -> Exception:
    if isinstance(exc, OadrConflictError):
        return AdminConflictError(exc.detail)
    if isinstance(exc, OadrNotFoundError):
        return AdminNotFoundError(exc.detail)
    return AdminBadRequestError(exc.detail)


def create_client(session: Session, call: AdminCall) -> Any:
    body = call.body
    assert isinstance(body, CreateOadrClientBody)
    try:
        scopes = None if body.scopes is None else parse_scopes(body.scopes)
    except ValueError as exc:
        raise AdminBadRequestError(f"unknown scope: {exc}") from exc
    try:
        issued = auth.create_client(
            session,
            client_id=body.client_id,
            role=Role(body.role),
            scopes=scopes,
            token_lifetime_s=body.token_lifetime_s,
            now=float(call.ctx.now),
        )
    except OadrError as exc:
        raise _admin_error(exc) from exc
    call.made["client_id"] = issued.client_id
    return {
        "client_id": issued.client_id,
        "client_secret": issued.client_secret,
        "role": issued.role.value,
        "scopes": sorted(issued.scopes),
        "token_lifetime_s": issued.token_lifetime_s,
    }


def list_clients(session: Session, call: AdminCall) -> Any:
    return [_client_json(row) for row in auth.list_clients(session)]


def disable_client(session: Session, call: AdminCall) -> Any:
    try:
        row = auth.disable_client(session, str(call.params["client_id"]), now=call.ctx.now)
    except OadrError as exc:
        raise _admin_error(exc) from exc
    return _client_json(row)


OPENADR_ADMIN_ROUTES: tuple[AdminRoute, ...] = (
    AdminRoute(
        "POST",
        "/openadr/clients",
        "createOpenAdrClient",
        "Make an OpenADR VTN client (OAuth2 client credentials; the secret is shown once)",
        create_client,
        body=CreateOadrClientBody,
        utility_only=True,
        changes=True,
        status=201,
        tag="openadr",
    ),
    AdminRoute(
        "GET",
        "/openadr/clients",
        "listOpenAdrClients",
        "The OpenADR VTN's clients",
        list_clients,
        utility_only=True,
        tag="openadr",
    ),
    AdminRoute(
        "POST",
        "/openadr/clients/<client_id>/disable",
        "disableOpenAdrClient",
        "Disable an OpenADR client (its tokens stop working at once)",
        disable_client,
        utility_only=True,
        changes=True,
        tag="openadr",
    ),
)
