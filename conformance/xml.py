"""Bodies as the tester sees them: a safe parse, XPath over 2030.5 namespaces, the XSDs.

The XSDs are IEEE's copyright and never shipped: they are read from ``--xsd-dir``,
``$OPENDERMS_XSD_DIR`` or ``../shared/schemas`` beside a source checkout. Without them every
``xsd_valid`` check is *skipped* (never passed).
"""

from __future__ import annotations

import shutil
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from openderms.conformance.model import Profile
from openderms.testing.xsd import xsd_dir

__all__ = [
    "NAMESPACES",
    "XmlBodyError",
    "find_xsd_dir",
    "parse_body",
    "schema_for",
    "xpath_value",
    "xsd_names",
]

NAMESPACES = {
    "sep": "urn:ieee:std:2030.5:ns",
    "csipaus": "https://csipaus.org/ns",
    "csipaus13": "https://csipaus.org/ns/v1.3",
}
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, remove_comments=True
)
#: The entry XSD of each profile, and the file its import names where that differs.
_ENTRIES: dict[Profile, tuple[str, dict[str, str]]] = {
    Profile.CSIP: ("sep.xsd", {}),
    Profile.CSIP_AUS_12: ("csipaus-core-v1.2.xsd", {"csipaus-ext.xsd": "csipaus-ext-v1.2.xsd"}),
    Profile.CSIP_AUS_13: ("csipaus-core-v1.3.xsd", {}),
}


class XmlBodyError(ValueError):
    """A body that is not well-formed XML (or uses a DOCTYPE, which 2030.5 never needs)."""


def parse_body(body: bytes) -> etree._Element:
    if b"<!DOCTYPE" in body[:4096].upper():
        raise XmlBodyError("the body declares a DOCTYPE")
    try:
        return etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise XmlBodyError(f"not well-formed XML: {exc}") from exc


def xpath_value(root: etree._Element, path: str) -> Any:
    """The first result of ``path`` as text (attribute value, element text), a number for
    ``count()``-style expressions, or None when nothing matches."""
    result = root.xpath(path, namespaces=NAMESPACES)
    if isinstance(result, list):
        if not result:
            return None
        first = result[0]
        if isinstance(first, etree._Element):
            return (first.text or "").strip()
        return str(first)
    if isinstance(result, float) and result.is_integer():
        return int(result)
    return result


def find_xsd_dir(explicit: Path | None = None) -> Path | None:
    """The folder with sep.xsd: the given one, $OPENDERMS_XSD_DIR, or ../shared/schemas."""
    if explicit is not None:
        return explicit if (explicit / "sep.xsd").is_file() else None
    return xsd_dir()


@cache
def schema_for(xsd_dir: Path, profile: Profile) -> etree.XMLSchema:
    """The profile's schema, loaded once per process from a private copy of the folder."""
    entry, aliases = _ENTRIES[profile]
    work = Path(tempfile.mkdtemp(prefix="openderms-xsd-"))
    try:
        for xsd in xsd_dir.glob("*.xsd"):
            shutil.copy(xsd, work / xsd.name)
        for alias, source in aliases.items():
            shutil.copy(xsd_dir / source, work / alias)
        return etree.XMLSchema(etree.parse(str(work / entry), _PARSER))
    finally:
        shutil.rmtree(work, ignore_errors=True)


@cache
def xsd_names(xsd_dir: Path) -> frozenset[str]:
    """Every type, element and attribute name the 2030.5 and CSIP-AUS XSDs define, and
    ``Type/member`` for each member of a complex type, inherited ones included (what an
    ``xsd:`` citation names: ``DeviceCapability/TimeLink``)."""
    xs = "{http://www.w3.org/2001/XMLSchema}"
    names: set[str] = set()
    members: dict[str, set[str]] = {}
    bases: dict[str, str] = {}
    for path in xsd_dir.glob("*.xsd"):
        tree = etree.parse(str(path), _PARSER)
        for node in tree.iter(
            f"{xs}complexType", f"{xs}simpleType", f"{xs}element", f"{xs}attribute"
        ):
            name = node.get("name") or (node.get("ref") or "").rpartition(":")[2]
            if not name:
                continue
            names.add(name)
            owner = next(
                (a.get("name") for a in node.iterancestors(f"{xs}complexType") if a.get("name")),
                None,
            )
            if owner and node.tag in (f"{xs}element", f"{xs}attribute"):
                members.setdefault(owner, set()).add(name)
        for extension in tree.iter(f"{xs}extension", f"{xs}restriction"):
            owner = next(
                (
                    a.get("name")
                    for a in extension.iterancestors(f"{xs}complexType")
                    if a.get("name")
                ),
                None,
            )
            base = (extension.get("base") or "").rpartition(":")[2]
            if owner and base and base != owner:  # CSIP-AUS redefines types as themselves
                bases[owner] = base
    for owner in set(members) | set(bases):
        seen, current = set(), owner
        while current and current not in seen:
            seen.add(current)
            names.update(f"{owner}/{member}" for member in members.get(current, ()))
            current = bases.get(current, "")
    return frozenset(names)
