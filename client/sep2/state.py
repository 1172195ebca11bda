"""What the 2030.5 session keeps across restarts, as one typed record in the local store.

Earlier gateways kept these as loose keys of the store's key-value table; a store
written by one is read once through :data:`LEGACY_KEYS` and rewritten as one
``session:sep2`` document (the loose keys are then removed). A session of another name
(one of an aggregator's EndDevices) keeps its document under ``session:<name>``.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from openderms.client.store import GatewayStore

__all__ = [
    "LEGACY_KEYS",
    "SOURCE",
    "STATE_KEY",
    "Sep2State",
    "load_state",
    "save_state",
    "state_key",
]

log = logging.getLogger(__name__)


def state_key(source: str) -> str:
    """The store key of the document of the session named ``source``."""
    return f"session:{source}"


SOURCE = "sep2"
"""The name of the gateway's 2030.5 session among the site's sources."""
STATE_KEY = state_key(SOURCE)
"""The store key of the (default) 2030.5 session's document; the loose keys of older
stores migrate into it."""


@dataclass(slots=True)
class Sep2State:
    """The 2030.5 session's persisted state."""

    clock_offset_s: float = 0.0
    """Server clock minus local clock [s] (from the Time resource)."""
    last_contact_s: float | None = None
    """When the server last answered [s since epoch, server clock]."""
    end_device_href: str | None = None
    """Our EndDevice, as the last walk found it."""
    notification_uri: str | None = None
    """The notificationURI the subscriptions were made with."""
    subscriptions: dict[str, str] = field(default_factory=dict)
    """Subscribed resource href -> Subscription href."""
    mirrors: dict[str, str] = field(default_factory=dict)
    """Mirror name -> MirrorUsagePoint href."""
    responded: list[str] = field(default_factory=list)
    """``<mRID>:<status>`` of the Responses queued, newest last (bounded)."""
    rejected_mrids: list[str] = field(default_factory=list)
    """Controls answered as rejected by the mapping (252/253), so they are answered once."""
    log_event_id: int = 0
    """The last logEventID used."""
    refused: dict[str, str] = field(default_factory=dict)
    """Request path -> why the server refused it for good."""

    def to_json(self) -> dict[str, Any]:  # Any: JSON values
        """The document stored."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Sep2State:
        """From a stored document; unknown keys are ignored, missing ones default.

        Raises
        ------
        TypeError, ValueError
            A value of the wrong type.
        """
        state = cls()
        if data.get("clock_offset_s") is not None:
            state.clock_offset_s = float(data["clock_offset_s"])
        if data.get("last_contact_s") is not None:
            state.last_contact_s = float(data["last_contact_s"])
        for name in ("end_device_href", "notification_uri"):
            if data.get(name) is not None:
                setattr(state, name, str(data[name]))
        state.subscriptions = {
            str(k): str(v) for k, v in dict(data.get("subscriptions") or {}).items()
        }
        state.mirrors = {str(k): str(v) for k, v in dict(data.get("mirrors") or {}).items()}
        state.responded = [str(v) for v in data.get("responded") or []]
        state.rejected_mrids = [str(v) for v in data.get("rejected_mrids") or []]
        state.log_event_id = int(data.get("log_event_id") or 0)
        state.refused = _hrefs(data.get("refused"))
        return state


def _hrefs(value: Any) -> dict[str, str]:  # Any: a JSON value
    return {str(k): str(v) for k, v in dict(value or {}).items()}


LEGACY_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Sep2State))
"""The loose store keys earlier gateways wrote (one per field, same names)."""


def load_state(store: GatewayStore, key: str = STATE_KEY) -> Sep2State:
    """The session's state from ``store``; the default session also takes over the loose
    keys of an older store."""
    document = store.get(key)
    legacy: dict[str, Any] = {}
    if document is None and key == STATE_KEY:
        found = {name: store.get(name) for name in LEGACY_KEYS}
        legacy = {name: value for name, value in found.items() if value is not None}
        document = legacy
    if document is None:
        return Sep2State()
    try:
        state = Sep2State.from_json(document)
    except (TypeError, ValueError, AttributeError) as exc:  # a hand-edited or damaged store
        log.error("the 2030.5 session state in the store is unreadable, starting afresh: %s", exc)
        return Sep2State()
    if legacy:
        save_state(store, state, key)
        for name in LEGACY_KEYS:
            store.put(name, None)
        log.info("moved the 2030.5 session state of an older store into %s", key)
    return state


def save_state(store: GatewayStore, state: Sep2State, key: str = STATE_KEY) -> None:
    """Write ``state`` as one document."""
    store.put(key, state.to_json())
