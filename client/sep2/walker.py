"""Follow links from DeviceCapability to everything the gateway must know.

The walk (IEEE 2030.5-2018 §5.3, CSIP §5.2): DeviceCapability -> Time; EndDeviceList ->
our EndDevice (registering it in band when configured) -> Registration (PIN check) ->
FunctionSetAssignmentsList -> each FSA's DERProgramList -> each DERProgram's
DERControlList, ActiveDERControlList and DefaultDERControl; EndDevice -> DERList. Every
href comes from the server; lists are read page by page until ``all`` items are in.

The walk depends on a :class:`Fetcher` (the HTTP adapter, or anything with the same two
methods), so it is exercised against a real server in tests and nothing here does I/O of
its own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from openderms.certs.identity import DeviceIdentity
from openderms.client.sep2.errors import (
    PinMismatchError,
    RegistrationError,
    Sep2HttpStatusError,
    Sep2ProtocolError,
)
from openderms.client.sep2.paging import list_items, page_href, pages_complete
from openderms.schemas.sep2 import models as sep

__all__ = [
    "DeviceIdentity",
    "Fetcher",
    "ProgramView",
    "Sep2View",
    "check_pin",
    "fetch_list",
    "find_or_register_end_device",
    "program_hrefs",
    "refresh_program",
    "walk",
]

T = TypeVar("T")
log = logging.getLogger(__name__)
DEFAULT_POLL_RATE_S = 900
"""pollRate when the server says nothing (sep.xsd default)."""


class Fetcher(Protocol):
    """What the walk needs from HTTP."""

    async def get(self, href: str, cls: type[T]) -> T: ...

    async def post(self, href: str, resource: Any) -> str | None: ...  # Any: any resource


@dataclass(slots=True)
class ProgramView:
    """One DERProgram with everything linked from it."""

    program: Any  # sep.DERProgram; Any keeps the view profile-agnostic
    controls: list[Any] = field(default_factory=list)  # sep.DERControl
    active_mrids: set[bytes] = field(default_factory=set)
    default: Any | None = None  # sep.DefaultDERControl

    @property
    def href(self) -> str:
        """The program's href."""
        return str(self.program.href)


@dataclass(slots=True)
class Sep2View:
    """What one walk of the resource tree found."""

    dcap: Any  # sep.DeviceCapability
    end_device: Any  # sep.EndDevice
    registration: Any | None = None  # sep.Registration
    fsas: list[Any] = field(default_factory=list)  # sep.FunctionSetAssignments
    programs: list[ProgramView] = field(default_factory=list)
    ders: list[Any] = field(default_factory=list)  # sep.DER
    poll_rates_s: list[int] = field(default_factory=list)
    subscribable: list[str] = field(default_factory=list)
    """Hrefs of resources the server marks subscribable that the gateway cares about."""

    @property
    def poll_rate_s(self) -> int:
        """The shortest pollRate the server set on anything walked [s]."""
        return min(self.poll_rates_s, default=DEFAULT_POLL_RATE_S)

    @property
    def time_href(self) -> str | None:
        """Href of the Time resource."""
        return _href(self.dcap.TimeLink)

    @property
    def end_device_href(self) -> str:
        """Href of our EndDevice."""
        return str(self.end_device.href)

    @property
    def mirror_usage_point_list_href(self) -> str | None:
        """Where MirrorUsagePoints are created."""
        return _href(self.dcap.MirrorUsagePointListLink)

    @property
    def subscription_list_href(self) -> str | None:
        """Where our Subscriptions are created."""
        return _href(self.end_device.SubscriptionListLink)

    @property
    def log_event_list_href(self) -> str | None:
        """Where our LogEvents are posted."""
        return _href(self.end_device.LogEventListLink)

    @property
    def post_rate_s(self) -> int | None:
        """EndDevice.postRate [s], if the server set one."""
        rate = self.end_device.postRate
        return int(rate) if rate else None


def _href(link: Any) -> str | None:
    return None if link is None else str(link.href)


