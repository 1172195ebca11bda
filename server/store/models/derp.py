"""DERProgram, DERControl, DefaultDERControl and DERCurve."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Index
from sqlmodel import Field, SQLModel

from openderms.server.store.models._base import epoch_field, id_field

__all__ = [
    "ControlModeColumns",
    "DERControlRow",
    "DERCurveRow",
    "DERProgramRow",
    "DefaultDERControlRow",
]


class DERProgramRow(SQLModel, table=True):
    """A DERProgram; lower ``primacy`` wins across programs (2030.5 §10.10)."""

    __tablename__ = "der_program"

    id: int | None = id_field()
    mrid: str = Field(max_length=32, unique=True)
    description: str = Field(default="", max_length=32)
    primacy: int
    created_time: int = epoch_field()
    changed_time: int = epoch_field()


class ControlModeColumns(SQLModel):
    """The DERControlBase modes the head-end authors (CSIP and CSIP-AUS).

    None means "mode not set". Percentages are in percent (the wire uses hundredths),
    powers in watts, ``ramp_tms`` in hundredths of a second as on the wire.
    """

    op_mod_connect: bool | None = None
    op_mod_energize: bool | None = None
    op_mod_fixed_w_pct: float | None = None
    op_mod_max_lim_w_pct: float | None = None
    op_mod_target_w: float | None = None
    op_mod_target_var: float | None = None
    #: (displacement power factor, excitation) pairs, stored as cos(phi) in [0, 1].
    op_mod_fixed_pf_inject_w: float | None = None
    op_mod_fixed_pf_inject_excitation: bool | None = None
    op_mod_fixed_pf_absorb_w: float | None = None
    op_mod_fixed_pf_absorb_excitation: bool | None = None
    op_mod_fixed_var_pct: float | None = None
    #: DERUnitRefType of op_mod_fixed_var_pct.
    op_mod_fixed_var_ref: int | None = None
    op_mod_exp_lim_w: float | None = None
    op_mod_imp_lim_w: float | None = None
    op_mod_gen_lim_w: float | None = None
    op_mod_load_lim_w: float | None = None
    ramp_tms: int | None = None
    #: Curve modes: DERControlBase element name (e.g. "opModVoltVar") -> der_curve.id.
    curve_ids: dict[str, int] = Field(default_factory=dict, sa_type=JSON)


class DERControlRow(ControlModeColumns, table=True):
    """A scheduled DERControl event.

    Its EventStatus is derived at read time from ``start_time``/``duration_s`` and the
    stored facts ``cancelled_time`` and ``superseded_time`` (never stored as a status).
    """

    __tablename__ = "der_control"
    __table_args__ = (Index("ix_der_control_program_start", "program_id", "start_time"),)

    id: int | None = id_field()
    program_id: int = Field(foreign_key="der_program.id", ondelete="CASCADE", index=True)
    mrid: str = Field(max_length=32, unique=True)
    description: str = Field(default="", max_length=32)
    creation_time: int = epoch_field()
    start_time: int = epoch_field()
    duration_s: int = Field(sa_type=BigInteger)  # DateTimeInterval.duration, UInt32
    randomize_start_s: int | None = None
    randomize_duration_s: int | None = None
    #: When the utility cancelled it; None = not cancelled.
    cancelled_time: int | None = epoch_field(nullable=True)
    #: Cancelled with randomization (EventStatus 4) rather than plainly (2).
    cancel_randomized: bool = False
    #: When a later control in the same program overlapping this one was created.
    superseded_time: int | None = epoch_field(nullable=True)
    superseded_by_id: int | None = None


class DefaultDERControlRow(ControlModeColumns, table=True):
    """A program's DefaultDERControl; rows are appended, the latest (highest id) applies."""

    __tablename__ = "default_der_control"

    id: int | None = id_field()
    program_id: int = Field(foreign_key="der_program.id", ondelete="CASCADE", index=True)
    mrid: str = Field(max_length=32, unique=True)
    description: str = Field(default="", max_length=32)
    created_time: int = epoch_field()
    #: Ramp rate for default changes [hundredths of a percent of max W per second].
    set_grad_w: int | None = None
    set_soft_grad_w: int | None = None
    set_es_delay: int | None = None
    set_es_random_delay: int | None = None
    set_es_ramp_tms: int | None = None
    set_es_high_freq: int | None = None
    set_es_low_freq: int | None = None
    set_es_high_volt: int | None = None
    set_es_low_volt: int | None = None


class DERCurveRow(SQLModel, table=True):
    """A DERCurve referenced by curve modes of controls of its program."""

    __tablename__ = "der_curve"

    id: int | None = id_field()
    program_id: int = Field(foreign_key="der_program.id", ondelete="CASCADE", index=True)
    mrid: str = Field(max_length=32, unique=True)
    description: str = Field(default="", max_length=32)
    creation_time: int = epoch_field()
    curve_type: int
    x_multiplier: int = 0
    y_multiplier: int = 0
    y_ref_type: int
    #: [[x, y], ...] or [[x, y, excitation], ...] as on the wire (multiplied integers).
    points: list[Any] = Field(default_factory=list, sa_type=JSON)
