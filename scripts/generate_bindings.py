"""Regenerate the IEEE 2030.5 + CSIP-AUS xsdata bindings in schemas/sep2/bindings/.

The IEEE XSDs are IEEE's copyright: they are read from ../shared/schemas (or
$OPENDERMS_XSD_DIR) and never copied into the repository; only the generated code is.

Why the temporary folder: csipaus-core-v1.2.xsd imports its extension as
``csipaus-ext.xsd`` while it ships as ``csipaus-ext-v1.2.xsd``. The CSIP-AUS cores
``xs:redefine`` sep.xsd, which xsdata's default multi-module layout rejects with
"Circular Dependencies Found", hence one module per profile (single-package).

It also writes ``<module>_facets.py`` beside each binding module: the table the codec's
validator uses for what xsdata drops, mapping (declaring XSD type, field) to the field's
XSD simple type and its range/length facets (``UInt8``..``Int64`` become plain ``int`` in
the bindings). ``--facets-only`` rewrites just those tables.

Usage: python scripts/generate_bindings.py [--facets-only] [XSD_DIR]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "schemas" / "sep2" / "bindings"
CONFIG = REPO / "schemas" / "sep2" / "xsdata.xml"

# (module name, entry XSD): one module per profile, each a complete 2030.5 set: the two
# CSIP-AUS revisions, CSIP (US: plain IEEE 2030.5-2018) and IEEE 2030.5-2023.
PROFILES = (
    ("csipaus12", "csipaus-core-v1.2.xsd"),
    ("csipaus13", "csipaus-core-v1.3.xsd"),
    ("csip", "sep.xsd"),
    ("sep2023", "sep-2023.xsd"),
)
# The extension XSD each core imports (read for the facet table); none for plain 2030.5.
EXTENSIONS = {"csipaus12": "csipaus-ext-v1.2.xsd", "csipaus13": "csipaus-ext-v1.3.xsd"}
# The base 2030.5 schema of each profile (2023 stands alone).
BASES = {"sep2023": "sep-2023.xsd"}

XS = "{http://www.w3.org/2001/XMLSchema}"
# Value ranges of the XSD built-in integer types (XML Schema Part 2, 3.3).
BUILTIN_RANGES: dict[str, tuple[int, int]] = {
    "byte": (-(2**7), 2**7 - 1),
    "short": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
    "unsignedByte": (0, 2**8 - 1),
    "unsignedShort": (0, 2**16 - 1),
    "unsignedInt": (0, 2**32 - 1),
    "unsignedLong": (0, 2**64 - 1),
}

Facet = tuple[str, int | None, int | None, int | None]


def _local(qname: str | None) -> str:
    return (qname or "").rpartition(":")[2]


def _facets_of(
    simple_types: dict[str, Any], name: str
) -> tuple[int | None, int | None, int | None]:
    """(min, max, maxLength) of a simple type, following its restriction chain.

    The most derived facet wins; the built-in base supplies the range otherwise.
    """
    low: int | None = None
    high: int | None = None
    length: int | None = None
    seen = set()
    while name in simple_types and name not in seen:
        seen.add(name)
        restriction = simple_types[name].find(f"{XS}restriction")
        if restriction is None:
            break
        for facet in restriction:
            value = facet.get("value")
            if facet.tag == f"{XS}minInclusive" and low is None:
                low = int(value)
            elif facet.tag == f"{XS}maxInclusive" and high is None:
                high = int(value)
            elif facet.tag in (f"{XS}maxLength", f"{XS}length") and length is None:
                length = int(value)
        name = _local(restriction.get("base"))
    builtin = BUILTIN_RANGES.get(name)
    if builtin is not None:
        low = builtin[0] if low is None else low
        high = builtin[1] if high is None else high
    return low, high, length


def facet_table(schema_files: list[Path]) -> dict[tuple[str, str], Facet]:
    """(declaring XSD type, field) -> (simple type, min, max, maxLength) for simple fields."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    roots = [etree.parse(str(f), parser).getroot() for f in schema_files]
    simple_types: dict[str, Any] = {}
    complex_types: list[Any] = []
    elements: dict[str, str] = {}
    for root in roots:
        for node in root.iter(f"{XS}simpleType"):
            if node.get("name"):
                simple_types[node.get("name")] = node
        complex_types += [n for n in root.iter(f"{XS}complexType") if n.get("name")]
        for node in root.findall(f"{XS}element"):
            elements[node.get("name")] = _local(node.get("type"))
    builtins = set(BUILTIN_RANGES) | {"string", "hexBinary", "anyURI", "boolean"}
    table: dict[tuple[str, str], Facet] = {}
    for ctype in complex_types:
        owner = ctype.get("name")
        fields: list[tuple[str, str]] = []
        for node in ctype.iter(f"{XS}element", f"{XS}attribute"):
            if node.get("ref"):
                ref = _local(node.get("ref"))
                fields.append((ref, elements.get(ref, "")))
            elif node.get("name"):
                fields.append((node.get("name"), _local(node.get("type"))))
        for content in ctype.iterfind(f"{XS}simpleContent/*"):
            fields.append(("value", _local(content.get("base"))))
        for field_name, type_name in fields:
            if type_name in simple_types or type_name in builtins:
                low, high, length = _facets_of(simple_types, type_name)
                table[(owner, field_name)] = (type_name, low, high, length)
    return table


