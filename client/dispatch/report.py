"""Typed results of a dispatch cycle, for the runtime to turn into 2030.5 Responses and
LogEvents (and OpenADR reports). No I/O."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from openderms.client.dispatch.site_targets import TargetDecision

__all__ = ["Command", "CommandResult", "CommandStatus", "DispatchReport", "Unmet"]


@dataclass(frozen=True, slots=True)
class Command:
    """One capability write the dispatcher wants on one device."""

    device: str
    capability: str
    value: float | bool | int
    reason: str
    """The envelope field (or policy) that asks for it, e.g. "export_limit_w"."""


class CommandStatus(enum.Enum):
    """What became of a command."""

    APPLIED = "applied"
    """Written and read back as written."""
    FAILED = "failed"
    """The device did not answer or refused the write."""
    NOT_VERIFIED = "not_verified"
    """Written, but the read-back differs: the device did not accept the value."""
    UNSUPPORTED = "unsupported"
    """The device (or its discovered models) cannot do this."""
    SKIPPED = "skipped"
    """Not tried because an earlier command on the same device failed."""


@dataclass(frozen=True, slots=True)
class CommandResult:
    """A command and its outcome."""

    command: Command
    status: CommandStatus
    readback: float | bool | int | None = None
    revert_timer_s: float | None = None
    """Revert time written with the value [s]; None when the device has no revert timer."""
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Unmet:
    """An envelope field the site could not honour, and why."""

    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class DispatchReport:
    """Everything one :meth:`Dispatcher.apply` did.

    ``ok`` is True only when every command applied and every envelope field was honoured;
    otherwise the runtime reports the failures (2030.5: a Response with a failure status to
    the control's replyTo, and a LogEvent naming the device).
    """

    now: float
    results: tuple[CommandResult, ...] = ()
    unmet: tuple[Unmet, ...] = ()
    device_errors: dict[str, str] = field(default_factory=dict)
    """Devices that could not be read before dispatching, with the reason."""
    targets: TargetDecision | None = None
    """The planner's setpoints as written, after clamping; None for envelope-only."""

    @property
    def ok(self) -> bool:
        return not self.unmet and all(r.status is CommandStatus.APPLIED for r in self.results)

    @property
    def failures(self) -> list[CommandResult]:
        return [r for r in self.results if r.status is not CommandStatus.APPLIED]

    def for_device(self, name: str) -> list[CommandResult]:
        return [r for r in self.results if r.command.device == name]

    @property
    def without_revert_timer(self) -> list[CommandResult]:
        """Applied commands the device cannot revert on its own if the gateway dies."""
        return [
            r
            for r in self.results
            if r.status is CommandStatus.APPLIED and r.revert_timer_s is None
        ]
