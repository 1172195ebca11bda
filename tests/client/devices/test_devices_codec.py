"""SunSpec register codec: types, unimplemented sentinels, scale factors."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openderms.client.devices.codec import (
    POINT_TYPES,
    decode,
    encode,
    registers_for,
    scale,
    unscale,
)
from openderms.client.devices.errors import CodecError


@pytest.mark.parametrize(
    ("type_name", "registers"),
    [
        ("int16", [0x8000]),
        ("uint16", [0xFFFF]),
        ("count", [0xFFFF]),
        ("acc16", [0]),
        ("enum16", [0xFFFF]),
        ("bitfield16", [0xFFFF]),
        ("sunssf", [0x8000]),
        ("int32", [0x8000, 0]),
        ("uint32", [0xFFFF, 0xFFFF]),
        ("acc32", [0, 0]),
        ("enum32", [0xFFFF, 0xFFFF]),
        ("bitfield32", [0xFFFF, 0xFFFF]),
        ("float32", [0x7FC0, 0]),
        ("int64", [0x8000, 0, 0, 0]),
        ("uint64", [0xFFFF] * 4),
        ("acc64", [0, 0, 0, 0]),
        ("string", [0, 0, 0, 0]),
        ("pad", [0x8000]),
    ],
)
def test_unimplemented_sentinel_decodes_to_none(type_name: str, registers: list[int]) -> None:
    assert decode(type_name, registers) is None


@pytest.mark.parametrize(
    ("type_name", "value", "registers"),
    [
        ("int16", -1, [0xFFFF]),
        ("int16", -32767, [0x8001]),
        ("uint16", 65534, [0xFFFE]),
        ("int32", -2, [0xFFFF, 0xFFFE]),
        ("uint32", 0x12345678, [0x1234, 0x5678]),
        ("acc32", 70000, [0x0001, 0x1170]),
        ("int64", -1, [0xFFFF] * 4),
        ("uint64", 2**40 + 5, [0, 0x0100, 0, 5]),
        ("bitfield32", 0b101, [0, 5]),
        ("float32", 1.5, [0x3FC0, 0]),
    ],
)
def test_big_endian_words_most_significant_first(
    type_name: str, value: float, registers: list[int]
) -> None:
    assert encode(type_name, value) == registers
    assert decode(type_name, registers) == value


def test_string_is_nul_padded_and_trimmed() -> None:
    words = encode("string", "SunS", size=4)
    assert words == [0x5375, 0x6E53, 0, 0]
    assert decode("string", words) == "SunS"


def test_string_too_long_is_refused() -> None:
    with pytest.raises(CodecError, match="does not fit"):
        encode("string", "x" * 9, size=4)


def test_none_encodes_the_sentinel() -> None:
    assert encode("int16", None) == [0x8000]
    assert encode("uint32", None) == [0xFFFF, 0xFFFF]


@pytest.mark.parametrize(
    ("type_name", "value"), [("int16", 40000), ("uint16", -1), ("int32", 2**31)]
)
def test_out_of_range_values_are_refused(type_name: str, value: int) -> None:
    with pytest.raises(CodecError, match="out of range"):
        encode(type_name, value)


def test_writing_the_sentinel_as_a_value_is_refused() -> None:
    """0xFFFF means "unimplemented" for uint16, so it cannot carry a real value."""
    with pytest.raises(CodecError, match="sentinel"):
        encode("uint16", 0xFFFF)


def test_wrong_register_count_is_refused() -> None:
    with pytest.raises(CodecError):
        decode("int32", [1])
    with pytest.raises(CodecError, match="unknown SunSpec point type"):
        registers_for("int24")


def test_scale_factor_multiplies_by_power_of_ten() -> None:
    assert scale(1234, -2) == pytest.approx(12.34)
    assert scale(5, 3) == 5000
    assert scale(7, None) == 7
    assert scale(None, -1) is None


@given(
    raw=st.integers(min_value=-32767, max_value=32767),
    sf=st.integers(min_value=-4, max_value=4),
)
def test_scale_factors_round_trip(raw: int, sf: int) -> None:
    value = scale(raw, sf)
    assert isinstance(value, int | float)
    assert unscale(float(value), sf) == raw
    assert decode("int16", encode("int16", unscale(float(value), sf))) == raw


def test_unscale_refuses_nan() -> None:
    with pytest.raises(CodecError):
        unscale(math.nan, 0)


@pytest.mark.parametrize(
    "type_name",
    ["int16", "uint16", "acc16", "enum16", "int32", "uint32", "acc32", "int64", "uint64"],
)
@given(data=st.data())
def test_every_integer_type_round_trips_except_its_sentinel(
    type_name: str, data: st.DataObject
) -> None:
    ptype = POINT_TYPES[type_name]
    bits = 16 * ptype.size
    low, high = (
        (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
        if ptype.kind == "int"
        else (0, (1 << bits) - 1)
    )
    value = data.draw(st.integers(min_value=low, max_value=high))
    if value & ((1 << bits) - 1) == ptype.unimplemented:
        with pytest.raises(CodecError):
            encode(type_name, value)
        return
    words = encode(type_name, value)
    assert len(words) == ptype.size
    assert all(0 <= w <= 0xFFFF for w in words)
    assert decode(type_name, words) == value
