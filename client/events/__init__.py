"""The gateway's DER event engine: protocol-neutral, sans-IO, time and randomness passed in.

Feed it :class:`ProgramSnapshot` objects (built by a protocol adapter such as
:mod:`openderms.client.sep2.mapping`), drive it with ``now``, pull :class:`Effect` objects
and read the :class:`GridEnvelope`. One engine serves one source; :class:`SiteEvents` keys
the engines by source and combines their limits, most restrictive per limit. See
:mod:`openderms.client.events.engine` for the rules and their interpretations, and
:mod:`openderms.client.events.states` for the one table of status transitions.
"""

from openderms.client.events.effects import (
    CommsLost,
    CommsRestored,
    Effect,
    EnvelopeChanged,
    EventTransition,
)
from openderms.client.events.engine import (
    FALLBACK_SOURCE,
    NO_SOURCE,
    ActiveControls,
    EngineConfig,
    EventEngine,
    TrackedEvent,
)
from openderms.client.events.errors import (
    EngineConfigError,
    EventEngineError,
    LocalProtocolError,
    ProtocolError,
    Rejection,
    RemoteProtocolError,
)
from openderms.client.events.model import (
    LIMIT_MODES,
    DefaultControl,
    Program,
    ProgramSnapshot,
    ScheduledControl,
    SourceStatus,
)
from openderms.client.events.sources import SiteEvents, SiteLimits
from openderms.client.events.states import EventChange, EventState, Trigger

__all__ = [
    "FALLBACK_SOURCE",
    "LIMIT_MODES",
    "NO_SOURCE",
    "ActiveControls",
    "CommsLost",
    "CommsRestored",
    "DefaultControl",
    "Effect",
    "EngineConfig",
    "EngineConfigError",
    "EnvelopeChanged",
    "EventChange",
    "EventEngine",
    "EventEngineError",
    "EventState",
    "EventTransition",
    "LocalProtocolError",
    "Program",
    "ProgramSnapshot",
    "ProtocolError",
    "Rejection",
    "RemoteProtocolError",
    "ScheduledControl",
    "SiteEvents",
    "SiteLimits",
    "SourceStatus",
    "TrackedEvent",
    "Trigger",
]
