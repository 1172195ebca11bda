"""The gateway's IEEE 2030.5 DER event engine: sans-IO, time and randomness passed in.

Feed it :class:`ProgramSnapshot` objects (built by :mod:`openderms.client.sep2.mapping`),
drive it with ``now``, pull :class:`Effect` objects and read the :class:`GridEnvelope`.
See :mod:`openderms.client.events.engine` for the rules and their interpretations, and
:mod:`openderms.client.events.states` for the one table of status transitions.
"""

from openderms.client.events.effects import (
    CommsLost,
    CommsRestored,
    Effect,
    EnvelopeChanged,
    SendResponse,
)
from openderms.client.events.engine import (
    FALLBACK_SOURCE,
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
    RemoteProtocolError,
)
from openderms.client.events.model import (
    LIMIT_MODES,
    DefaultControl,
    EventStatusCode,
    Program,
    ProgramSnapshot,
    ResponseRequired,
    ResponseStatus,
    ScheduledControl,
)
from openderms.client.events.states import EventState, Trigger

__all__ = [
    "FALLBACK_SOURCE",
    "LIMIT_MODES",
    "ActiveControls",
    "CommsLost",
    "CommsRestored",
    "DefaultControl",
    "Effect",
    "EngineConfig",
    "EngineConfigError",
    "EnvelopeChanged",
    "EventEngine",
    "EventEngineError",
    "EventState",
    "EventStatusCode",
    "LocalProtocolError",
    "Program",
    "ProgramSnapshot",
    "ProtocolError",
    "RemoteProtocolError",
    "ResponseRequired",
    "ResponseStatus",
    "ScheduledControl",
    "SendResponse",
    "TrackedEvent",
    "Trigger",
]
