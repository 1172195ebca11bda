"""Device profiles as data: YAML register maps, validated when loaded.

A map names, for each capability (:mod:`.capabilities`), one or more *sources* in order of
preference. A source is a SunSpec point (``point: "704:WMaxLimPct"``, checked against
pysunspec2's model JSON), a raw register (``register: {address, type, scale, unit,
table, access}``) or a constant (``const: 11000``). The first source whose SunSpec model the
device offers is used, so one map covers the 7xx models and the legacy 1xx ones.

A writable source may add:

``enable``
    ``{point|register, value}`` written after the value (e.g. ``WMaxLimPctEna = 1``), or
    ``{point|register, bits}`` OR-ed into a bitfield (``StorCtl_Mod``); a list of them is
    written in order (704 ``WSetMod = WATTS`` then ``WSetEna = 1``).
``revert_timer``
    A point or register that receives the revert time [s]: the device falls back to its
    default if the gateway stops refreshing the value (SunSpec 123 ``*_RvrtTms``, 704
    ``*RvrtTms``; a charger's communication timeout).
``values``
    For bool/int capabilities, the register value for each capability value.
``pct_of``
    Write the value as a percentage of another capability's reading (SunSpec 124 writes
    charge rates as % of ``WChaMax``).
``scale``
    Extra multiplier applied after the SunSpec scale factor (-1 flips a sign convention).

Every error names the file and the key path, e.g.
``sunspec-inverter.yaml: capabilities.power_limit_pct[0].point: model 704 has no point 'X'``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

from openderms.client.devices.capabilities import CAPABILITIES
from openderms.client.devices.codec import POINT_TYPES, decode, encode
from openderms.client.devices.errors import CodecError, MapError
from openderms.client.devices.kinds import DeviceKind
from openderms.client.devices.sunspec_models import layout, parse_point_ref

__all__ = [
    "DeviceMap",
    "Enable",
    "RegisterTarget",
    "Source",
    "SunSpecTarget",
    "Target",
    "builtin_map_names",
    "load_builtin_map",
    "load_map",
    "load_map_ref",
    "parse_map",
]


@dataclass(frozen=True, slots=True)
class SunSpecTarget:
    """A SunSpec point: model id and point path."""

    model_id: int
    path: str

    def __str__(self) -> str:
        return f"{self.model_id}:{self.path}"


@dataclass(frozen=True, slots=True)
class RegisterTarget:
    """A raw Modbus register (or run of registers)."""

    address: int
    type: str
    size: int
    scale: float = 1.0
    """value = decoded × scale."""
    unit: str = ""
    table: Literal["holding", "input"] = "holding"
    writable: bool = False

    def __str__(self) -> str:
        return f"{self.table}:{self.address}({self.type})"

    def decode(self, registers: list[int]) -> float | None:
        """The register value in the register's unit (decoded × scale); None when the
        registers hold the type's "unimplemented" pattern."""
        raw = decode(self.type, registers)
        if raw is None or isinstance(raw, str):
            return None
        return float(raw) * self.scale

    def encode(self, value: float) -> list[int]:
        """Registers holding ``value`` (in the register's unit), rounded to a whole count
        unless the type is a float."""
        raw = value / self.scale
        is_float = POINT_TYPES[self.type].kind == "float"
        return encode(self.type, raw if is_float else round(raw), self.size)


Target = SunSpecTarget | RegisterTarget


@dataclass(frozen=True, slots=True)
class Enable:
    """A register written to arm a control after its value."""

    target: Target
    value: int | None = None
    bits: int | None = None


@dataclass(frozen=True, slots=True)
class Source:
    """One way to reach a capability."""

    target: Target | None
    const: float | None = None
    scale: float = 1.0
    values: Mapping[Any, int] = field(default_factory=dict)
    enable: tuple[Enable, ...] = ()
    revert_timer: Target | None = None
    pct_of: str | None = None

    @property
    def models(self) -> set[int]:
        """SunSpec models this source needs."""
        targets = [self.target, self.revert_timer, *(e.target for e in self.enable)]
        return {t.model_id for t in targets if isinstance(t, SunSpecTarget)}

    def to_capability(self, capability: str, value: float | None) -> float | bool | int | None:
        """A register value (scale factor or register scale applied) in the capability's
        unit and type: through ``values``, as a bool or int, or times ``scale``; None for an
        unimplemented register or a value ``values`` does not list."""
        if self.const is not None:
            return self.const
        if value is None:
            return None
        kind = CAPABILITIES[capability].kind
        if self.values:
            for cap_value, raw in self.values.items():
                if raw == value:
                    return bool(cap_value) if kind == "bool" else cap_value
            return None
        if kind == "bool":
            return value != 0
        if kind == "int":
            return int(value)
        return value * self.scale

    def to_register(self, capability: str, value: float | bool | int) -> float:
        """The inverse of :meth:`to_capability`: the register value for a capability value.

        Raises
        ------
        CodecError
            ``values`` has no register value for ``value``.
        """
        if self.values:
            key = bool(value) if CAPABILITIES[capability].kind == "bool" else value
            if key not in self.values:
                raise CodecError(f"{capability} has no register value for {value!r}")
            return float(self.values[key])
        return float(value) / self.scale


