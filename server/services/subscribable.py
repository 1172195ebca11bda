"""Which resources a client may subscribe to, and how each is rendered for a Notification.

Derived, not listed: every `openderms.server.uris.Resource` declared ``subscribable``,
matched by its own pattern, rendered by the `Rendering` its function set's service
declares in ``RENDERINGS`` (`openderms.server.services.fsa`,
`openderms.server.services.derp`): what a GET of the same href returns to that device at
that moment, with the same access checks, so a Notification embeds exactly that.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel import Session

from openderms.server import uris
from openderms.server.errors import BadRequestError, NotFoundError
from openderms.server.scope import Scope, ServiceContext
from openderms.server.services import derp, end_device, fsa
from openderms.server.services.rendering import Rendering
from openderms.server.store.paging import Page

__all__ = [
    "SUBSCRIBABLE",
    "SubscribableResource",
    "check_subscribable",
    "match_subscribable",
    "render_for_device",
]


@dataclass(frozen=True, slots=True)
class SubscribableResource:
    """One subscribable href form: ``pattern`` captures the EndDevice id, then other ids."""

    name: str
    pattern: re.Pattern[str]
    rendering: Rendering
    #: False for a list above every EndDevice (the EndDeviceList): any subscriber's own
    #: SubscriptionList may hold it, and the subscriber's scope decides what it shows.
    under_end_device: bool = True


def _subscribable() -> tuple[SubscribableResource, ...]:
    declared: tuple[Mapping[uris.Resource, Rendering], ...] = (
        end_device.RENDERINGS,
        fsa.RENDERINGS,
        derp.RENDERINGS,
    )
    renderings: dict[uris.Resource, Rendering] = {}
    for found in declared:
        renderings.update(found)
    return tuple(
        SubscribableResource(
            resource.name,
            resource.pattern,
            renderings[resource],
            under_end_device=resource.ids[:1] == ("edev_id",),
        )
        for resource in uris.RESOURCES
        if resource.subscribable
    )


SUBSCRIBABLE: tuple[SubscribableResource, ...] = _subscribable()


def match_subscribable(href: str) -> tuple[SubscribableResource, int, tuple[int, ...]] | None:
    """The table entry, EndDevice id and other path ids of ``href``, or None."""
    for entry in SUBSCRIBABLE:
        found = entry.pattern.fullmatch(href)
        if found:
            numbers = tuple(int(group) for group in found.groups())
            if not entry.under_end_device:
                return entry, -1, numbers
            return entry, numbers[0], numbers[1:]
    return None


def check_subscribable(
    session: Session, ctx: ServiceContext, scope: Scope, href: str, end_device_id: int
) -> None:
    """Raise unless ``scope`` may subscribe to ``href`` under EndDevice ``end_device_id``.

    Raises
    ------
    openderms.server.errors.BadRequestError
        ``href`` is not a subscribable resource of that EndDevice.
    openderms.server.errors.ServerError
        ``scope`` may not read it (NotFoundError / ForbiddenError from the read service).
    """
    matched = match_subscribable(href)
    if matched is not None and not matched[0].under_end_device:
        matched = (matched[0], end_device_id, matched[2])
    if matched is None or matched[1] != end_device_id:
        raise BadRequestError(
            f"{href} is not a subscribable resource of EndDevice {end_device_id}"
        )
    entry, _, ids = matched
    path_ids = (end_device_id, *ids) if entry.under_end_device else ids
    rendering = entry.rendering
    if rendering.check is not None:
        rendering.check(session, scope, path_ids)
    else:
        rendering.render(session, ctx, scope, path_ids, Page(limit=1))


def render_for_device(
    session: Session, ctx: ServiceContext, scope: Scope, href: str, limit: int
) -> object:
    """What a GET of ``href`` returns to ``scope`` (list pages hold at most ``limit`` items).

    Raises
    ------
    openderms.server.errors.ServerError
        ``href`` is not subscribable (NotFoundError) or ``scope`` may not read it.
    """
    matched = match_subscribable(href)
    if matched is None:
        raise NotFoundError(f"{href} is not a subscribable resource of this server")
    entry, end_device_id, ids = matched
    path_ids = (end_device_id, *ids) if entry.under_end_device else ids
    return entry.rendering.render(session, ctx, scope, path_ids, Page(limit=limit))
