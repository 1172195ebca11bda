"""Typed errors of the event engine, labelled by whose fault they are (STYLE.md §1).

``LocalProtocolError``: our code asked for something the rules forbid (a transition the
table does not allow, an invalid model object built locally). ``RemoteProtocolError``: the
server sent something the standard does not allow. Both carry ``error_status_hint``, the
IEEE 2030.5 Response status (Table 27) the boundary may post to the control's replyTo.
"""

from __future__ import annotations

__all__ = [
    "EngineConfigError",
    "EventEngineError",
    "LocalProtocolError",
    "ProtocolError",
    "RemoteProtocolError",
]


class EventEngineError(Exception):
    """Base of every error :mod:`openderms.client.events` raises."""


class ProtocolError(EventEngineError):
    """A rule of IEEE 2030.5 event handling was broken.

    Parameters
    ----------
    msg : str
        What went wrong.
    error_status_hint : int or None
        A 2030.5 Response status (e.g. 253, "rejected: invalid event") that describes the
        problem to the server, or None when no Response fits.
    """

    def __init__(self, msg: str, *, error_status_hint: int | None = None) -> None:
        if type(self) is ProtocolError:
            raise TypeError(
                "ProtocolError is abstract; raise LocalProtocolError or RemoteProtocolError"
            )
        super().__init__(msg)
        self.error_status_hint = error_status_hint


class LocalProtocolError(ProtocolError):
    """Our side asked for something the rules forbid."""

    def as_remote(self) -> RemoteProtocolError:
        """The same error relabelled as the peer's fault (for the one receive boundary)."""
        error = RemoteProtocolError(str(self), error_status_hint=self.error_status_hint)
        error.__cause__ = self
        return error


class RemoteProtocolError(ProtocolError):
    """The server sent something the standard does not allow."""


class EngineConfigError(EventEngineError, ValueError):
    """The engine was configured with values that make no sense (a negative timeout...)."""