@dataclass(frozen=True, slots=True)
class DeviceMap:
    """A validated device profile."""

    name: str
    kind: DeviceKind
    description: str
    capabilities: Mapping[str, tuple[Source, ...]]

    @property
    def uses_sunspec(self) -> bool:
        return any(s.models for sources in self.capabilities.values() for s in sources)


class _Ctx:
    def __init__(self, origin: str) -> None:
        self.origin = origin

    def fail(self, key: str, message: str) -> MapError:
        return MapError(f"{self.origin}: {key}: {message}")


def _sunspec_target(ctx: _Ctx, key: str, ref: Any, need_write: bool) -> SunSpecTarget:
    if not isinstance(ref, str):
        raise ctx.fail(key, f"expected '<model>:<point>', got {ref!r}")
    try:
        model_id, path = parse_point_ref(ref)
        slot = layout(model_id).slots.get(path)
    except CodecError as exc:
        raise ctx.fail(key, str(exc)) from None
    if slot is None:
        raise ctx.fail(key, f"model {model_id} has no point {path!r}")
    if need_write and not slot.point.writable:
        raise ctx.fail(key, f"point {ref} is read-only in model {model_id}")
    return SunSpecTarget(model_id, path)


def _register_target(ctx: _Ctx, key: str, raw: Any, need_write: bool) -> RegisterTarget:
    if not isinstance(raw, Mapping):
        raise ctx.fail(key, "expected a mapping with address and type")
    unknown = set(raw) - {"address", "type", "size", "scale", "unit", "table", "access"}
    if unknown:
        raise ctx.fail(f"{key}.{sorted(unknown)[0]}", "unknown key")
    address = raw.get("address")
    if not isinstance(address, int) or not 0 <= address <= 0xFFFF:
        raise ctx.fail(f"{key}.address", f"expected 0..65535, got {address!r}")
    type_name = raw.get("type")
    if type_name not in POINT_TYPES:
        raise ctx.fail(f"{key}.type", f"unknown register type {type_name!r}")
    ptype = POINT_TYPES[type_name]
    size = raw.get("size", ptype.size)
    if not isinstance(size, int) or size < 1 or (ptype.size and size != ptype.size):
        raise ctx.fail(f"{key}.size", f"bad size {size!r} for {type_name}")
    table = raw.get("table", "holding")
    if table not in ("holding", "input"):
        raise ctx.fail(f"{key}.table", f"expected holding or input, got {table!r}")
    access = raw.get("access", "r")
    if access not in ("r", "rw", "w"):
        raise ctx.fail(f"{key}.access", f"expected r, rw or w, got {access!r}")
    writable = access != "r"
    if need_write and (not writable or table == "input"):
        raise ctx.fail(key, "a control needs a writable holding register (access: rw)")
    scale_value = raw.get("scale", 1)
    if not isinstance(scale_value, int | float) or scale_value == 0:
        raise ctx.fail(f"{key}.scale", f"expected a non-zero number, got {scale_value!r}")
    return RegisterTarget(
        address=address,
        type=str(type_name),
        size=size,
        scale=float(scale_value),
        unit=str(raw.get("unit", "")),
        table=table,
        writable=writable,
    )


def _target(ctx: _Ctx, key: str, raw: Any, need_write: bool) -> Target:
    if isinstance(raw, str):
        return _sunspec_target(ctx, key, raw, need_write)
    if isinstance(raw, Mapping) and "point" in raw:
        return _sunspec_target(ctx, f"{key}.point", raw["point"], need_write)
    if isinstance(raw, Mapping) and "register" in raw:
        return _register_target(ctx, f"{key}.register", raw["register"], need_write)
    raise ctx.fail(key, "expected a point reference or a register")


_SOURCE_KEYS = {
    "point",
    "register",
    "const",
    "scale",
    "values",
    "enable",
    "revert_timer",
    "pct_of",
}


