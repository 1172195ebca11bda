"""Regenerate the OpenADR 3.1 pydantic models in schemas/openadr3/models.py from the YAML.

The YAML (OpenADR 3.1.0, Apache-2.0, OpenADR Alliance) is read from
``$OPENDERMS_OPENADR_YAML`` or ../shared/schemas/openadr3/openadr3.yaml and never copied
into the repository; only the generated code is (with the licence's attribution).

datamodel-code-generator does the work; before it runs, the document is curated in
memory (`curate`), because generation alone is poor in these places:

- ``objectID``, ``dateTime``, ``duration``, ``target``, every ``format: uri`` string and
  the open enumerations of the Definitions (payload types, reading types, units,
  valuesMap.type) become the hand-written types of ``openderms.schemas.openadr3.types``
  (``customTypePath``);
- each object's ``objectType`` is the one ``objectTypes`` value it carries (PROGRAM,
  EVENT, ...); the generator otherwise makes lower-case literals from schema names;
- ``ven`` and ``resource`` are ``objectMetadata`` plus the BL request's fields without its
  ``objectType``: the YAML's ``allOf`` asks for objectType to be both VEN and
  BL_VEN_REQUEST, which no document satisfies (interpretation: the object says VEN);
- ``BlVenRequest.targets`` has the default ``"null          -"`` (a stray ``-`` in the
  YAML); it is null;
- inline schemas get titles, so their classes have names instead of ``ObjectType4``.

Usage: python scripts/generate_openadr3_models.py [--output PATH] [YAML]
(needs datamodel-code-generator, from the dev extra).
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "schemas" / "openadr3" / "models.py"
DEFAULT_YAML = REPO.parent / "shared" / "schemas" / "openadr3" / "openadr3.yaml"
TYPES = "openderms.schemas.openadr3.types"

HEADER = '''"""OpenADR 3.1.0 wire models from scripts/generate_openadr3_models.py: never edit.

Generated from the OpenADR 3 API definition (openadr3.yaml, OpenADR 3.1.0), Copyright
OpenADR Alliance, licensed under the Apache License 2.0
(http://www.apache.org/licenses/LICENSE-2.0); the descriptions below are the YAML's.
Curation (what the script changes before generating) is listed in the script's docstring.
"""

'''

# Each addressable object and its objectTypes value.
OBJECT_TYPES = {
    "program": "PROGRAM",
    "event": "EVENT",
    "report": "REPORT",
    "subscription": "SUBSCRIPTION",
    "ven": "VEN",
    "resource": "RESOURCE",
}

# (schema, property) -> the hand-written type it becomes.
PROPERTY_TYPES = {
    ("valuesMap", "type"): "ValueTypeName",
    ("eventPayloadDescriptor", "payloadType"): "EventPayloadTypeName",
    ("reportPayloadDescriptor", "payloadType"): "ReportPayloadTypeName",
    ("reportDescriptor", "payloadType"): "ReportPayloadTypeName",
}
SCHEMA_TYPES = {
    "objectID": "ObjectId",
    "dateTime": "DateTime",
    "duration": "Duration",
    "readingType": "ReadingTypeName",
    "units": "UnitName",
    "target": "Target",
}
# Inline schemas that get a class name: (path of keys from components/schemas) -> title.
TITLES: dict[tuple[str, ...], str] = {
    ("programRequest", "properties", "programDescriptions", "items"): "ProgramDescription",
    ("reportRequest", "properties", "resources", "items"): "ReportResource",
    ("subscriptionRequest", "properties", "objectOperations", "items"): "ObjectOperation",
    (
        "subscriptionRequest",
        "properties",
        "objectOperations",
        "items",
        "properties",
        "operations",
        "items",
    ): "Operation",
    ("notification", "properties", "operation"): "NotificationOperation",
    ("BlVenRequest", "properties", "objectType"): "BlVenRequestType",
    ("VenVenRequest", "properties", "objectType"): "VenVenRequestType",
    ("BlResourceRequest", "properties", "objectType"): "BlResourceRequestType",
    ("VenResourceRequest", "properties", "objectType"): "VenResourceRequestType",
    ("eventPayloadDescriptor", "properties", "objectType"): "EventPayloadDescriptorType",
    ("reportPayloadDescriptor", "properties", "objectType"): "ReportPayloadDescriptorType",
    ("clientCredentialRequest", "properties", "grant_type"): "GrantType",
    ("clientCredentialResponse", "properties", "token_type"): "TokenType",
    ("authError", "properties", "error"): "AuthErrorCode",
    ("mqttNotifierBindingObject", "properties", "serialization"): "Serialization",
    ("mqttNotifierAuthenticationAnonymous", "properties", "method"): "AnonymousMethod",
    ("mqttNotifierAuthenticationOauth2BearerToken", "properties", "method"): "BearerMethod",
    ("mqttNotifierAuthenticationCertificate", "properties", "method"): "CertificateMethod",
    ("reportDescriptor", "properties", "reportIntervals"): "ReportIntervals",
}


def _custom(name: str, original: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = {"customTypePath": f"{TYPES}.{name}"}
    # A non-null default (duration's PT0S) is dropped: an absent value stays absent
    # through a round trip, and the reader applies the default.
    for key in ("description", "nullable", "default"):
        if key in original and (key != "default" or original[key] is None):
            node[key] = original[key]
    return node


def _uris(node: Any) -> None:
    """Every ``format: uri`` string becomes `types.Uri` (kept as written, not normalised)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict) and value.get("format") == "uri":
                node[key] = _custom("Uri", value)
            else:
                _uris(value)
    elif isinstance(node, list):
        for item in node:
            _uris(item)


