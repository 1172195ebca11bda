"""OpenADR 3.1 wire models: every YAML schema has a model, and the YAML's examples round-trip.

Round trip = parse with the model, write JSON, compare with the input: byte-for-byte for
the text values (durations, private enumerations, URIs), equal for the rest.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from openderms.schemas.openadr3 import FOREVER, NOW, Duration, is_now
from openderms.schemas.openadr3 import models as oadr
from openderms.schemas.openadr3.types import EventPayloadType, format_datetime
from openderms.testing.openadr_yaml import example_document, openadr_document, openadr_yaml_path

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _needs_yaml() -> None:
    if openadr_yaml_path() is None:
        pytest.skip("openadr3.yaml not found: set OPENDERMS_OPENADR_YAML or provide ../shared")


# YAML schema name -> model, and the objectType an addressable object carries.
MODELS: dict[str, type[BaseModel]] = {
    "program": oadr.Program,
    "programRequest": oadr.ProgramRequest,
    "report": oadr.Report,
    "reportRequest": oadr.ReportRequest,
    "event": oadr.Event,
    "eventRequest": oadr.EventRequest,
    "subscription": oadr.Subscription,
    "subscriptionRequest": oadr.SubscriptionRequest,
    "ven": oadr.Ven,
    "venRequest": oadr.VenRequest,
    "BlVenRequest": oadr.BlVenRequest,
    "VenVenRequest": oadr.VenVenRequest,
    "resource": oadr.Resource,
    "resourceRequest": oadr.ResourceRequest,
    "BlResourceRequest": oadr.BlResourceRequest,
    "VenResourceRequest": oadr.VenResourceRequest,
    "objectMetadata": oadr.ObjectMetadata,
    "interval": oadr.Interval,
    "intervalPeriod": oadr.IntervalPeriod,
    "valuesMap": oadr.ValuesMap,
    "point": oadr.Point,
    "eventPayloadDescriptor": oadr.EventPayloadDescriptor,
    "reportPayloadDescriptor": oadr.ReportPayloadDescriptor,
    "reportDescriptor": oadr.ReportDescriptor,
    "notification": oadr.Notification,
    "clientCredentialRequest": oadr.ClientCredentialRequest,
    "clientCredentialResponse": oadr.ClientCredentialResponse,
    "authError": oadr.AuthError,
    "authServerInfo": oadr.AuthServerInfo,
    "problem": oadr.Problem,
    "notifiersResponse": oadr.NotifiersResponse,
    "mqttNotifierBindingObject": oadr.MqttNotifierBindingObject,
    "mqttNotifierAuthenticationAnonymous": oadr.MqttNotifierAuthenticationAnonymous,
    "mqttNotifierAuthenticationOauth2BearerToken": (
        oadr.MqttNotifierAuthenticationOauth2BearerToken
    ),
    "mqttNotifierAuthenticationCertificate": oadr.MqttNotifierAuthenticationCertificate,
    "notifierOperationsTopics": oadr.NotifierOperationsTopics,
    "notifierTopicsResponse": oadr.NotifierTopicsResponse,
}
# Schemas that are single values, typed in openderms.schemas.openadr3.types.
VALUE_SCHEMAS = {
    "objectID",
    "clientID",
    "venName",
    "clientName",
    "target",
    "resourceName",
    "units",
    "readingType",
    "objectTypes",
    "dateTime",
    "duration",
}
OBJECT_TYPES = {
    "program": "PROGRAM",
    "event": "EVENT",
    "report": "REPORT",
    "subscription": "SUBSCRIPTION",
    "ven": "VEN",
    "resource": "RESOURCE",
}


def _example(name: str, choice: int = 0) -> dict[str, Any]:
    schema = openadr_document()["components"]["schemas"][name]
    document: dict[str, Any] = example_document(schema, choice=choice)
    if name in OBJECT_TYPES:
        document["objectType"] = OBJECT_TYPES[name]
    if name == "notification":
        document["objectType"] = "PROGRAM"
        document["object"] = _example("program", choice)
    if name == "objectMetadata":
        # Curated: each object states its own objectType (see the generator's docstring).
        document.pop("objectType")
    if name == "authError":
        # The YAML's error_uri example ("See the full API docs at https://...") is prose,
        # not a URI; a real one stands in.
        document["error_uri"] = "https://vtn.example/docs/token-errors"
    return document


def _round_trip(model: type[BaseModel], document: Any) -> Any:
    parsed = model.model_validate(document)
    return json.loads(parsed.model_dump_json(exclude_unset=True))


def test_every_yaml_schema_has_a_model() -> None:
    """Each schema of components/schemas is a model here or a typed value."""
    names = set(openadr_document()["components"]["schemas"])
    assert names - set(MODELS) - VALUE_SCHEMAS == set()


def test_every_yaml_property_is_a_model_field() -> None:
    """No property of an object schema is lost (models keep every YAML field)."""
    schemas = openadr_document()["components"]["schemas"]
    missing = []
    for name, model in MODELS.items():
        if issubclass(model, oadr.VenRequest | oadr.ResourceRequest):
            continue
        document = _example(name)
        for key in document:
            if key not in model.model_fields:
                missing.append(f"{name}.{key}")
        assert schemas[name]
    assert missing == []


@pytest.mark.parametrize("name", sorted(MODELS))
def test_yaml_examples_round_trip(name: str) -> None:
    """The document made from the YAML's examples parses and is written back unchanged."""
    for choice in (0, 1):
        document = _example(name, choice)
        assert _round_trip(MODELS[name], document) == document


