"""Fixtures of the 2030.5 schema tests: the IEEE/CSIP-AUS XSDs loaded as lxml schemas.

The XSDs are IEEE's copyright and never in the repository: they are read from
$OPENDERMS_XSD_DIR or ../shared/schemas beside the repository root.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lxml import etree

from openderms.testing.xsd import xsd_dir


def _load(tmp: Path, entry: str) -> etree.XMLSchema:
    source = xsd_dir()
    if source is None:
        pytest.skip(
            "IEEE 2030.5 XSDs not found: set OPENDERMS_XSD_DIR or provide ../shared/schemas"
        )
    for xsd in source.glob("*.xsd"):
        shutil.copy(xsd, tmp / xsd.name)
    # csipaus-core-v1.2.xsd imports "csipaus-ext.xsd" (as scripts/generate_bindings.py does).
    shutil.copy(source / "csipaus-ext-v1.2.xsd", tmp / "csipaus-ext.xsd")
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(tmp / entry), parser))


@pytest.fixture(scope="session")
def csipaus12_schema(tmp_path_factory: pytest.TempPathFactory) -> etree.XMLSchema:
    """sep.xsd redefined by CSIP-AUS v1.2 (the default profile)."""
    return _load(tmp_path_factory.mktemp("xsd12"), "csipaus-core-v1.2.xsd")


@pytest.fixture(scope="session")
def csipaus13_schema(tmp_path_factory: pytest.TempPathFactory) -> etree.XMLSchema:
    """sep.xsd redefined by CSIP-AUS v1.3."""
    return _load(tmp_path_factory.mktemp("xsd13"), "csipaus-core-v1.3.xsd")
