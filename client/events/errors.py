"""Typed errors of the event engine, labelled by whose fault they are (STYLE.md §1).

``LocalProtocolError``: our code asked for something the rules forbid (a transition the
table does not allow, an invalid model object built locally). ``RemoteProtocolError``: the
source sent something its protocol does not allow. Both carry ``rejection``, the neutral
reason a protocol adapter turns into its own answer (a 2030.5 Response status, see
:mod:`openderms.client.sep2.responses`).
"""

from __future__ import annotations

import enum

__all__ = [
    "EngineConfigError",
    "EventEngineError",
    "LocalProtocolError",
    "ProtocolError",
    "Rejection",
    "RemoteProtocolError",
]


class Rejection(enum.Enum):
    """Why an event is not applied (reported with :attr:`EventChange.REJECTED`)."""

    NOT_APPLICABLE = "not_applicable"
    """It asks for something the site cannot do."""
    INVALID = "invalid"
    """It carries values its protocol does not allow."""
    EXPIRED = "expired"
    """It was first seen after its end."""


class EventEngineError(Exception):
    """Base of every error :mod:`openderms.client.events` raises."""


class ProtocolError(EventEngineError):
    """A rule of event handling was broken.

    Parameters
    ----------
    msg : str
        What went wrong.
    rejection : Rejection or None
        How the event's source should hear of it, or None when no rejection fits.
    """

    def __init__(self, msg: str, *, rejection: Rejection | None = None) -> None:
        if type(self) is ProtocolError:
            raise TypeError(
                "ProtocolError is abstract; raise LocalProtocolError or RemoteProtocolError"
            )
        super().__init__(msg)
        self.rejection = rejection


class LocalProtocolError(ProtocolError):
    """Our side asked for something the rules forbid."""


class RemoteProtocolError(ProtocolError):
    """The source sent something its protocol does not allow."""


class EngineConfigError(EventEngineError, ValueError):
    """The engine was configured with values that make no sense (a negative timeout...)."""
