"""The mode table (`openderms.server.control_modes`) is the one definition of a control mode:
the admin body, the store columns, the wire mapping, the authoring rules and the
dashboard's words all derive from it (issue 8, item 7)."""

from __future__ import annotations

import pydantic
import pytest
from sqlalchemy import inspect

from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.codec import decode, encode
from openderms.schemas.sep2.control_modes import wire_mode
from openderms.server.admin.schemas import ControlModes, admin_modes_model
from openderms.server.control_modes import (
    CONTROL_MODES,
    AdminBounds,
    ControlMode,
    check_mode_values,
    describe_modes,
    mode_columns,
)
from openderms.server.errors import BadRequestError
from openderms.server.mappers.derp import map_control_base, map_default_control
from openderms.server.store.db import Store
from openderms.server.store.models import ControlModeColumns, DefaultDERControlRow, DERControlRow
from openderms.server.store.models.derp import mode_columns_model

#: A mode the table does not have yet: the CSIP-AUS load limit, written as a newcomer would.
NEW_ROW = ControlMode(
    "op_mod_load_lim_w",
    wire_mode("opModLoadLimW"),
    float,
    AdminBounds(ge=0, le=1e9),
    lambda watts: f"load ≤ {watts:g} W",
)
WITHOUT = tuple(mode for mode in CONTROL_MODES if mode.column != NEW_ROW.column)


def _no_curve(curve_id: int) -> str:
    raise AssertionError("no curve links here")


def test_a_new_mode_is_one_row_of_the_table() -> None:
    """Adding one row adds the admin field, the store column, the wire element and the label."""
    before_admin, after_admin = admin_modes_model(WITHOUT), admin_modes_model((*WITHOUT, NEW_ROW))
    before_store, after_store = (
        mode_columns_model(WITHOUT),
        mode_columns_model((*WITHOUT, NEW_ROW)),
    )

    with pytest.raises(pydantic.ValidationError):
        before_admin.model_validate({"op_mod_load_lim_w": 2500})
    assert "op_mod_load_lim_w" not in before_store.model_fields
    assert describe_modes({"op_mod_load_lim_w": 2500.0}, WITHOUT) == "op_mod_load_lim_w"

    authored = after_admin.model_validate({"op_mod_load_lim_w": 2500})
    with pytest.raises(pydantic.ValidationError):
        after_admin.model_validate({"op_mod_load_lim_w": -1})  # the row's bounds
    stored = after_store(**authored.model_dump(exclude_none=True))
    base = map_control_base(stored, _no_curve, (*WITHOUT, NEW_ROW))
    assert base.opModLoadLimW is not None
    assert (base.opModLoadLimW.value, base.opModLoadLimW.multiplier.value) == (2500, 0)
    assert map_control_base(stored, _no_curve, WITHOUT).opModLoadLimW is None
    assert describe_modes({"op_mod_load_lim_w": 2500.0}, (*WITHOUT, NEW_ROW)) == "load ≤ 2500 W"


def test_the_live_consumers_are_built_from_the_table() -> None:
    columns = {column for column, _ in mode_columns()}
    assert set(ControlModeColumns.model_fields) == columns | {"curve_ids"}
    assert set(DERControlRow.model_fields) >= columns
    assert set(DefaultDERControlRow.model_fields) >= columns
    assert set(ControlModes.model_fields) == {m.column for m in CONTROL_MODES if m.admin}


def test_the_migrated_schema_has_a_column_for_every_mode_value(store: Store) -> None:
    """A new row without its migration fails here."""
    schema = store.engine.dialect.default_schema_name if store.dialect == "postgresql" else None
    inspector = inspect(store.engine)
    for table in ("der_control", "default_der_control"):
        names = {column["name"] for column in inspector.get_columns(table, schema=schema)}
        assert {column for column, _ in mode_columns()} | {"curve_ids"} <= names, table


@pytest.mark.parametrize("mode", [m for m in CONTROL_MODES if m.admin], ids=lambda m: m.column)
def test_every_authored_mode_survives_the_wire(mode: ControlMode) -> None:
    """Stored value -> DERControlBase -> XML -> value × 10^power (the table's scale)."""
    value = {bool: False, int: 250, float: 42.0}[mode.value_type]
    row = DefaultDERControlRow(
        id=1, program_id=3, mrid="0A" * 16, created_time=0, **{mode.column: value}
    )
    wire = encode(map_default_control(row, end_device_id=5))
    back = decode(wire, sep.DefaultDERControl).DERControlBase
    element = getattr(back, mode.wire.element)
    if mode.wire.unit == "W":
        assert element.value * 10**element.multiplier.value == value
    elif mode.wire.power_of_ten is not None and mode.wire.unit == "%":
        assert element.value * 10**mode.wire.power_of_ten == pytest.approx(value)
    else:
        assert element == value


def test_percentages_are_checked_from_the_table() -> None:
    check_mode_values({"op_mod_fixed_w_pct": -100.0, "op_mod_exp_lim_w": 1e6})
    for mode in CONTROL_MODES:
        if mode.wire.unit == "%":
            with pytest.raises(BadRequestError, match=mode.column):
                check_mode_values({mode.column: 100.5})
