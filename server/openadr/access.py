"""Who may read and write what: the scope checks and the privacy rule of the VTN.

See `openderms.server.openadr.objects` for the rule in words.
"""

from __future__ import annotations

from sqlmodel import Session

from openderms.server.openadr.errors import OadrForbiddenError
from openderms.server.openadr.kinds import Kind
from openderms.server.openadr.scopes import Principal, parse_scopes
from openderms.server.store.crud import openadr as crud
from openderms.server.store.crud.openadr import EVERYTHING, Visibility

__all__ = ["check_write", "principal_of_client", "visibility_for"]


def visibility_for(session: Session, principal: Principal, kind: Kind) -> Visibility:
    """What `principal` may read of `kind` (403 without the read scope)."""
    if principal.reads_all:
        return EVERYTHING
    if not principal.has(kind.read_scope):
        raise OadrForbiddenError(f"reading {kind.collection} needs {kind.read_scope.value}")
    if kind.owned:
        return Visibility(owner=principal.client_id)
    targets = crud.select_ven_targets_of_client(session, principal.client_id)
    return Visibility(targets=targets, program_targets=kind.object_type == "EVENT")


def check_write(principal: Principal, kind: Kind) -> None:
    if not principal.has(kind.write_scope):
        raise OadrForbiddenError(f"writing {kind.collection} needs {kind.write_scope.value}")


def principal_of_client(session: Session, client_id: str) -> Principal | None:
    """The principal a client would be with all its scopes (None if gone or disabled)."""
    row = crud.select_client(session, client_id)
    if row is None or row.disabled_at is not None:
        return None
    return Principal(client_id=client_id, scopes=parse_scopes(row.scopes))