async def fetch_list(
    fetcher: Fetcher, href: str, cls: type[T], *, page_size: int = 50
) -> tuple[T, list[Any]]:
    """GET every page of a list; returns the first page and all items.

    Parameters
    ----------
    fetcher : Fetcher
    href : str
        List href from a ``*ListLink``.
    cls : type
        The generated list class (``sep.DERControlList``...).
    page_size : int
        ``l`` of each request [items].
    """
    first: T | None = None
    items: list[Any] = []
    start = 0
    while True:
        page = await fetcher.get(page_href(href, start, page_size), cls)
        if first is None:
            first = page
        got = list_items(page)
        items.extend(got)
        start += len(got)
        if pages_complete(start, int(page.results), int(page.all)):  # type: ignore[attr-defined]  # every *List has results/all
            return first, items


def _matches(device: Any, identity: DeviceIdentity) -> bool:
    if device.lFDI is not None and bytes(device.lFDI) == bytes.fromhex(identity.lfdi):
        return True
    return device.sFDI is not None and int(device.sFDI.value) == identity.sfdi


async def find_or_register_end_device(
    fetcher: Fetcher,
    dcap: Any,
    identity: DeviceIdentity,
    *,
    register_in_band: bool,
    now: float,
) -> Any:
    """Our EndDevice: found in the EndDeviceList, or POSTed there when in-band registration
    is configured (IEEE 2030.5-2018 §6.6.3, CSIP §5.2.1).

    Raises
    ------
    RegistrationError
        Not listed and out-of-band registration is configured (or the server refused).
    """
    list_href = _href(dcap.EndDeviceListLink)
    if list_href is None:
        raise Sep2ProtocolError("DeviceCapability has no EndDeviceListLink")
    _, devices = await fetch_list(fetcher, list_href, sep.EndDeviceList)
    for device in devices:
        if _matches(device, identity):
            return device
    if not register_in_band:
        raise RegistrationError(
            f"no EndDevice for LFDI {identity.lfdi} at {list_href}; register it out of band"
        )
    new_device = sep.EndDevice(
        sFDI=sep.SFDIType(value=identity.sfdi),
        lFDI=bytes.fromhex(identity.lfdi),
        changedTime=sep.TimeType(value=int(now)),
    )
    try:
        location = await fetcher.post(list_href, new_device)
    except Sep2HttpStatusError as exc:
        raise RegistrationError(f"server refused in-band registration: {exc}") from exc
    log.info("registered EndDevice in band at %s", location)
    if location is not None:
        return await fetcher.get(location, sep.EndDevice)
    _, devices = await fetch_list(fetcher, list_href, sep.EndDeviceList)
    for device in devices:
        if _matches(device, identity):
            return device
    raise RegistrationError("EndDevice POST succeeded but the device is not listed")


def check_pin(registration: Any, expected_pin: int | None) -> None:
    """Raise :class:`PinMismatchError` when Registration.pIN is not the configured PIN.

    The PIN proves the server registered *this* installation (IEEE 2030.5-2018 §6.7).
    """
    if expected_pin is None:
        return
    actual = int(registration.pIN.value)
    if actual != expected_pin:
        raise PinMismatchError(f"Registration PIN {actual} != configured PIN {expected_pin}")


async def _walk_program(
    fetcher: Fetcher, program: Any, view: Sep2View, *, with_active: bool = True
) -> ProgramView:
    pv = ProgramView(program=program)
    control_href = _href(program.DERControlListLink)
    if control_href is not None:
        first, pv.controls = await fetch_list(fetcher, control_href, sep.DERControlList)
        if first.subscribable:
            view.subscribable.append(control_href)
    active_href = _href(program.ActiveDERControlListLink)
    if with_active and active_href is not None:
        _, active = await fetch_list(fetcher, active_href, sep.DERControlList)
        pv.active_mrids = {bytes(c.mRID.value) for c in active}
    default_href = _href(program.DefaultDERControlLink)
    if default_href is not None:
        try:
            default = await fetcher.get(default_href, sep.DefaultDERControl)
        except Sep2HttpStatusError as exc:
            # A program may link a DefaultDERControl that is not (yet) set.
            if exc.status != 404:
                raise
        else:
            pv.default = default
            if default.subscribable:
                view.subscribable.append(default_href)
    return pv


