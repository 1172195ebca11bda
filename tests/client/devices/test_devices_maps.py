"""Device maps are data, validated when loaded; errors name the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from openderms.client.devices.device_map import (
    RegisterTarget,
    SunSpecTarget,
    builtin_map_names,
    load_builtin_map,
    load_map,
    parse_map,
)
from openderms.client.devices.errors import MapError


def _doc(capabilities: dict[str, Any], kind: str = "pv") -> dict[str, Any]:
    return {"name": "t", "kind": kind, "capabilities": capabilities}


def test_builtin_maps_are_shipped() -> None:
    assert {
        "sunspec-inverter",
        "sunspec-battery",
        "sunspec-meter",
        "evcharger-generic",
        "heatpump-sgready",
    } <= set(builtin_map_names())


@pytest.mark.parametrize("name", builtin_map_names())
def test_every_builtin_map_validates(name: str) -> None:
    device_map = load_builtin_map(name)
    assert device_map.name == name
    assert device_map.capabilities


def test_sunspec_fallbacks_keep_their_order() -> None:
    sources = load_builtin_map("sunspec-inverter").capabilities["power_limit_pct"]
    assert [str(s.target) for s in sources] == ["704:WMaxLimPct", "123:WMaxLimPct"]
    assert sources[0].revert_timer == SunSpecTarget(704, "WMaxLimPctRvrtTms")
    assert sources[1].revert_timer == SunSpecTarget(123, "WMaxLimPct_RvrtTms")


def test_unknown_point_is_named_with_its_key() -> None:
    with pytest.raises(
        MapError, match=r"capabilities\.active_power_w\[1\]\.point: model 701 has no point 'Watts'"
    ):
        parse_map(_doc({"active_power_w": [{"point": "103:W"}, {"point": "701:Watts"}]}))


def test_bad_register_type_is_named_with_its_key() -> None:
    with pytest.raises(
        MapError, match=r"capabilities\.status\.register\.type: unknown register type 'int24'"
    ):
        parse_map(_doc({"status": {"register": {"address": 1, "type": "int24"}}}))


def test_unknown_capability_is_refused() -> None:
    with pytest.raises(MapError, match=r"capabilities\.warp_drive: unknown capability"):
        parse_map(_doc({"warp_drive": {"point": "103:W"}}))


def test_control_on_a_read_only_point_is_refused() -> None:
    with pytest.raises(MapError, match="read-only"):
        parse_map(_doc({"power_limit_pct": {"point": "103:W"}}))


def test_control_on_an_input_register_is_refused() -> None:
    with pytest.raises(MapError, match="writable holding register"):
        parse_map(
            _doc(
                {
                    "current_limit_a": {
                        "register": {"address": 1, "type": "uint16", "table": "input"}
                    }
                }
            )
        )


def test_unknown_model_is_refused() -> None:
    with pytest.raises(MapError, match="no SunSpec model definition for model 9999"):
        parse_map(_doc({"active_power_w": {"point": "9999:W"}}))


def test_pct_of_must_name_a_capability_of_the_map() -> None:
    doc = _doc(
        {"charge_limit_w": {"point": "124:InWRte", "pct_of": "max_charge_w"}}, kind="battery"
    )
    with pytest.raises(MapError, match="map has no 'max_charge_w'"):
        parse_map(doc)


def test_raw_register_fields_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "charger.yaml"
    path.write_text(
        yaml.safe_dump(
            _doc(
                {
                    "current_limit_a": {
                        "register": {
                            "address": 7,
                            "type": "uint16",
                            "scale": 0.1,
                            "access": "rw",
                            "unit": "A",
                        }
                    }
                },
                kind="evcharger",
            )
        )
    )
    target = load_map(path).capabilities["current_limit_a"][0].target
    assert target == RegisterTarget(7, "uint16", 1, 0.1, "A", "holding", True)


def test_file_name_appears_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nkind: toaster\ncapabilities: {}\n")
    with pytest.raises(MapError, match=r"broken\.yaml: kind"):
        load_map(path)
