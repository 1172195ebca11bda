"""The generated facet table is in step with the XSDs and carries the XSD's numbers."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from openderms.schemas.sep2.bindings import csipaus12_facets, csipaus13_facets
from openderms.testing.xsd import xsd_dir

REPO = Path(__file__).resolve().parents[2]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "generate_bindings", REPO / "scripts" / "generate_bindings.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("module", "committed"),
    [("csipaus12", csipaus12_facets.FACETS), ("csipaus13", csipaus13_facets.FACETS)],
)
def test_committed_facet_table_matches_the_xsds(module: str, committed: object) -> None:
    source = xsd_dir()
    if source is None:
        pytest.skip(
            "IEEE 2030.5 XSDs not found: set OPENDERMS_XSD_DIR or provide ../shared/schemas"
        )
    generator = _generator()
    entry = dict(generator.PROFILES)[module]
    files = [source / "sep.xsd", source / generator.EXTENSIONS[module], Path(source / entry)]

    assert generator.facet_table(files) == committed, "run scripts/generate_bindings.py"


def test_integer_types_carry_their_xsd_ranges() -> None:
    facets = csipaus12_facets.FACETS

    assert facets[("EventStatus", "currentStatus")] == ("UInt8", 0, 255, None)
    assert facets[("ActivePower", "value")] == ("Int16", -32768, 32767, None)
    assert facets[("TimeType", "value")] == ("Int64", -(2**63), 2**63 - 1, None)
    assert facets[("mRIDType", "value")] == ("HexBinary128", None, None, 16)


def test_uint40_follows_the_xsd_facet_not_its_documentation() -> None:
    """sep.xsd documents UInt40 as 2^40-1 but its maxInclusive is 2^48-1; we follow the
    facet so that every XSD-valid document decodes (SFDIType is a UInt40)."""
    assert csipaus12_facets.FACETS[("SFDIType", "value")][2] == 2**48 - 1


def test_csip_aus_13_extension_fields_are_in_its_table() -> None:
    assert ("VPPControlType", "value") in csipaus13_facets.FACETS
    assert ("VPPControlType", "value") not in csipaus12_facets.FACETS