def curate(document: dict[str, Any]) -> dict[str, Any]:
    """The YAML with the changes listed in this module's docstring (a deep copy)."""
    doc = copy.deepcopy(document)
    schemas: dict[str, Any] = doc["components"]["schemas"]
    for (schema, prop), name in PROPERTY_TYPES.items():
        props = schemas[schema]["properties"]
        props[prop] = _custom(name, props[prop])
    for schema, name in SCHEMA_TYPES.items():
        schemas[schema] = _custom(name, schemas[schema])
    _uris(schemas)
    schemas["BlVenRequest"]["properties"]["targets"]["default"] = None
    for path, title in TITLES.items():
        node = schemas
        for key in path:
            node = node[key]
        node["title"] = title
    # objectMetadata keeps id and the times; each object says its own objectType.
    metadata = schemas["objectMetadata"]
    metadata["properties"].pop("objectType")
    metadata["required"].remove("objectType")
    for name, value in OBJECT_TYPES.items():
        members = schemas[name]["allOf"]
        if name in ("ven", "resource"):
            request = copy.deepcopy(schemas[members[1]["$ref"].rsplit("/", 1)[1]])
            request["properties"].pop("objectType")
            request["required"] = [r for r in request["required"] if r != "objectType"]
            request.pop("description", None)
            members[1] = request
        members.append(
            {
                "type": "object",
                "required": ["objectType"],
                "properties": {"objectType": {"type": "string", "enum": [value]}},
            }
        )
    # The notification's object: a plain union (each member's objectType tells them apart).
    schemas["notification"]["properties"]["object"].pop("discriminator")
    schemas["notification"]["properties"]["object"].pop("example", None)
    return doc


def main(argv: list[str]) -> int:
    out = OUT
    if argv[:1] == ["--output"]:
        out, argv = Path(argv[1]), argv[2:]
    source = Path(argv[0]) if argv else Path(os.environ.get("OPENDERMS_OPENADR_YAML", ""))
    if not argv and not source.is_file():
        source = DEFAULT_YAML
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        curated = Path(tmp) / "openadr3.yaml"
        curated.write_text(yaml.safe_dump(curate(document), sort_keys=False), encoding="utf-8")
        generated = Path(tmp) / "models.py"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "datamodel_code_generator",
                "--input",
                str(curated),
                "--input-file-type",
                "openapi",
                "--output",
                str(generated),
                "--output-model-type",
                "pydantic_v2.BaseModel",
                "--target-python-version",
                "3.11",
                "--use-annotated",
                "--field-constraints",
                "--use-standard-collections",
                "--use-union-operator",
                "--use-title-as-name",
                "--use-double-quotes",
                "--strict-nullable",
                "--collapse-root-models",
                "--disable-timestamp",
                "--set-default-enum-member",
                "--enum-field-as-literal",
                "one",
                "--formatters",
                "ruff-format",
            ],
            check=True,
        )
        body = generated.read_text(encoding="utf-8")
    body = body.split("\n", 2)[2] if body.startswith("# generated by") else body
    out.write_text(HEADER + body.lstrip("\n"), encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
