"""The capability names device maps map registers onto, with their units and direction.

Sign conventions (the envelope's, see :mod:`openderms.client.envelope`):
- a DER's ``active_power_w`` is positive when it generates or discharges into the site;
- a meter's ``active_power_w`` is the site power at the connection point, positive when
  importing from the grid;
- ``charge_limit_w`` and ``discharge_limit_w`` bound battery power; a negative charge limit
  forces a discharge of at least that much, and the other way round (SunSpec model 124).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CAPABILITIES", "Capability"]


@dataclass(frozen=True, slots=True)
class Capability:
    """A named quantity or control a device may offer."""

    name: str
    unit: str
    writable: bool
    kind: str = "float"
    """"float", "bool" or "int"."""
    doc: str = ""


def _c(name: str, unit: str, writable: bool, kind: str = "float", doc: str = "") -> Capability:
    return Capability(name, unit, writable, kind, doc)


CAPABILITIES: dict[str, Capability] = {
    c.name: c
    for c in (
        # measurements
        _c("active_power_w", "W", False, doc="DER: + generates; meter: + imports"),
        _c("reactive_power_var", "var", False),
        _c("power_factor", "", False, doc="displacement power factor, signed as active power"),
        _c("voltage_v", "V", False),
        _c("frequency_hz", "Hz", False),
        _c("current_a", "A", False),
        _c("energy_exported_wh", "Wh", False, doc="lifetime energy delivered to the grid/site"),
        _c("energy_imported_wh", "Wh", False, doc="lifetime energy taken from the grid/site"),
        _c("soc_pct", "%", False),
        _c("connected", "", False, "bool"),
        _c("status", "", False, "int"),
        # ratings
        _c("rated_power_w", "W", False),
        _c("capacity_wh", "Wh", False),
        _c("max_charge_w", "W", False),
        _c("max_discharge_w", "W", False),
        _c("max_current_a", "A", False),
        # controls
        _c("power_limit_pct", "%", True, doc="active power limit, % of rated power"),
        _c("power_limit_w", "W", True, doc="active power limit for loads/DER without pct"),
        _c("connect", "", True, "bool", doc="False disconnects from the grid"),
        _c("charge_limit_w", "W", True, doc="max charge; negative forces discharge"),
        _c("discharge_limit_w", "W", True, doc="max discharge; negative forces charge"),
        _c("battery_connect", "", True, "bool", doc="battery bank contactor"),
        _c("current_limit_a", "A", True, doc="EV charging current limit per phase"),
        _c("charge_enable", "", True, "bool", doc="EV charging allowed"),
        _c("sg_ready_mode", "", True, "int", doc="SG-Ready state 1 (blocked) .. 4 (forced on)"),
    )
}
