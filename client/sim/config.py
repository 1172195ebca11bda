"""Simulator configuration (TOML), validated into dataclasses. Pure apart from file reads."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast

from openderms.client.devices.device_map import load_map_ref
from openderms.client.devices.errors import MapError
from openderms.client.devices.kinds import DeviceKind
from openderms.client.sim.errors import SimConfigError

__all__ = [
    "DEVICE_TYPES",
    "SUNSPEC_KINDS",
    "TYPE_KINDS",
    "VIRTUAL_SERIAL",
    "SimBusConfig",
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
"""Simulated device type -> the built-in device map that drives it unless ``map`` says."""

TYPE_KINDS: dict[str, DeviceKind] = {
    "inverter": DeviceKind.PV,
    "battery": DeviceKind.BATTERY,
    "meter": DeviceKind.METER,
    "evcharger": DeviceKind.EV_CHARGER,
    "heatpump": DeviceKind.HEAT_PUMP,
}
"""Simulated device type -> the kind of device (and so the physics) it is."""

SUNSPEC_KINDS = frozenset({DeviceKind.PV, DeviceKind.BATTERY, DeviceKind.METER})
"""Kinds the simulator serves as SunSpec models; the others from their map's registers."""

VIRTUAL_SERIAL = "pty"
"""A bus ``serial`` asking `openderms sim` for a virtual cable (a pty pair): the simulator
serves one end and logs the other for the gateway; no adapter or socat needed."""


@dataclass(frozen=True, slots=True)
class SimDeviceConfig:
    """One simulated device."""

    name: str
    type: str
    port: int = 0
    """TCP port on the host; 0 picks a free one."""
    params: Mapping[str, Any] = field(default_factory=dict)
    """Type-specific settings (rated_w, capacity_wh, ...)."""
    bus: str | None = None
    """Name of the RS-485 bus (``[[bus]]``) the device answers on; None: Modbus TCP."""
    unit_id: int = 1
    """Modbus unit id on its bus (1-247, unique per bus); a TCP device answers every id."""
    map: str | None = None
    """The device map the gateway drives it with (a built-in name or a YAML path); a
    raw-register device's registers are laid out by it. None: the type's built-in map."""

    @property
    def map_name(self) -> str:
        return self.map or DEVICE_TYPES[self.type]

    @property
    def kind(self) -> DeviceKind:
        return TYPE_KINDS[self.type]


@dataclass(frozen=True, slots=True)
class SimBusConfig:
    """One simulated RS-485 line: a Modbus RTU server on a serial port, shared by the
    devices whose ``bus`` names it (each answers its own unit id, as on a real line)."""

    name: str
    serial: str
    """Serial device the simulator opens, e.g. ``/dev/ttyUSB1`` or one end of a pty pair;
    ``"pty"`` (:data:`VIRTUAL_SERIAL`) asks `openderms sim` to make a virtual cable."""
    baudrate: int = 9600
    parity: Literal["N", "E", "O"] = "N"
    stopbits: int = 1
    bytesize: int = 8


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
    buses: tuple[SimBusConfig, ...] = ()
    """RS-485 lines served over Modbus RTU."""


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
    buses = _parse_buses(data.get("bus", []), origin)
    bus_units: dict[str, set[int]] = {b.name: set() for b in buses}
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
        map_ref = raw.get("map")
        if map_ref is not None:
            type_name = _type_of_map(where, map_ref, type_name)
        if type_name not in DEVICE_TYPES:
            raise SimConfigError(f"{where}.type: expected one of {', '.join(DEVICE_TYPES)}")
        if not isinstance(port, int) or not 0 <= port <= 65535 or (port and port in ports):
            raise SimConfigError(f"{where}.port: expected a free port number or 0")
        bus, unit_id = raw.get("bus"), raw.get("unit_id")
        if bus is not None:
            if bus not in bus_units:
                raise SimConfigError(f"{where}.bus: no [[bus]] named {bus!r}")
            if "port" in raw:
                raise SimConfigError(f"{where}.port: a device on a bus has no TCP port")
            unit_id = 1 if unit_id is None else unit_id
            # Modbus over serial line V1.02 2.2: 1-247 are individual addresses (0 broadcasts).
            if (
                isinstance(unit_id, bool)
                or not isinstance(unit_id, int)
                or not 1 <= unit_id <= 247
            ):
                raise SimConfigError(f"{where}.unit_id: expected 1-247")
            if unit_id in bus_units[bus]:
                raise SimConfigError(f"{where}.unit_id: {unit_id} is taken on bus {bus!r}")
            bus_units[bus].add(unit_id)
        elif unit_id is not None:
            raise SimConfigError(f"{where}.unit_id: only for a device on a bus (TCP answers any)")
        params: dict[str, Any] = {}
        for key, value in raw.items():
            if key in ("name", "type", "port", "bus", "unit_id", "map"):
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
        devices.append(
            SimDeviceConfig(
                name=name,
                type=type_name,
                port=port,
                params=params,
                bus=bus,
                unit_id=1 if unit_id is None else unit_id,
                map=map_ref,
            )
        )
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
        buses=buses,
    )


