"""Who is asking: the request scope built from the verified client certificate."""

from __future__ import annotations

from dataclasses import dataclass, field

from openderms.server.changes import ChangeSink, NullChangeSink
from openderms.server.config import ServerSettings

__all__ = ["Scope", "ServiceContext"]


@dataclass(frozen=True, slots=True)
class Scope:
    """The identity of the certificate holder behind one request.

    Attributes
    ----------
    lfdi : str
        40 upper-case hex digits from the certificate (IEEE 2030.5 §6.3.4).
    sfdi : int
        SFDI derived from the LFDI.
    is_aggregator : bool
        The certificate is an aggregator's: it manages the EndDevices registered under it.
    """

    lfdi: str
    sfdi: int
    is_aggregator: bool = False


@dataclass(frozen=True, slots=True)
class ServiceContext:
    """What every service call gets besides the session: time, settings, change hook.

    Attributes
    ----------
    now : int
        Current time, seconds since the epoch [s] (the one runtime clock read).
    settings : ServerSettings
        The head-end configuration.
    changes : ChangeSink
        Told about every changed subscribable resource, inside the transaction.
    """

    now: int
    settings: ServerSettings
    changes: ChangeSink = field(default_factory=NullChangeSink)
