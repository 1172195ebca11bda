"""OAuth2 scopes of the OpenADR 3.1 YAML, the two client roles, and who is calling.

The YAML's securitySchemes list read_all, read_targets, read_ven_objects, write_programs,
write_events, write_reports, write_subscriptions and write_vens; the topic endpoints also
name read_bl. A client of role ``bl`` (business logic) gets read_all and the BL writes; a
``ven`` client reads what is targeted at it and its own objects, and writes reports,
subscriptions and its own VEN and resources.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["ROLE_SCOPES", "Principal", "Role", "Scope", "parse_scopes"]


class Scope(enum.StrEnum):
    READ_ALL = "read_all"
    READ_BL = "read_bl"
    READ_TARGETS = "read_targets"
    READ_VEN_OBJECTS = "read_ven_objects"
    WRITE_PROGRAMS = "write_programs"
    WRITE_EVENTS = "write_events"
    WRITE_REPORTS = "write_reports"
    WRITE_SUBSCRIPTIONS = "write_subscriptions"
    WRITE_VENS = "write_vens"


class Role(enum.StrEnum):
    BL = "bl"
    VEN = "ven"


ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.BL: frozenset(
        {
            Scope.READ_ALL,
            Scope.READ_BL,
            Scope.WRITE_PROGRAMS,
            Scope.WRITE_EVENTS,
            Scope.WRITE_SUBSCRIPTIONS,
            Scope.WRITE_VENS,
        }
    ),
    Role.VEN: frozenset(
        {
            Scope.READ_TARGETS,
            Scope.READ_VEN_OBJECTS,
            Scope.WRITE_REPORTS,
            Scope.WRITE_SUBSCRIPTIONS,
            Scope.WRITE_VENS,
        }
    ),
}


def parse_scopes(text: str) -> frozenset[Scope]:
    """Space-separated scope names (RFC 6749 §3.3); unknown names raise ValueError."""
    return frozenset(Scope(name) for name in text.split())


@dataclass(frozen=True, slots=True)
class Principal:
    """The client behind a valid access token."""

    client_id: str
    scopes: frozenset[Scope]

    @property
    def reads_all(self) -> bool:
        """Business logic: sees every object (read_all)."""
        return Scope.READ_ALL in self.scopes

    def has(self, scope: Scope) -> bool:
        return scope in self.scopes