def _type_of_map(where: str, map_ref: Any, type_name: Any) -> str:
    """The simulated type a ``map`` asks for: its kind's (checked against ``type`` if given).

    A raw-register map can be simulated only for a kind whose physics reads registers by
    capability; a SunSpec kind's physics writes SunSpec points, so its map must be SunSpec.
    """
    if not isinstance(map_ref, str) or not map_ref:
        raise SimConfigError(f"{where}.map: a built-in map name or a YAML path")
    try:
        device_map = load_map_ref(map_ref)
    except MapError as exc:
        raise SimConfigError(f"{where}.map: {exc}") from None
    kind_type = next(t for t, k in TYPE_KINDS.items() if k == device_map.kind)
    if type_name is not None and type_name != kind_type:
        raise SimConfigError(
            f"{where}.type: {type_name!r}, but map {device_map.name!r} is a {device_map.kind}"
        )
    if device_map.uses_sunspec != (device_map.kind in SUNSPEC_KINDS):
        raise SimConfigError(
            f"{where}.map: the simulator serves a {device_map.kind} "
            + ("from SunSpec models" if device_map.kind in SUNSPEC_KINDS else "from registers")
            + f", but {device_map.name!r} is "
            + ("a SunSpec map" if device_map.uses_sunspec else "a register map")
        )
    return kind_type


_BUS_KEYS = {"name", "serial", "baudrate", "parity", "stopbits", "bytesize"}


def _parse_buses(raw_buses: Any, origin: str) -> tuple[SimBusConfig, ...]:
    if not isinstance(raw_buses, list):
        raise SimConfigError(f"{origin}: bus: expected [[bus]] tables")
    buses: list[SimBusConfig] = []
    for index, raw in enumerate(raw_buses):
        where = f"{origin}: bus[{index}]"
        if not isinstance(raw, Mapping):
            raise SimConfigError(f"{where}: expected a table")
        for key in raw:
            if key not in _BUS_KEYS:
                raise SimConfigError(f"{where}.{key}: unknown key")
        name, serial = raw.get("name"), raw.get("serial")
        if not isinstance(name, str) or not name or any(b.name == name for b in buses):
            raise SimConfigError(f"{where}.name: a unique name is required")
        taken = serial != VIRTUAL_SERIAL and any(b.serial == serial for b in buses)
        if not isinstance(serial, str) or not serial or taken:
            raise SimConfigError(f"{where}.serial: a serial port path, one bus per port")
        ints: dict[str, int] = {}
        for key, default, allowed in (
            ("baudrate", 9600, None),
            ("stopbits", 1, (1, 2)),
            ("bytesize", 8, (7, 8)),
        ):
            value = raw.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise SimConfigError(f"{where}.{key}: expected a positive integer")
            if allowed is not None and value not in allowed:
                raise SimConfigError(f"{where}.{key}: expected one of {allowed}")
            ints[key] = value
        parity = raw.get("parity", "N")
        if parity not in ("N", "E", "O"):
            raise SimConfigError(f"{where}.parity: expected N, E or O")
        buses.append(
            SimBusConfig(
                name=name,
                serial=serial,
                parity=cast(Literal["N", "E", "O"], parity),
                **ints,
            )
        )
    return tuple(buses)


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
