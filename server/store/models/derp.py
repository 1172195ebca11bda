"""DERProgram, DERControl, DefaultDERControl and DERCurve."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, BigInteger, Index
from sqlmodel import Field, SQLModel

from openderms.server.control_modes import CONTROL_MODES, CURVE_IDS, ControlMode, mode_columns
from openderms.server.store.models._base import epoch_field, id_field

__all__ = [
    "ControlModeColumns",
    "DERControlRow",
    "DERCurveRow",
    "DERProgramRow",
    "DefaultDERControlRow",
    "mode_columns_model",
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


def mode_columns_model(modes: Iterable[ControlMode] = CONTROL_MODES) -> type[SQLModel]:
    """The mode columns of a control row, one nullable column per value of the mode table.

    None means "mode not set". Values are in the table's units (percent, watts, hundredths
    of a second for ``ramp_tms``); ``curve_ids`` maps a curve element name (e.g.
    ``"opModVoltVar"``) to a der_curve.id.
    """
    annotations: dict[str, Any] = {
        column: value_type | None for column, value_type in mode_columns(modes)
    }
    namespace: dict[str, Any] = dict.fromkeys(annotations)
    annotations[CURVE_IDS] = dict[str, int]
    namespace[CURVE_IDS] = Field(default_factory=dict, sa_type=JSON)
    namespace["__annotations__"] = annotations
    namespace["__module__"] = __name__
    namespace["__doc__"] = mode_columns_model.__doc__
    # SQLModel's metaclass builds the pydantic fields and SQLAlchemy columns.
    metaclass: Any = type(SQLModel)
    model: type[SQLModel] = metaclass("ControlModeColumns", (SQLModel,), namespace)
    return model


if TYPE_CHECKING:

    class ControlModeColumns(SQLModel):
        """What mypy sees: the columns come from the mode table, read by name."""

        curve_ids: dict[str, int]

        def __init__(self, **values: Any) -> None: ...
        def __getattr__(self, column: str) -> Any: ...

else:
    ControlModeColumns = mode_columns_model()


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
