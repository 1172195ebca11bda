"""How a function set's service renders a subscribable resource for a Notification.

Each function-set service with subscribable resources (`openderms.server.uris`,
``subscribable=True``) declares ``RENDERINGS: dict[Resource, Rendering]``;
`openderms.server.services.subscribable` collects them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from openderms.server.scope import Scope, ServiceContext
from openderms.server.store.paging import Page

__all__ = ["AccessCheck", "Renderer", "Rendering"]

#: (session, ctx, the device's own scope, the href's ids (EndDevice first), page) -> resource
Renderer = Callable[[Session, ServiceContext, Scope, tuple[int, ...], Page], object]
#: (session, the caller's scope, the href's ids): raises unless the scope may read it.
AccessCheck = Callable[[Session, Scope, tuple[int, ...]], object]


@dataclass(frozen=True, slots=True)
class Rendering:
    """How one subscribable resource is rendered; ``check`` decides whether a scope may
    subscribe (None: rendering it must succeed)."""

    render: Renderer
    check: AccessCheck | None = None
