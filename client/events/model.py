"""Protocol-neutral inputs of the event engine: programs, scheduled controls, defaults.

A 2030.5 client (see :mod:`openderms.client.sep2.mapping`) or any other source turns what
it fetched into a :class:`ProgramSnapshot` and hands it to
:meth:`openderms.client.events.EventEngine.update`. Constructors validate, so a malformed
object cannot exist (STYLE.md §1); they raise :class:`LocalProtocolError` with the
:class:`Rejection` the source should hear. Nothing here is specific to one protocol: the
2030.5 adapter maps its EventStatus and responseRequired onto :class:`SourceStatus` and
:attr:`ScheduledControl.reports`.

Times are seconds since the epoch (2030.5 TimeType); durations are seconds.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field, fields

from openderms.client.envelope import EnvelopeLimits
from openderms.client.events.errors import LocalProtocolError, Rejection
from openderms.client.events.states import EventChange

__all__ = [
    "LIMIT_MODES",
    "DefaultControl",
    "Program",
    "ProgramSnapshot",
    "ScheduledControl",
    "SourceStatus",
]

MAX_RANDOMIZE_S = 3600
"""randomizeStart and randomizeDuration lie in [-3600, 3600] (sep.xsd OneHourRangeType)."""

LIMIT_MODES: frozenset[str] = frozenset(f.name for f in fields(EnvelopeLimits))
"""The control modes a control may set: the field names of :class:`EnvelopeLimits`."""


class SourceStatus(enum.Enum):
    """An event's status as its source last stated it (2030.5 EventStatus.currentStatus)."""

    SCHEDULED = "scheduled"
    ACTIVE = "active"
    CANCELLED = "cancelled"
    """Stop at once."""
    CANCELLED_WITH_RANDOMIZATION = "cancelled_with_randomization"
    """Stop a running event after a randomized delay."""
    SUPERSEDED = "superseded"
    """The source replaced it: stop at once, reported superseded."""


def _invalid(msg: str) -> LocalProtocolError:
    return LocalProtocolError(msg, rejection=Rejection.INVALID)


def _check_finite(name: str, value: float) -> None:
    if not math.isfinite(value):
        raise _invalid(f"{name} must be finite, got {value!r}")


@dataclass(frozen=True, slots=True)
class Program:
    """A DER program: the scope in which newer events supersede older ones."""

    program_id: str
    """Stable identity of the program (the DERProgram's mRID or href)."""
    primacy: int
    """Relative primacy of the program's provider; lower values win (sep.xsd DERProgram,
    PrimacyType, UInt8)."""

    def __post_init__(self) -> None:
        if not self.program_id:
            raise _invalid("program_id must not be empty")
        if not 0 <= self.primacy <= 255:
            raise _invalid(f"primacy must be a UInt8, got {self.primacy}")


@dataclass(frozen=True, slots=True)
class ScheduledControl:
    """One time-bounded control (a 2030.5 DERControl, an OpenADR event interval), scaled
    into :class:`EnvelopeLimits`."""

    mrid: str
    """The event's identity within its source (a 2030.5 mRID as hex)."""
    program_id: str
    """The program the control belongs to."""
    creation_time: float
    """When the server created the control [s since epoch]; newer supersedes older."""
    start: float
    """Scheduled start, ``interval.start`` [s since epoch]."""
    duration_s: float
    """Scheduled duration, ``interval.duration`` [s]."""
    randomize_start_s: float = 0.0
    """Bound of the start randomization, ``randomizeStart`` [s], in [-3600, 3600]."""
    randomize_duration_s: float = 0.0
    """Bound of the duration randomization, ``randomizeDuration`` [s], in [-3600, 3600]."""
    server_status: SourceStatus = SourceStatus.SCHEDULED
    """The status as the source last stated it."""
    limits: EnvelopeLimits = field(default_factory=EnvelopeLimits)
    """The modes this control sets; unset fields fall back to the default control."""
    reply_to: str | None = None
    """Where the source wants to hear of this event's changes (2030.5 ``replyTo``); None
    means nowhere."""
    reports: frozenset[EventChange] = frozenset()
    """Which changes the source asked to hear of (2030.5 ``responseRequired``)."""

    def __post_init__(self) -> None:
        if not self.mrid:
            raise _invalid("mrid must not be empty")
        if not self.program_id:
            raise _invalid(f"control {self.mrid}: program_id must not be empty")
        for name in ("creation_time", "start", "duration_s"):
            _check_finite(name, getattr(self, name))
        if self.duration_s < 0:
            raise _invalid(f"control {self.mrid}: duration_s must be >= 0")
        for name in ("randomize_start_s", "randomize_duration_s"):
            value = getattr(self, name)
            _check_finite(name, value)
            if not -MAX_RANDOMIZE_S <= value <= MAX_RANDOMIZE_S:
                raise _invalid(f"control {self.mrid}: {name} outside [-3600, 3600]: {value}")
        # Accept plain ints from callers, store the enum (a bad value cannot exist).
        if not isinstance(self.server_status, SourceStatus):
            raise _invalid(f"control {self.mrid}: unknown server status {self.server_status!r}")
        object.__setattr__(self, "reports", frozenset(self.reports))

    @property
    def end(self) -> float:
        """Scheduled end, without randomization [s since epoch]."""
        return self.start + self.duration_s

    def set_modes(self) -> frozenset[str]:
        """Names of the :class:`EnvelopeLimits` fields this control sets."""
        return frozenset(
            f.name for f in fields(self.limits) if getattr(self.limits, f.name) is not None
        )


@dataclass(frozen=True, slots=True)
class DefaultControl:
    """What a program grants when none of its controls is in effect (2030.5
    DefaultDERControl)."""

    program_id: str
    """The program whose default this is."""
    limits: EnvelopeLimits
    """The modes the default sets."""
    mrid: str = ""
    """The DefaultDERControl's mRID, for reporting the source."""

    def __post_init__(self) -> None:
        if not self.program_id:
            raise _invalid("default control: program_id must not be empty")


@dataclass(frozen=True, slots=True)
class ProgramSnapshot:
    """Everything one source currently lists for this site, as fetched in one walk.

    Controls the source no longer lists are treated as withdrawn (see
    :meth:`openderms.client.events.EventEngine.update`).
    """

    programs: tuple[Program, ...] = ()
    controls: tuple[ScheduledControl, ...] = ()
    defaults: tuple[DefaultControl, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "programs", tuple(self.programs))
        object.__setattr__(self, "controls", tuple(self.controls))
        object.__setattr__(self, "defaults", tuple(self.defaults))
        ids = [p.program_id for p in self.programs]
        if len(set(ids)) != len(ids):
            raise _invalid(f"duplicate program ids in snapshot: {sorted(ids)}")
        known = set(ids)
        mrids: set[str] = set()
        for control in self.controls:
            if control.program_id not in known:
                raise _invalid(
                    f"control {control.mrid} names unknown program {control.program_id}"
                )
            if control.mrid in mrids:
                # One mRID is one event, even when listed under two programs.
                raise _invalid(f"control {control.mrid} listed twice")
            mrids.add(control.mrid)
        seen: set[str] = set()
        for default in self.defaults:
            if default.program_id not in known:
                raise _invalid(f"default control names unknown program {default.program_id}")
            if default.program_id in seen:
                raise _invalid(f"program {default.program_id} has two default controls")
            seen.add(default.program_id)

    def program(self, program_id: str) -> Program:
        """The program with this id."""
        for program in self.programs:
            if program.program_id == program_id:
                return program
        raise KeyError(program_id)