def test_stored_objects_carry_the_server_assigned_fields_requests_do_not() -> None:
    """id, createdDateTime, modificationDateTime, objectType: server's, never the client's."""
    server_fields = {"id", "createdDateTime", "modificationDateTime", "objectType"}
    for request, stored in [
        (oadr.ProgramRequest, oadr.Program),
        (oadr.EventRequest, oadr.Event),
        (oadr.ReportRequest, oadr.Report),
        (oadr.SubscriptionRequest, oadr.Subscription),
    ]:
        assert server_fields <= set(stored.model_fields)
        assert not server_fields & set(request.model_fields)


@pytest.mark.parametrize("bad", ["", "a" * 129, "has space", "slash/inside", "dot.id", "é"])
def test_object_id_is_1_to_128_url_safe_characters(bad: str) -> None:
    """objectID: pattern ^[a-zA-Z0-9_-]*$, 1-128 characters."""
    with pytest.raises(ValidationError):
        oadr.EventRequest.model_validate({"programID": bad})


def test_object_id_accepts_128_url_safe_characters() -> None:
    good = "a-Z_0" * 25 + "abc"
    assert oadr.EventRequest.model_validate({"programID": good}).programID == good


@pytest.mark.parametrize("start", ["0001-01-01", "0001-01-01T00:00:00", "0001-01-01T00:00:00Z"])
def test_start_sentinel_is_now(start: str) -> None:
    """intervalPeriod.start 0001-01-01 may indicate "now" (OpenADR 3.1 intervalPeriod)."""
    period = oadr.IntervalPeriod.model_validate({"start": start, "duration": "P9999Y"})
    assert is_now(period.start) and period.start == NOW
    assert period.duration is not None and period.duration.is_forever
    assert period.duration == FOREVER
    assert _round_trip(oadr.IntervalPeriod, {"start": start}) == {"start": "0001-01-01T00:00:00Z"}


def test_start_needs_an_offset() -> None:
    """dateTime is RFC 3339: a time without offset (other than the sentinel) is refused."""
    with pytest.raises(ValidationError):
        oadr.IntervalPeriod.model_validate({"start": "2024-01-01T00:00:00"})


def test_datetime_keeps_its_instant() -> None:
    period = oadr.IntervalPeriod.model_validate({"start": "2024-05-01T12:00:00+02:00"})
    assert period.start == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert format_datetime(period.start) == "2024-05-01T10:00:00Z"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT1H", 3600.0),
        ("PT15M", 900.0),
        ("PT0.5S", 0.5),
        ("P1D", 86400.0),
        ("P2W", 14 * 86400.0),
        ("P1DT1H1M1S", 90061.0),
        ("-PT5M", -300.0),
        ("P1Y", 365 * 86400.0),
        ("P1M", 30 * 86400.0),
    ],
)
def test_iso8601_durations(text: str, seconds: float) -> None:
    duration = Duration(text)
    assert duration.seconds == seconds
    assert str(duration) == text
    assert _round_trip(oadr.IntervalPeriod, {"duration": text}) == {"duration": text}


