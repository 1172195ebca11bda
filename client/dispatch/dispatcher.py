"""The dispatcher: applies the envelope in force to the site's devices.

Thin by design (STYLE §5): the arithmetic is in :mod:`.site_limits`, the policy in
:mod:`.plan`; this class reads telemetry, writes the planned commands with revert timers,
reads each one back and reports. Devices run concurrently; a device that fails mid-way
has its remaining commands skipped and reported, and every other device carries on.

A planner's wishes come in as :class:`~.site_targets.SiteTargets`, given to
:meth:`Dispatcher.apply` or asked of the injected :class:`TargetsProvider` (the optimizer
loop) on every cycle; they are clamped into the envelope by
:func:`~.targets.decide_targets` (the DLM sets the EV currents) before the same policy
writes them. Without targets, dispatch is envelope-only, as before.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

from openderms.client.devices.driver import describe_error
from openderms.client.devices.errors import (
    DeviceError,
    DeviceIOError,
    UnsupportedCapabilityError,
    WriteVerifyError,
)
from openderms.client.devices.site import Site
from openderms.client.devices.telemetry import SiteTelemetry
from openderms.client.dispatch.plan import DeviceInfo, plan_commands
from openderms.client.dispatch.report import (
    Command,
    CommandResult,
    CommandStatus,
    DispatchReport,
)
from openderms.client.dispatch.site_targets import SiteTargets
from openderms.client.dispatch.targets import decide_targets
from openderms.client.envelope import EnvelopeLimits

__all__ = ["DEFAULT_REVERT_S", "Dispatcher", "TargetsProvider"]

log = logging.getLogger(__name__)

DEFAULT_REVERT_S = 300.0
"""Revert time written with every control [s]: if the gateway stops refreshing, devices
fall back to their defaults after this long (SunSpec 123 *_RvrtTms, 704 *RvrtTms)."""


class TargetsProvider(Protocol):
    """Whatever says what the site should do now, inside the envelope (a planner)."""

    async def targets(self, now: float, telemetry: SiteTelemetry) -> SiteTargets | None:
        """Setpoints for ``now`` [s since epoch]; None: dispatch envelope-only."""
        ...


class Dispatcher:
    """Writes device setpoints that keep a :class:`Site` inside its envelope."""

    def __init__(
        self,
        site: Site,
        revert_s: float = DEFAULT_REVERT_S,
        margin_w: float = 50.0,
        interval_s: float = 30.0,
        phase_limit_a: float = 63.0,
        targets: TargetsProvider | None = None,
    ) -> None:
        """
        Parameters
        ----------
        site : Site
        revert_s : float
            Revert time written with every control [s]; call :meth:`apply` more often.
        margin_w : float
            Kept below export and import limits [W].
        interval_s : float
            Expected time between two :meth:`apply` calls [s].
        phase_limit_a : float
            Per-phase limit of the connection (fuse) [A]; the DLM keeps every phase under
            it when targets are given.
        targets : TargetsProvider, optional
            Asked for targets on every :meth:`apply` that gives none (the optimizer loop).
        """
        if revert_s <= 0:
            raise ValueError("revert_s must be positive: devices must fall back on their own")
        self.site = site
        self.revert_s = revert_s
        self.margin_w = margin_w
        self.interval_s = interval_s
        self.phase_limit_a = phase_limit_a
        self.targets = targets
        self.last_report: DispatchReport | None = None
        """The report of the last :meth:`apply`."""

    def _infos(self, telemetry: SiteTelemetry) -> list[DeviceInfo]:
        infos = []
        for name, driver in self.site.drivers.items():
            if telemetry.devices.get(name) is None or telemetry.devices[name].error:
                continue
            infos.append(
                DeviceInfo(
                    name,
                    self.site.kind(name),
                    frozenset(driver.capabilities),
                    self.site.configs[name].phases,
                )
            )
        return infos

    async def apply(
        self,
        limits: EnvelopeLimits,
        now: float,
        telemetry: SiteTelemetry | None = None,
        targets: SiteTargets | None = None,
    ) -> DispatchReport:
        """Apply ``limits`` at ``now`` [s since epoch].

        Parameters
        ----------
        limits : EnvelopeLimits
            The limits in force (``GridEnvelope.at(now)``).
        now : float
            Time [s since epoch]; stamps the report.
        telemetry : SiteTelemetry, optional
            A fresh snapshot; read from the site when omitted.
        targets : SiteTargets, optional
            A planner's setpoints for now; clamped into ``limits`` before anything is
            written (the envelope wins). None: the provider's, if the dispatcher has one,
            else envelope-only dispatch.

        Returns
        -------
        DispatchReport
            Every command with its outcome, the envelope fields not honoured, and the
            devices that could not be read.
        """
        if telemetry is None:
            telemetry = await self.site.read_telemetry(now)
        if targets is None and self.targets is not None:
            targets = await self.targets.targets(now, telemetry)
        infos = self._infos(telemetry)
        decision = None
        if targets is not None and not targets.is_empty():
            decision = decide_targets(
                limits,
                telemetry,
                infos,
                targets,
                margin_w=self.margin_w,
                phase_limit_a=self.phase_limit_a,
            )
            # Debug: a binding limit clamps on every cycle; the report carries the lines.
            for line in decision.clamped if decision is not None else ():
                log.debug("%s target clamped: %s", targets.source, line)
        plan = plan_commands(
            limits,
            telemetry,
            infos,
            margin_w=self.margin_w,
            horizon_s=self.interval_s,
            decision=decision,
        )
        by_device: dict[str, list[Command]] = {}
        for command in plan.commands:
            by_device.setdefault(command.device, []).append(command)
        groups = await asyncio.gather(*(self._run(name, cmds) for name, cmds in by_device.items()))
        results = tuple(r for group in groups for r in group)
        for result in results:
            if result.status is not CommandStatus.APPLIED:
                log.warning(
                    "dispatch %s.%s: %s %s",
                    result.command.device,
                    result.command.capability,
                    result.status.value,
                    result.error or "",
                )
        self.last_report = DispatchReport(
            now=now,
            results=results,
            unmet=plan.unmet,
            device_errors=telemetry.errors,
            targets=decision,
        )
        return self.last_report

    async def _run(self, name: str, commands: Sequence[Command]) -> list[CommandResult]:
        driver = self.site.drivers[name]
        results: list[CommandResult] = []
        broken: str | None = None
        for command in commands:
            if broken is not None:
                results.append(CommandResult(command, CommandStatus.SKIPPED, error=broken))
                continue
            try:
                written = await driver.write(
                    command.capability, command.value, revert_s=self.revert_s
                )
            except DeviceIOError as exc:
                broken = describe_error(exc)
                results.append(CommandResult(command, CommandStatus.FAILED, error=broken))
            except WriteVerifyError as exc:
                results.append(CommandResult(command, CommandStatus.NOT_VERIFIED, error=str(exc)))
            except UnsupportedCapabilityError as exc:
                results.append(CommandResult(command, CommandStatus.UNSUPPORTED, error=str(exc)))
            except DeviceError as exc:
                results.append(
                    CommandResult(command, CommandStatus.FAILED, error=describe_error(exc))
                )
            else:
                results.append(
                    CommandResult(
                        command, CommandStatus.APPLIED, written.readback, written.revert_timer_s
                    )
                )
        return results