def _source(ctx: _Ctx, key: str, raw: Any, capability: str) -> Source:
    cap = CAPABILITIES[capability]
    if not isinstance(raw, Mapping):
        raise ctx.fail(key, "expected a mapping (point, register or const)")
    unknown = set(raw) - _SOURCE_KEYS
    if unknown:
        raise ctx.fail(f"{key}.{sorted(unknown)[0]}", "unknown key")
    kinds = [k for k in ("point", "register", "const") if k in raw]
    if len(kinds) != 1:
        raise ctx.fail(key, "give exactly one of point, register or const")
    if "const" in raw:
        if cap.writable or not isinstance(raw["const"], int | float):
            raise ctx.fail(f"{key}.const", "a constant must be a number for a readable capability")
        return Source(target=None, const=float(raw["const"]))
    target = _target(ctx, key, raw, cap.writable)
    scale_value = raw.get("scale", 1)
    if not isinstance(scale_value, int | float) or scale_value == 0:
        raise ctx.fail(f"{key}.scale", f"expected a non-zero number, got {scale_value!r}")
    values = raw.get("values", {})
    if not isinstance(values, Mapping) or not all(isinstance(v, int) for v in values.values()):
        raise ctx.fail(f"{key}.values", "expected a mapping of capability values to integers")
    if cap.kind == "bool" and cap.writable and set(values) - {True, False}:
        raise ctx.fail(f"{key}.values", "a bool capability maps true and false")
    enables: list[Enable] = []
    specs = raw.get("enable", [])
    for index, spec in enumerate(specs if isinstance(specs, list) else [specs]):
        where = f"{key}.enable[{index}]" if isinstance(specs, list) else f"{key}.enable"
        if not isinstance(spec, Mapping) or ("value" in spec) == ("bits" in spec):
            raise ctx.fail(where, "expected a point or register with value or bits")
        target_spec = {k: v for k, v in spec.items() if k in ("point", "register")}
        enable_value, bits = spec.get("value"), spec.get("bits")
        if not isinstance(enable_value if bits is None else bits, int):
            raise ctx.fail(where, "value/bits must be an integer")
        enables.append(Enable(_target(ctx, where, target_spec, True), enable_value, bits))
    revert = None
    if "revert_timer" in raw:
        revert = _target(ctx, f"{key}.revert_timer", raw["revert_timer"], True)
    pct_of = raw.get("pct_of")
    if pct_of is not None and (pct_of not in CAPABILITIES or CAPABILITIES[pct_of].writable):
        raise ctx.fail(f"{key}.pct_of", f"{pct_of!r} is not a readable capability")
    if not cap.writable and (enables or revert or pct_of):
        raise ctx.fail(key, f"{capability} is read-only: enable/revert_timer/pct_of do not apply")
    return Source(
        target=target,
        scale=float(scale_value),
        values=dict(values),
        enable=tuple(enables),
        revert_timer=revert,
        pct_of=pct_of,
    )


def parse_map(data: Any, origin: str = "<map>") -> DeviceMap:
    """Validate a parsed YAML document and build a :class:`DeviceMap`.

    Raises
    ------
    MapError
        Naming ``origin`` and the offending key.
    """
    ctx = _Ctx(origin)
    if not isinstance(data, Mapping):
        raise ctx.fail("(top)", "expected a mapping")
    unknown = set(data) - {"name", "kind", "description", "capabilities"}
    if unknown:
        raise ctx.fail(sorted(unknown)[0], "unknown key")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise ctx.fail("name", "required string")
    kind = data.get("kind")
    if kind not in set(DeviceKind):
        raise ctx.fail("kind", f"expected one of {', '.join(DeviceKind)}, got {kind!r}")
    caps_raw = data.get("capabilities")
    if not isinstance(caps_raw, Mapping) or not caps_raw:
        raise ctx.fail("capabilities", "required mapping")
    capabilities: dict[str, tuple[Source, ...]] = {}
    for cap_name, raw in caps_raw.items():
        key = f"capabilities.{cap_name}"
        if cap_name not in CAPABILITIES:
            raise ctx.fail(key, f"unknown capability {cap_name!r}")
        items = raw if isinstance(raw, list) else [raw]
        if not items:
            raise ctx.fail(key, "needs at least one source")
        capabilities[cap_name] = tuple(
            _source(ctx, f"{key}[{i}]" if isinstance(raw, list) else key, item, cap_name)
            for i, item in enumerate(items)
        )
    for cap_name, sources in capabilities.items():
        for source in sources:
            if source.pct_of and source.pct_of not in capabilities:
                raise ctx.fail(f"capabilities.{cap_name}.pct_of", f"map has no {source.pct_of!r}")
    return DeviceMap(
        name=name,
        kind=DeviceKind(kind),
        description=str(data.get("description", "")),
        capabilities=capabilities,
    )


def load_map(path: str | Path) -> DeviceMap:
    """Load and validate a YAML map file."""
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise MapError(f"{file.name}: not valid YAML: {exc}") from None
    return parse_map(data, file.name)


def load_map_ref(ref: str) -> DeviceMap:
    """A map by reference, as configs give it: a path to a YAML file, or a built-in name."""
    return load_map(ref) if ref.endswith((".yaml", ".yml")) else load_builtin_map(ref)


def builtin_map_names() -> list[str]:
    """Names of the maps shipped in ``openderms.client.devices.maps``."""
    folder = resources.files("openderms.client.devices").joinpath("maps")
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def load_builtin_map(name: str) -> DeviceMap:
    """Load a shipped map by name (``"sunspec-inverter"``)."""
    file = resources.files("openderms.client.devices").joinpath("maps", f"{name}.yaml")
    if not file.is_file():
        raise MapError(f"no built-in device map {name!r}; have {', '.join(builtin_map_names())}")
    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    return parse_map(data, f"{name}.yaml")