@pytest.mark.parametrize("bad", ["P", "PT", "1H", "PT1H30", "P1H", "P1DT", "pt1h", "P1.5D"])
def test_bad_durations_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        oadr.IntervalPeriod.model_validate({"duration": bad})


def test_duration_from_seconds() -> None:
    assert Duration.from_seconds(900) == "PT900S"
    assert Duration.from_seconds(-1.5).seconds == -1.5


def test_known_payload_type_is_an_enum_member() -> None:
    payload = oadr.ValuesMap.model_validate({"type": "EXPORT_CAPACITY_LIMIT", "values": [5.0]})
    assert payload.type is EventPayloadType.EXPORT_CAPACITY_LIMIT


def test_private_enumeration_values_survive_a_round_trip() -> None:
    """OpenADR 3.1 Definitions, Private Strings: unknown values are kept as written."""
    event = {
        "programID": "p1",
        "payloadDescriptors": [
            {
                "objectType": "EVENT_PAYLOAD_DESCRIPTOR",
                "payloadType": "PRIVATE_ALGORITHM",
                "units": "MEGA_SMILES",
            }
        ],
        "reportDescriptors": [{"payloadType": "X_VENDOR", "readingType": "X_READING"}],
        "intervals": [{"id": 0, "payloads": [{"type": "PRIVATE_ALGORITHM", "values": [0.17]}]}],
    }
    parsed = oadr.EventRequest.model_validate(event)
    assert parsed.intervals is not None
    assert parsed.intervals[0].payloads[0].type == "PRIVATE_ALGORITHM"
    assert _round_trip(oadr.EventRequest, event) == event


def test_private_value_over_128_characters_is_refused() -> None:
    with pytest.raises(ValidationError):
        oadr.ValuesMap.model_validate({"type": "X" * 129, "values": []})


def test_values_keep_their_json_types() -> None:
    """valuesMap.values: number, integer, string, boolean or point, each kept as it came."""
    values = [1, 1.5, "text", True, False, {"x": 1.0, "y": 2.0}]
    document = {"type": "CURVE", "values": values}
    assert _round_trip(oadr.ValuesMap, document) == document


def test_uris_are_kept_as_written() -> None:
    """callbackUrl is not normalised (pydantic's AnyUrl would add a trailing slash)."""
    operation = {"objects": ["EVENT"], "operations": ["CREATE"], "callbackUrl": "https://h.test"}
    assert _round_trip(oadr.ObjectOperation, operation) == operation
    with pytest.raises(ValidationError):
        oadr.ObjectOperation.model_validate({**operation, "callbackUrl": "no scheme"})


def test_ven_object_type_is_ven() -> None:
    """Interpretation: ven = objectMetadata + BlVenRequest asks objectType to be both VEN
    and BL_VEN_REQUEST; the stored object says VEN (the objectTypes value)."""
    document = _example("ven")
    assert oadr.Ven.model_validate(document).objectType == "VEN"
    with pytest.raises(ValidationError):
        oadr.Ven.model_validate({**document, "objectType": "BL_VEN_REQUEST"})


def test_ven_request_is_either_kind() -> None:
    ven_side = oadr.VenRequest.model_validate({"objectType": "VEN_VEN_REQUEST", "venName": "v"})
    assert isinstance(ven_side.root, oadr.VenVenRequest)
    bl_side = oadr.VenRequest.model_validate(
        {"objectType": "BL_VEN_REQUEST", "venName": "v", "clientID": "c"}
    )
    assert isinstance(bl_side.root, oadr.BlVenRequest)
    assert bl_side.root.targets is None


@pytest.mark.slow
def test_generated_models_are_up_to_date(tmp_path: Path) -> None:
    """schemas/openadr3/models.py is what the committed script makes from the YAML."""
    source = openadr_yaml_path()
    assert source is not None
    out = tmp_path / "models.py"
    script = REPO / "scripts" / "generate_openadr3_models.py"
    subprocess.run(
        [sys.executable, str(script), "--output", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    committed = (REPO / "schemas" / "openadr3" / "models.py").read_text("utf-8")
    assert out.read_text("utf-8") == committed