def write_facets(source: Path, module: str, entry: str) -> None:
    """Write ``bindings/<module>_facets.py`` from the profile's XSDs."""
    base = source / BASES.get(module, "sep.xsd")
    files = list(
        dict.fromkeys(
            [
                base,
                *([source / EXTENSIONS[module]] if module in EXTENSIONS else []),
                source / entry,
            ]
        )
    )
    table = facet_table(files)
    lines = [
        f"# Generated by scripts/generate_bindings.py from {entry} and the XSDs it uses.",
        "# Do not edit: regenerate. (declaring XSD type, field) ->",
        "# (XSD simple type, minInclusive, maxInclusive, maxLength); None = no bound.",
        "",
        "FACETS: dict[tuple[str, str], tuple[str, int | None, int | None, int | None]] = {",
    ]
    lines += [f"    {key!r}: {table[key]!r}," for key in sorted(table)]
    lines.append("}")
    (OUT / f"{module}_facets.py").write_text("\n".join(lines) + "\n")


def xsd_dir() -> Path:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    candidates = [os.environ.get("OPENDERMS_XSD_DIR"), args[0] if args else None]
    candidates.append(str(REPO.parent / "shared" / "schemas"))
    for candidate in candidates:
        if candidate and (Path(candidate) / "sep.xsd").is_file():
            return Path(candidate)
    sys.exit("sep.xsd not found: pass the schema folder or set OPENDERMS_XSD_DIR")


def main() -> None:
    source = xsd_dir()
    if "--facets-only" in sys.argv:
        for module, entry in PROFILES:
            write_facets(source, module, entry)
        print(f"wrote the facet tables to {OUT}")
        return
    xsdata = Path(sys.executable).parent / "xsdata"
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for xsd in source.glob("*.xsd"):
            shutil.copy(xsd, work / xsd.name)
        shutil.copy(source / "csipaus-ext-v1.2.xsd", work / "csipaus-ext.xsd")
        only = {a.removeprefix("--only=") for a in sys.argv[1:] if a.startswith("--only=")}
        for module, entry in PROFILES:
            if only and module not in only:
                continue
            config = CONFIG.read_text().replace("@PACKAGE@", module)
            (work / ".xsdata.xml").write_text(config)
            env = dict(os.environ, PATH=f"{xsdata.parent}{os.pathsep}{os.environ['PATH']}")
            subprocess.run(
                [str(xsdata), "generate", entry, "--config", ".xsdata.xml"],
                cwd=work,
                check=True,
                env=env,
            )
            generated = (work / f"{module}.py").read_text()
            header = (
                f"# Generated by scripts/generate_bindings.py from {entry} (IEEE 2030.5-2018 and\n"
                "# CSIP-AUS) with xsdata. Do not edit: regenerate.\n"
                if module in EXTENSIONS
                else f"# Generated by scripts/generate_bindings.py from {entry} (IEEE 2030.5)\n"
                "# with xsdata. Do not edit: regenerate.\n"
            )
            (OUT / f"{module}.py").write_text(header + generated)
            write_facets(source, module, entry)
    (OUT / "__init__.py").write_text(
        '"""Generated xsdata bindings, one module per profile (CSIP-AUS, CSIP, 2030.5-2023)."""\n'
    )
    print(f"wrote {', '.join(m for m, _ in PROFILES)} to {OUT}")


if __name__ == "__main__":
    main()
