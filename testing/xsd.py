"""Where the IEEE 2030.5 / CSIP-AUS XSDs are (never in the repository: IEEE copyright)."""

from __future__ import annotations

import os
from pathlib import Path

#: The source checkout this package runs from (editable install); its sibling ``shared/``
#: holds the XSDs on a development machine.
SOURCE_TREE = Path(__file__).resolve().parents[1]


def xsd_dir() -> Path | None:
    """$OPENDERMS_XSD_DIR or ../shared/schemas beside the repository, if it holds sep.xsd."""
    for candidate in (
        os.environ.get("OPENDERMS_XSD_DIR"),
        str(SOURCE_TREE.parent / "shared" / "schemas"),
    ):
        if candidate and (Path(candidate) / "sep.xsd").is_file():
            return Path(candidate)
    return None
