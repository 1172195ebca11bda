"""Envelope -> device commands.

API the gateway runtime calls::

    from openderms.client.dispatch import Dispatcher
    dispatcher = Dispatcher(site, revert_s=300)      # revert timers on every control
    report = await dispatcher.apply(envelope.at(now), now)   # DispatchReport
    report.ok, report.failures, report.unmet, report.device_errors
    # with a planner: its wishes, clamped into the envelope (the DLM sets EV currents)
    report = await dispatcher.apply(limits, now, targets=SiteTargets(battery_power_w=-2000))
    report.targets.clamped

Each :class:`CommandResult` says what was written (with the revert time and the value read
back) or why not (:class:`CommandStatus`); :class:`Unmet` names envelope fields the site
could not honour. The runtime turns failures into 2030.5 Responses and LogEvents.
The arithmetic is pure and tested on its own: :mod:`.site_limits`; the policy: :mod:`.plan`.
"""

from openderms.client.dispatch.dispatcher import DEFAULT_REVERT_S, Dispatcher
from openderms.client.dispatch.report import (
    Command,
    CommandResult,
    CommandStatus,
    DispatchReport,
    Unmet,
)
from openderms.client.dispatch.site_limits import charge_limit_w, pv_limit_w
from openderms.client.dispatch.site_targets import SiteTargets, TargetDecision

__all__ = [
    "DEFAULT_REVERT_S",
    "Command",
    "CommandResult",
    "CommandStatus",
    "DispatchReport",
    "Dispatcher",
    "SiteTargets",
    "TargetDecision",
    "Unmet",
    "charge_limit_w",
    "pv_limit_w",
]
