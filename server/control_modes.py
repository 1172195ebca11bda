"""The one table of the control modes the head-end stores and authors.

Each row names a mode once: its store column (also its admin API field and its name in
specs), the 2030.5 wire facts (`openderms.schemas.sep2.control_modes`: element, wire
type, unit, power of ten), the admin API bounds (None: stored and served, not authored
through the admin API), and the words the dashboard shows. Everything else derives from
it: the store columns (`openderms.server.store.models.derp.mode_columns_model`), the
admin body (`openderms.server.admin.schemas.admin_modes_model`), the wire mapping
(`openderms.server.mappers.control_modes`), the authoring rules
(`check_mode_values`) and the dashboard summary (`describe_modes`). A new mode is a new
row (plus the migration that adds its column).

Curve modes are not rows: a control links curves by element name in ``curve_ids``
(`openderms.schemas.sep2.control_modes.CURVE_MODES`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from openderms.schemas.sep2.control_modes import WireMode, wire_mode
from openderms.server.errors import BadRequestError

__all__ = [
    "CONTROL_MODES",
    "CURVE_IDS",
    "AdminBounds",
    "ControlMode",
    "check_mode_values",
    "describe_modes",
    "mode_columns",
    "mode_values",
]

#: The store column (and spec key) holding {curve element name: der_curve.id}.
CURVE_IDS = "curve_ids"


@dataclass(frozen=True, slots=True)
class AdminBounds:
    """The admin API's bounds of a mode's value (inclusive; None: unbounded)."""

    ge: float | None = None
    le: float | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class ControlMode:
    """One control mode.

    Attributes
    ----------
    column : str
        Store column, admin API field and spec key, e.g. ``op_mod_exp_lim_w``.
    wire : WireMode
        The DERControlBase element it maps to.
    value_type : type
        ``bool``, ``int`` or ``float`` (in ``wire.unit``; percentages in percent).
    admin : AdminBounds or None
        Authored through the admin API within these bounds; None: not authored there.
    label : callable or None
        The dashboard's words for a value (None from the callable: no words); a mode
        without a label is listed by its column name.
    companions : tuple of (column, type)
        Further columns the wire element needs (power factor excitation, var reference).
    """

    column: str
    wire: WireMode
    value_type: type[bool] | type[int] | type[float]
    admin: AdminBounds | None = None
    label: Callable[[Any], str | None] | None = None
    companions: tuple[tuple[str, type[bool] | type[int]], ...] = ()


def _kw(value_w: float) -> str:
    return f"{value_w / 1000:g} kW" if abs(value_w) >= 1000 else f"{value_w:g} W"


def _limit(word: str) -> Callable[[Any], str]:
    return lambda value: f"{word} ≤ {_kw(value)}"


_POWER = AdminBounds(ge=0, le=1e9)

#: In the dashboard's order of words.
CONTROL_MODES: tuple[ControlMode, ...] = (
    ControlMode("op_mod_exp_lim_w", wire_mode("opModExpLimW"), float, _POWER, _limit("export")),
    ControlMode("op_mod_imp_lim_w", wire_mode("opModImpLimW"), float, _POWER, _limit("import")),
    ControlMode(
        "op_mod_gen_lim_w", wire_mode("opModGenLimW"), float, _POWER, _limit("generation")
    ),
    ControlMode("op_mod_load_lim_w", wire_mode("opModLoadLimW"), float, _POWER, _limit("load")),
    ControlMode(
        "op_mod_connect",
        wire_mode("opModConnect"),
        bool,
        AdminBounds(),
        lambda on: "connect" if on else "disconnect",
    ),
    ControlMode(
        "op_mod_energize",
        wire_mode("opModEnergize"),
        bool,
        AdminBounds(),
        lambda on: None if on else "de-energize",
    ),
    ControlMode(
        "op_mod_max_lim_w_pct",
        wire_mode("opModMaxLimW"),
        float,
        AdminBounds(ge=0, le=100),
        lambda pct: f"max power ≤ {pct:g} %",
    ),
    ControlMode(
        "op_mod_fixed_w_pct",
        wire_mode("opModFixedW"),
        float,
        AdminBounds(ge=-100, le=100),
        lambda pct: f"fixed power {pct:g} %",
    ),
    ControlMode(
        "op_mod_target_w",
        wire_mode("opModTargetW"),
        float,
        AdminBounds(ge=-1e9, le=1e9),
        lambda watts: f"target {_kw(watts)}",
    ),
    ControlMode(
        # Stored as cos(phi) in [0, 1] with its excitation.
        "op_mod_fixed_pf_inject_w",
        wire_mode("opModFixedPFInjectW"),
        float,
        label=lambda pf: f"PF {pf:g}",
        companions=(("op_mod_fixed_pf_inject_excitation", bool),),
    ),
    ControlMode("op_mod_target_var", wire_mode("opModTargetVar"), float),
    ControlMode(
        "op_mod_fixed_pf_absorb_w",
        wire_mode("opModFixedPFAbsorbW"),
        float,
        companions=(("op_mod_fixed_pf_absorb_excitation", bool),),
    ),
    ControlMode(
        # With the DERUnitRefType its percentage refers to.
        "op_mod_fixed_var_pct",
        wire_mode("opModFixedVar"),
        float,
        companions=(("op_mod_fixed_var_ref", int),),
    ),
    ControlMode(
        "ramp_tms",
        wire_mode("rampTms"),
        int,
        AdminBounds(ge=0, le=65535, description="[1/100 s]"),
    ),
)


def mode_columns(
    modes: Iterable[ControlMode] = CONTROL_MODES,
) -> list[tuple[str, type[bool] | type[int] | type[float]]]:
    """(column, type) of every stored mode value, companions included, in table order."""
    columns: list[tuple[str, type[bool] | type[int] | type[float]]] = []
    for mode in modes:
        columns.append((mode.column, mode.value_type))
        columns.extend(mode.companions)
    return columns


def mode_values(row: object, modes: Iterable[ControlMode] = CONTROL_MODES) -> dict[str, Any]:
    """The set (not None) mode values of a row or spec, by column, with ``curve_ids``."""
    values = {
        column: getattr(row, column)
        for column, _ in mode_columns(modes)
        if getattr(row, column, None) is not None
    }
    curves = getattr(row, CURVE_IDS, None)
    if curves:
        values[CURVE_IDS] = dict(curves)
    return values


def check_mode_values(
    values: Mapping[str, Any], modes: Iterable[ControlMode] = CONTROL_MODES
) -> None:
    """The authoring rules every mode value obeys, whoever authors it.

    Raises
    ------
    BadRequestError
        A percentage outside [-100, 100] (PerCent and SignedPerCent, sep.xsd).
    """
    for mode in modes:
        value = values.get(mode.column)
        if value is not None and mode.wire.unit == "%" and not -100.0 <= value <= 100.0:
            raise BadRequestError(f"{mode.column} is a percentage, got {value}")


def describe_modes(values: Mapping[str, Any], modes: Iterable[ControlMode] = CONTROL_MODES) -> str:
    """What a control asks for, in words: ``export ≤ 1.5 kW, disconnect``.

    ``values`` maps columns to set values (unset modes absent); a mode without a label,
    and any key the table does not know, is listed by name.
    """
    words: list[str] = []
    named: set[str] = {CURVE_IDS}
    for mode in modes:
        if mode.label is None:
            continue
        named.add(mode.column)
        if mode.column in values:
            word = mode.label(values[mode.column])
            if word:
                words.append(word)
    if values.get(CURVE_IDS):
        words.append("curves: " + ", ".join(sorted(values[CURVE_IDS])))
    others = sorted(set(values) - named)
    if others:
        words.append(", ".join(others))
    return ", ".join(words) or "no modes"
