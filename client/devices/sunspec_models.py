"""SunSpec model definitions, loaded from pysunspec2's model JSON, and their register layout.

Nothing is retyped here: ``sunspec2/models/json/model_<id>.json`` is the source of every
point name, type, size and scale-factor reference. Pure (file reads only, cached).

A point is addressed by a path relative to its model: ``"W"`` for a top-level point,
``"PFWInj.PF"`` for a point of a fixed group, ``"module[1].DCW"`` for the second instance of
a repeating group. Offsets count from the model's ID register (offset 0 = ID, 1 = L).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from openderms.client.devices.codec import POINT_TYPES, registers_for
from openderms.client.devices.errors import CodecError

__all__ = [
    "GroupDef",
    "ModelDef",
    "ModelLayout",
    "PointDef",
    "PointSlot",
    "layout",
    "load_model",
    "parse_point_ref",
]


@dataclass(frozen=True, slots=True)
class PointDef:
    """One point of a model definition."""

    name: str
    type: str
    size: int
    """[registers]"""
    sf: str | int | None
    """Name of the scale-factor point, a constant exponent, or None."""
    units: str | None
    writable: bool
    symbols: Mapping[str, int]
    """Enumeration or bit names to values."""


@dataclass(frozen=True, slots=True)
class GroupDef:
    """A group of points and sub-groups; ``count`` None is one instance."""

    name: str
    points: tuple[PointDef, ...]
    groups: tuple[GroupDef, ...]
    count: int | str | None
    """None: exactly one; int > 0: fixed; 0: repeats to fill the model; str: a count point."""

    @property
    def fixed_length(self) -> int:
        """Registers of one instance, counting fixed sub-groups, not repeating ones [registers]."""
        own = sum(p.size for p in self.points)
        for group in self.groups:
            if group.count is None or (isinstance(group.count, int) and group.count > 0):
                own += group.fixed_length * (group.count or 1)
        return own


@dataclass(frozen=True, slots=True)
class ModelDef:
    """A SunSpec model: its id and top-level group."""

    id: int
    group: GroupDef

    @property
    def fixed_length(self) -> int:
        """Length (the L register) without repeating groups [registers]; excludes ID and L."""
        return self.group.fixed_length - 2


def _point(raw: Mapping[str, Any]) -> PointDef:
    type_name = str(raw["type"])
    if type_name not in POINT_TYPES:
        raise CodecError(f"point {raw.get('name')!r} has unknown type {type_name!r}")
    size = int(raw.get("size", 0)) or registers_for(type_name)
    symbols = {str(s["name"]): int(s["value"]) for s in raw.get("symbols", ())}
    return PointDef(
        name=str(raw["name"]),
        type=type_name,
        size=size,
        sf=raw.get("sf"),
        units=raw.get("units"),
        writable=raw.get("access") == "RW",
        symbols=symbols,
    )


def _group(raw: Mapping[str, Any]) -> GroupDef:
    return GroupDef(
        name=str(raw["name"]),
        points=tuple(_point(p) for p in raw.get("points", ())),
        groups=tuple(_group(g) for g in raw.get("groups", ())),
        count=raw.get("count"),
    )


@functools.cache
def load_model(model_id: int) -> ModelDef:
    """The definition of SunSpec model ``model_id`` from pysunspec2's JSON.

    Raises
    ------
    CodecError
        pysunspec2 ships no definition for this model.
    """
    path = resources.files("sunspec2").joinpath("models", "json", f"model_{model_id}.json")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CodecError(f"no SunSpec model definition for model {model_id}") from None
    return ModelDef(id=int(raw["id"]), group=_group(raw["group"]))


@dataclass(frozen=True, slots=True)
class PointSlot:
    """Where one point of a model instance sits."""

    path: str
    offset: int
    """From the model's ID register [registers]."""
    point: PointDef
    sf_path: str | None
    """Path of the scale-factor point, if the point has one by name."""
    sf_const: int | None
    """Constant scale factor exponent, if the model gives a number."""


