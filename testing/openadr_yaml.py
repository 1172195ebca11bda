"""The OpenADR 3.1 YAML for tests and benchmarks, and documents built from its examples.

The YAML (Apache-2.0, OpenADR Alliance) is not in the repository: it is read from
$OPENDERMS_OPENADR_YAML or ../shared/schemas/openadr3/openadr3.yaml beside the repository.
The YAML has no whole-document examples, only examples on its elements;
`example_document` assembles one document per schema from them (every property, so each
element's example is exercised).
"""

from __future__ import annotations

import datetime
import functools
import os
from pathlib import Path
from typing import Any

__all__ = ["OpenAdrYamlMissingError", "example_document", "openadr_document", "openadr_yaml_path"]

import yaml

#: The source checkout this package runs from (editable install).
SOURCE_TREE = Path(__file__).resolve().parents[1]
YAML_NAME = "openadr3.yaml"


def openadr_yaml_path() -> Path | None:
    """$OPENDERMS_OPENADR_YAML or ../shared/schemas/openadr3/openadr3.yaml, if it exists."""
    candidates = [os.environ.get("OPENDERMS_OPENADR_YAML", "")]
    candidates.append(
        str(SOURCE_TREE.parent / "shared" / "schemas" / "openadr3" / "openadr3.yaml")
    )
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


class _JsonLikeLoader(yaml.SafeLoader):
    """SafeLoader that keeps RFC 3339 times as text (as JSON would carry them)."""


_JsonLikeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class OpenAdrYamlMissingError(LookupError):
    """Neither $OPENDERMS_OPENADR_YAML nor ../shared holds openadr3.yaml."""


@functools.cache
def openadr_document() -> dict[str, Any]:
    """The parsed YAML (raises `OpenAdrYamlMissingError`)."""
    path = openadr_yaml_path()
    if path is None:
        raise OpenAdrYamlMissingError("set OPENDERMS_OPENADR_YAML or provide ../shared")
    document: dict[str, Any] = yaml.load(path.read_text("utf-8"), Loader=_JsonLikeLoader)  # noqa: S506  (a SafeLoader subclass)
    return document


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        node = openadr_document()["components"]["schemas"][name]
    return node


def _as_json(value: Any) -> Any:
    # YAML reads an unquoted 2023-06-15T09:30:00Z as a datetime; JSON carries the text.
    if isinstance(value, datetime.datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value


def example_document(schema: dict[str, Any], *, choice: int = 0) -> Any:
    """A document for `schema` from the YAML's element examples (all properties set)."""
    schema = _resolve(schema)
    if "example" in schema and schema.get("type") != "object":
        return _as_json(schema["example"])
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("oneOf", "anyOf"):
        if key in schema:
            options = schema[key]
            return example_document(options[min(choice, len(options) - 1)])
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(example_document(part, choice=choice))
        # objectMetadata's objectType ("EVENT" by the YAML's example) is the object's own.
        return merged
    kind = schema.get("type")
    if kind == "array":
        return [example_document(schema["items"], choice=choice)]
    if kind == "object" or "properties" in schema:
        return {
            name: example_document(prop, choice=choice)
            for name, prop in schema.get("properties", {}).items()
        }
    if schema.get("format") == "uri":
        return "https://vtn.example/openadr3"
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    return {"string": "text", "integer": 1, "number": 1.5, "boolean": True}[kind or "string"]
