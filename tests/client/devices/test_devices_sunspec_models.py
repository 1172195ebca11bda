"""Model layouts from pysunspec2's JSON, and point access through a ModelBlock."""

from __future__ import annotations

import pytest

from openderms.client.devices.errors import CodecError
from openderms.client.devices.sunspec import ModelBlock, ModelInstance
from openderms.client.devices.sunspec_models import layout, load_model, parse_point_ref


@pytest.mark.parametrize(
    ("model_id", "length"),
    [
        (1, 66),
        (101, 50),
        (103, 50),
        (120, 26),
        (123, 24),
        (124, 24),
        (203, 105),
        (704, 65),
        (802, 62),
    ],
)
def test_fixed_length_matches_the_sunspec_model_length(model_id: int, length: int) -> None:
    assert load_model(model_id).fixed_length == length


def test_point_offsets_follow_definition_order() -> None:
    slots = layout(123).slots
    # ID, L, Conn_WinTms, Conn_RvrtTms, Conn, WMaxLimPct ...
    assert slots["Conn"].offset == 4
    assert slots["WMaxLimPct"].offset == 5
    assert slots["WMaxLimPct"].sf_path == "WMaxLimPct_SF"


def test_fixed_group_points_are_addressed_by_group_path() -> None:
    slots = layout(704).slots
    assert slots["PFWInj.PF"].offset > slots["VarSetPct_SF"].offset
    assert slots["PFWInj.PF"].sf_path == "PF_SF"  # resolved against the enclosing group


def test_repeating_group_count_comes_from_the_model_length() -> None:
    """Model 160 (MPPT): the module group repeats to fill L."""
    fixed = load_model(160).fixed_length
    per_module = 20
    lay = layout(160, fixed + 3 * per_module)
    assert "module[2].DCW" in lay.slots
    assert "module[3].DCW" not in lay.slots
    assert lay.slots["module[1].DCW"].offset - lay.slots["module[0].DCW"].offset == per_module


def test_length_that_groups_cannot_fill_is_refused() -> None:
    with pytest.raises(CodecError, match="cannot fit"):
        layout(160, load_model(160).fixed_length + 7)


def test_unknown_model_is_refused() -> None:
    with pytest.raises(CodecError, match="no SunSpec model definition"):
        load_model(9999)


def test_point_reference_syntax() -> None:
    assert parse_point_ref("704:WMaxLimPct") == (704, "WMaxLimPct")
    with pytest.raises(CodecError):
        parse_point_ref("WMaxLimPct")


def test_block_applies_scale_factor_both_ways() -> None:
    block = ModelBlock(ModelInstance(704, 40000, 65))
    block.set("WMaxLimPct_SF", -1)
    offset, words = block.set("WMaxLimPct", 37.5)
    assert words == [375]
    assert block.get("WMaxLimPct") == pytest.approx(37.5)
    assert block.address_of("WMaxLimPct") == 40000 + offset


def test_unimplemented_scale_factor_makes_the_value_unknown() -> None:
    block = ModelBlock(ModelInstance(123, 40000, 24))
    block.set("WMaxLimPct_SF", None)
    block.registers[5] = 50
    assert block.get("WMaxLimPct") is None
    with pytest.raises(CodecError, match="unimplemented"):
        block.encode("WMaxLimPct", 50)


def test_device_with_an_older_model_length_is_read_not_refused() -> None:
    """Model 1 from devices built before Pad was added reports L = 65, not 66."""
    block = ModelBlock(ModelInstance(1, 40002, 65), [1, 65] + [0] * 65)
    assert "SN" in block.layout.slots
    assert "Pad" not in block.layout.slots
    with pytest.raises(CodecError):
        layout(1, 65)  # the strict layout still refuses it