def program_hrefs(program: Any) -> set[str]:
    """Hrefs of what hangs off a DERProgram: its control list, active list and default."""
    links = (
        program.DERControlListLink,
        program.ActiveDERControlListLink,
        program.DefaultDERControlLink,
    )
    return {str(link.href) for link in links if link is not None}


async def refresh_program(fetcher: Fetcher, program: Any) -> ProgramView:
    """Fetch one program's controls and default again.

    After a Notification about one of :func:`program_hrefs`, this is all that changed; the
    rest of the tree is walked again at pollRate. The ActiveDERControlList is left for that
    walk: the event engine works out what is active from the controls themselves, and one
    round trip less is a shorter way from a new control to the devices.
    """
    scratch = Sep2View(dcap=None, end_device=None)
    return await _walk_program(fetcher, program, scratch, with_active=False)


async def _walk_program_list(
    fetcher: Fetcher, href: str, seen: set[str], view: Sep2View
) -> list[ProgramView]:
    first, programs = await fetch_list(fetcher, href, sep.DERProgramList)
    view.poll_rates_s.append(int(first.pollRate))
    if first.subscribable:
        view.subscribable.append(href)
    result = []
    for program in programs:
        if program.href in seen:
            continue
        seen.add(str(program.href))
        result.append(await _walk_program(fetcher, program, view))
    return result


async def walk(
    fetcher: Fetcher,
    dcap_href: str,
    identity: DeviceIdentity,
    *,
    register_in_band: bool,
    pin: int | None,
    now: float,
) -> Sep2View:
    """One full walk of the tree from ``dcap_href``.

    Parameters
    ----------
    fetcher : Fetcher
    dcap_href : str
        The DeviceCapability href (the only URI a client knows in advance).
    identity : DeviceIdentity
    register_in_band : bool
        POST our EndDevice when the server does not list it.
    pin : int or None
        Configured registration PIN; None skips the check.
    now : float
        Server time [s since epoch], for the EndDevice changedTime of a registration.

    Raises
    ------
    RegistrationError, PinMismatchError, Sep2ProtocolError, Sep2ConnectionError,
    Sep2HttpStatusError
    """
    dcap = await fetcher.get(dcap_href, sep.DeviceCapability)
    end_device = await find_or_register_end_device(
        fetcher, dcap, identity, register_in_band=register_in_band, now=now
    )
    view = Sep2View(dcap=dcap, end_device=end_device, poll_rates_s=[int(dcap.pollRate)])
    if end_device.enabled is False:
        log.warning("server has disabled EndDevice %s", end_device.href)
    registration_href = _href(end_device.RegistrationLink)
    if registration_href is not None:
        view.registration = await fetcher.get(registration_href, sep.Registration)
        check_pin(view.registration, pin)
    elif pin is not None:
        raise RegistrationError("EndDevice has no RegistrationLink to check the PIN against")

    seen_programs: set[str] = set()
    fsa_href = _href(end_device.FunctionSetAssignmentsListLink)
    if fsa_href is not None:
        first, view.fsas = await fetch_list(fetcher, fsa_href, sep.FunctionSetAssignmentsList)
        view.poll_rates_s.append(int(first.pollRate))
        if first.subscribable:
            view.subscribable.append(fsa_href)
    program_list_hrefs: Iterable[str | None] = [
        *(_href(fsa.DERProgramListLink) for fsa in view.fsas),
        _href(dcap.DERProgramListLink),  # programs published to every device, if any
    ]
    for href in program_list_hrefs:
        if href is not None:
            view.programs += await _walk_program_list(fetcher, href, seen_programs, view)

    der_href = _href(end_device.DERListLink)
    if der_href is not None:
        first_der, view.ders = await fetch_list(fetcher, der_href, sep.DERList)
        view.poll_rates_s.append(int(first_der.pollRate))
    return view
