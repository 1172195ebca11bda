"""What a procedure is once loaded: plain frozen data, no behaviour.

A procedure tests one role (a server or a client) under one or more profiles. Its steps
run in order; each names an *action* (what the tester does) with parameters, may save
variables from the action's result, and carries *checks* (what must hold), each citing
what it tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

__all__ = ["Check", "Procedure", "Profile", "Role", "Step"]


class Role(StrEnum):
    SERVER = "server"
    CLIENT = "client"


class Profile(StrEnum):
    """The profiles a procedure can apply to."""

    CSIP = "csip"  # California CSIP: IEEE 2030.5-2018 plus the CSIP requirements
    CSIP_AUS_12 = "csip-aus-1.2"
    CSIP_AUS_13 = "csip-aus-1.3"


@dataclass(frozen=True)
class Check:
    name: str
    params: dict[str, Any]
    cites: tuple[str, ...]
    profiles: tuple[Profile, ...] = ()
    line: int = 0

    def applies_to(self, profile: Profile) -> bool:
        return not self.profiles or profile in self.profiles


@dataclass(frozen=True)
class Step:
    id: str
    action: str
    params: dict[str, Any]
    checks: tuple[Check, ...] = ()
    save: dict[str, str] = field(default_factory=dict)
    when: str | None = None
    goto: str | None = None
    line: int = 0


@dataclass(frozen=True)
class Procedure:
    id: str
    title: str
    role: Role
    profiles: tuple[Profile, ...]
    area: str
    steps: tuple[Step, ...]
    preconditions: tuple[Step, ...] = ()
    description: str = ""
    source: Path | None = None

    def all_steps(self) -> tuple[Step, ...]:
        return self.preconditions + self.steps

    def checks(self) -> tuple[Check, ...]:
        return tuple(check for step in self.all_steps() for check in step.checks)
