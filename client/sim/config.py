"""Simulator configuration (TOML), validated into dataclasses. Pure apart from file reads."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from openderms.client.sim.errors import SimConfigError

__all__ = [
    "DEVICE_TYPES",
    "SimConfig",
    "SimDeviceConfig",
    "default_config",
    "load_config",
    "parse_config",
]

DEVICE_TYPES: dict[str, str] = {
    "inverter": "sunspec-inverter",
    "battery": "sunspec-battery",
    "meter": "sunspec-meter",
    "evcharger": "evcharger-generic",
    "heatpump": "heatpump-sgready",
}
"""Simulated device type -> the built-in device map that drives it."""


@dataclass(frozen=True, slots=True)
class SimDeviceConfig:
    """One simulated device."""

    name: str
    type: str
    port: int = 0
    """TCP port on the host; 0 picks a free one."""
    params: Mapping[str, Any] = field(default_factory=dict)
    """Type-specific settings (rated_w, capacity_wh, ...)."""

    @property
    def map_name(self) -> str:
        return DEVICE_TYPES[self.type]


@dataclass(frozen=True, slots=True)
class SimConfig:
    """A simulated site."""

    devices: tuple[SimDeviceConfig, ...]
    host: str = "127.0.0.1"
    utc_offset_h: float = 0.0
    house_base_w: float = 400.0
    house_evening_peak_w: float = 1500.0
    step_s: float = 1.0
    """Physics step of the `openderms sim` runtime [s of wall time]."""


_PARAMS: dict[str, dict[str, type]] = {
    "inverter": {"rated_w": float, "peak_w": float, "models": list, "serial": str},
    "battery": {
        "capacity_wh": float,
        "max_charge_w": float,
        "max_discharge_w": float,
        "soc_pct": float,
        "soc_min_pct": float,
        "soc_max_pct": float,
        "models": list,
        "serial": str,
    },
    "meter": {"models": list, "serial": str},
    "evcharger": {
        "max_current_a": float,
        "phases": int,
        "fallback_current_a": float,
        "car_connected": bool,
    },
    "heatpump": {"nominal_w": float, "max_w": float},
}


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SimConfigError(f"{key}: expected a number, got {value!r}")
    return float(value)


def parse_config(data: Mapping[str, Any], origin: str = "<config>") -> SimConfig:
    """Validate a parsed TOML document.

    Raises
    ------
    SimConfigError
        Naming ``origin`` and the offending key.
    """
    site = data.get("site", {})
    if not isinstance(site, Mapping):
        raise SimConfigError(f"{origin}: site: expected a table")
    allowed_site = {"host", "utc_offset_h", "house_base_w", "house_evening_peak_w", "step_s"}
    for key in site:
        if key not in allowed_site:
            raise SimConfigError(f"{origin}: site.{key}: unknown key")
    devices: list[SimDeviceConfig] = []
    names: set[str] = set()
    ports: set[int] = set()
    for index, raw in enumerate(data.get("device", [])):
        where = f"{origin}: device[{index}]"
        if not isinstance(raw, Mapping):
            raise SimConfigError(f"{where}: expected a table")
        name, type_name, port = raw.get("name"), raw.get("type"), raw.get("port", 0)
        if not isinstance(name, str) or not name or name in names:
            raise SimConfigError(f"{where}.name: a unique name is required")
        if type_name not in DEVICE_TYPES:
            raise SimConfigError(f"{where}.type: expected one of {', '.join(DEVICE_TYPES)}")
        if not isinstance(port, int) or not 0 <= port <= 65535 or (port and port in ports):
            raise SimConfigError(f"{where}.port: expected a free port number or 0")
        params: dict[str, Any] = {}
        for key, value in raw.items():
            if key in ("name", "type", "port"):
                continue
            kind = _PARAMS[type_name].get(key)
            if kind is None:
                raise SimConfigError(f"{where}.{key}: unknown setting for a {type_name}")
            if kind is float:
                params[key] = _number(f"{where}.{key}", value)
            elif not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise SimConfigError(f"{where}.{key}: expected {kind.__name__}")
            else:
                params[key] = tuple(value) if isinstance(value, list) else value
        names.add(name)
        if port:
            ports.add(port)
        devices.append(SimDeviceConfig(name=name, type=type_name, port=port, params=params))
    if not devices:
        raise SimConfigError(f"{origin}: device: at least one [[device]] is required")
    return SimConfig(
        devices=tuple(devices),
        host=str(site.get("host", "127.0.0.1")),
        utc_offset_h=_number(f"{origin}: site.utc_offset_h", site.get("utc_offset_h", 0.0)),
        house_base_w=_number(f"{origin}: site.house_base_w", site.get("house_base_w", 400.0)),
        house_evening_peak_w=_number(
            f"{origin}: site.house_evening_peak_w", site.get("house_evening_peak_w", 1500.0)
        ),
        step_s=_number(f"{origin}: site.step_s", site.get("step_s", 1.0)),
    )


def load_config(path: str | Path) -> SimConfig:
    """Load a TOML file."""
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SimConfigError(f"{file.name}: not valid TOML: {exc}") from None
    return parse_config(data, file.name)


def default_config() -> SimConfig:
    """The packaged ``default.toml``: PV, battery, meter, EV charger and heat pump."""
    text = (
        resources.files("openderms.client.sim")
        .joinpath("default.toml")
        .read_text(encoding="utf-8")
    )
    return parse_config(tomllib.loads(text), "default.toml")