@dataclass(frozen=True, slots=True)
class ModelLayout:
    """Register layout of one model instance with a given length."""

    model: ModelDef
    length: int
    """The L register [registers]."""
    slots: Mapping[str, PointSlot]

    def slot(self, path: str) -> PointSlot:
        """The slot of ``path``; raises CodecError naming the point when the model lacks it."""
        try:
            return self.slots[path]
        except KeyError:
            raise CodecError(f"model {self.model.id} has no point {path!r}") from None


def _instances(group: GroupDef, remaining: int, counts: Mapping[str, int], strict: bool) -> int:
    if group.count is None:
        return 1
    if isinstance(group.count, int) and group.count > 0:
        return group.count
    if isinstance(group.count, str) and group.count in counts:
        return counts[group.count]
    # count 0, or a count point we were not told: repeat to fill what is left of the model.
    per = group.fixed_length
    if not strict:
        return max(0, remaining) // per if per > 0 else 0
    if per <= 0 or remaining % per:
        raise CodecError(
            f"cannot fit repeating group {group.name!r} ({per} registers) into {remaining}"
        )
    return remaining // per


def _walk(
    group: GroupDef,
    prefix: str,
    offset: int,
    scope: Mapping[str, str],
    end: int,
    counts: Mapping[str, int],
    out: dict[str, PointSlot],
    strict: bool,
) -> int:
    names = {p.name: f"{prefix}{p.name}" for p in group.points}
    visible = {**scope, **names}
    for point in group.points:
        sf_path = point.sf if isinstance(point.sf, str) else None
        if sf_path is not None:
            if sf_path not in visible:
                raise CodecError(f"scale factor {sf_path!r} of {point.name!r} is not defined")
            sf_path = visible[sf_path]
        out[f"{prefix}{point.name}"] = PointSlot(
            path=f"{prefix}{point.name}",
            offset=offset,
            point=point,
            sf_path=sf_path,
            sf_const=point.sf if isinstance(point.sf, int) else None,
        )
        offset += point.size
    for sub in group.groups:
        n = _instances(sub, end - offset, counts, strict)
        for index in range(n):
            label = sub.name if sub.count is None else f"{sub.name}[{index}]"
            offset = _walk(sub, f"{prefix}{label}.", offset, visible, end, counts, out, strict)
    return offset


def layout(
    model_id: int,
    length: int | None = None,
    counts: Mapping[str, int] | None = None,
    strict: bool = True,
) -> ModelLayout:
    """Lay out a model instance: the offset of every point.

    Parameters
    ----------
    model_id : int
        SunSpec model id.
    length : int, optional
        The model's L register [registers]; defaults to the length without repeating groups.
    counts : mapping, optional
        Values of count points (e.g. ``{"NPt": 4}``) for groups whose repeat count a point
        gives; a group whose count is not given repeats to fill the remaining length.
    strict : bool
        False accepts a length that differs from the definition, as devices built to an
        older revision report (model 1 with L = 65, before Pad was added): points past
        the end are left out and extra registers are ignored.

    Raises
    ------
    CodecError
        Unknown model, or a length the groups cannot fill exactly.
    """
    model = load_model(model_id)
    total = (model.fixed_length if length is None else length) + 2
    slots: dict[str, PointSlot] = {}
    used = _walk(model.group, "", 0, {}, total, counts or {}, slots, strict)
    if not strict:
        slots = {k: v for k, v in slots.items() if v.offset + v.point.size <= total}
    elif used != total:
        raise CodecError(f"model {model_id} with length {total - 2} lays out {used - 2} registers")
    return ModelLayout(model=model, length=total - 2, slots=slots)


def parse_point_ref(ref: str) -> tuple[int, str]:
    """Split ``"704:WMaxLimPct"`` into ``(704, "WMaxLimPct")``.

    Raises
    ------
    CodecError
        Not of the form ``<model id>:<point path>``.
    """
    model_text, sep, path = ref.partition(":")
    if not sep or not model_text.strip().isdigit() or not path.strip():
        raise CodecError(f"point reference {ref!r} is not '<model>:<point>'")
    return int(model_text), path.strip()
