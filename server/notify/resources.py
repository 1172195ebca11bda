"""Which resources a client may subscribe to, and how each is rendered for a Notification.

The table maps the server's own href forms (see `openderms.server.sep2.uris`) to the read
services that answer a GET of the same href, so a Notification embeds exactly what a GET
would return to that device at that moment, with the same access checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from openderms.server.scope import Scope, ServiceContext
from openderms.server.sep2.paging import Page
from openderms.server.services import derp, end_device

__all__ = [
    "SUBSCRIBABLE",
    "SubscribableResource",
    "check_subscribable",
    "match_subscribable",
    "render_for_device",
]

#: (session, ctx, the device's own scope, end device id, path ids, list limit) -> resource
Renderer = Callable[[Session, ServiceContext, Scope, int, tuple[int, ...], int], object]


#: (session, the caller's scope, end device id, path ids): raises unless readable.
AccessCheck = Callable[[Session, Scope, int, tuple[int, ...]], object]


@dataclass(frozen=True, slots=True)
class SubscribableResource:
    """One subscribable href form: ``pattern`` captures the EndDevice id, then other ids.

    ``check`` decides whether a scope may subscribe (None: rendering it must succeed).
    """

    name: str
    pattern: re.Pattern[str]
    render: Renderer
    check: AccessCheck | None = None
    under_end_device: bool = True
    """False for a list above every EndDevice (the EndDeviceList): any subscriber's own
    SubscriptionList may hold it, and the subscriber's scope decides what it shows."""


def _page(limit: int) -> Page:
    return Page(start=0, after=None, limit=limit)


SUBSCRIBABLE: tuple[SubscribableResource, ...] = (
    SubscribableResource(
        "EndDeviceList",
        re.compile(r"/edev"),
        lambda s, c, scope, e, ids, n: end_device.list_end_devices(s, c, scope, _page(n)),
        under_end_device=False,
    ),
    SubscribableResource(
        "FunctionSetAssignmentsList",
        re.compile(r"/edev/(\d+)/fsa"),
        lambda s, c, scope, e, ids, n: derp.list_fsas(s, c, scope, e, _page(n)),
    ),
    SubscribableResource(
        "DERProgramList",
        re.compile(r"/edev/(\d+)/fsa/(\d+)/derp"),
        lambda s, c, scope, e, ids, n: derp.list_fsa_programs(s, c, scope, e, ids[0], _page(n)),
    ),
    SubscribableResource(
        "DERControlList",
        re.compile(r"/edev/(\d+)/derp/(\d+)/derc"),
        lambda s, c, scope, e, ids, n: derp.list_der_controls(s, c, scope, e, ids[0], _page(n)),
    ),
    SubscribableResource(
        "ActiveDERControlList",
        re.compile(r"/edev/(\d+)/derp/(\d+)/actderc"),
        lambda s, c, scope, e, ids, n: derp.list_active_der_controls(
            s, c, scope, e, ids[0], _page(n)
        ),
    ),
    SubscribableResource(
        "DefaultDERControl",
        re.compile(r"/edev/(\d+)/derp/(\d+)/dderc"),
        lambda s, c, scope, e, ids, n: derp.get_default_der_control(s, c, scope, e, ids[0]),
    ),
)


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
    from openderms.server.errors import BadRequestError

    matched = match_subscribable(href)
    if matched is not None and not matched[0].under_end_device:
        matched = (matched[0], end_device_id, matched[2])
    if matched is None or matched[1] != end_device_id:
        raise BadRequestError(
            f"{href} is not a subscribable resource of EndDevice {end_device_id}"
        )
    entry, _, ids = matched
    if entry.check is not None:
        entry.check(session, scope, end_device_id, ids)
    else:
        entry.render(session, ctx, scope, end_device_id, ids, 1)


def render_for_device(
    session: Session, ctx: ServiceContext, scope: Scope, href: str, limit: int
) -> object:
    """What a GET of ``href`` returns to ``scope`` (list pages hold at most ``limit`` items).

    Raises
    ------
    openderms.server.errors.ServerError
        ``href`` is not subscribable (NotFoundError) or ``scope`` may not read it.
    """
    from openderms.server.errors import NotFoundError

    matched = match_subscribable(href)
    if matched is None:
        raise NotFoundError(f"{href} is not a subscribable resource of this server")
    entry, end_device_id, ids = matched
    return entry.render(session, ctx, scope, end_device_id, ids, limit)
