"""What the runtime needs from the devices side of the gateway.

The runtime does not talk Modbus; it reads the site in SI units
(:class:`~openderms.client.readings.SiteReading`, which the protocol sessions map to their
own messages) and applies the limits in force through a :class:`SiteIO`.
:mod:`openderms.client.runtime.devices_site` implements it over ``openderms.client.devices``
and ``openderms.client.dispatch``.
"""

from __future__ import annotations

from typing import Protocol

from openderms.client.envelope import EnvelopeLimits
from openderms.client.readings import DeviceFault, SiteReading

__all__ = ["DeviceFault", "SiteIO", "SiteReading"]


class SiteIO(Protocol):
    """The devices side, as the runtime sees it."""

    async def read(self, now: float) -> SiteReading:
        """Read every device [now: s since epoch, site clock]."""
        ...

    async def apply(self, limits: EnvelopeLimits, now: float) -> list[DeviceFault]:
        """Dispatch the site within ``limits``; returns the devices that failed."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
