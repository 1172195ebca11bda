"""What the runtime needs from the devices side of the gateway.

The runtime does not talk Modbus; it reads the site (meter samples for mirroring, facts
for the DER information resources) and applies the limits in force through a
:class:`SiteIO`. :mod:`openderms.client.runtime.devices_site` implements it over
``openderms.client.devices`` and ``openderms.client.dispatch``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from openderms.client.envelope import EnvelopeLimits
from openderms.client.sep2.messages import DerFacts
from openderms.client.sep2.readings import MeterSample

__all__ = ["DeviceFault", "SiteIO", "SiteReading"]


@dataclass(frozen=True, slots=True)
class SiteReading:
    """One read of the whole site."""

    samples: list[MeterSample] = field(default_factory=list)
    """For the site mirror and each DER's mirror."""
    facts: dict[str, DerFacts] = field(default_factory=dict)
    """Per DER name."""
    faults: list[DeviceFault] = field(default_factory=list)
    """Devices that could not be read."""


@dataclass(frozen=True, slots=True)
class DeviceFault:
    """A device that did not answer or did not accept a setpoint."""

    device: str
    message: str


class SiteIO(Protocol):
    """The devices side, as the runtime sees it."""

    async def read(self, now: float) -> SiteReading:
        """Read every device [now: s since epoch, server clock]."""
        ...

    async def apply(self, limits: EnvelopeLimits, now: float) -> list[DeviceFault]:
        """Dispatch the site within ``limits``; returns the devices that failed."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
