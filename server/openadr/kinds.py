"""The six addressable OpenADR objects, declared once: path, models, scopes, privacy.

Routes, services and notifications derive from this table. ``read_scope`` and
``write_scope`` are the YAML's ``security`` of each path; ``owned`` objects (reports,
subscriptions, VENs, resources) are private to the client whose clientID they carry;
``targeted`` objects (programs, events) are visible to a VEN when untargeted or targeted
at it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, RootModel

from openderms.schemas.openadr3 import models as oadr
from openderms.server.openadr.scopes import Scope

__all__ = ["KINDS", "KINDS_BY_TYPE", "Kind"]


@dataclass(frozen=True, slots=True)
class Kind:
    """One object type of the API."""

    collection: str  # path segment: "programs"
    object_type: str  # objectTypes value: "PROGRAM"
    id_param: str  # path parameter: "programID"
    request: type[BaseModel | RootModel]  # type: ignore[type-arg]  # VenRequest is a RootModel
    stored: type[BaseModel]
    read_scope: Scope
    write_scope: Scope
    owned: bool
    targeted: bool


KINDS: tuple[Kind, ...] = (
    Kind(
        "programs",
        "PROGRAM",
        "programID",
        oadr.ProgramRequest,
        oadr.Program,
        Scope.READ_TARGETS,
        Scope.WRITE_PROGRAMS,
        owned=False,
        targeted=True,
    ),
    Kind(
        "events",
        "EVENT",
        "eventID",
        oadr.EventRequest,
        oadr.Event,
        Scope.READ_TARGETS,
        Scope.WRITE_EVENTS,
        owned=False,
        targeted=True,
    ),
    Kind(
        "reports",
        "REPORT",
        "reportID",
        oadr.ReportRequest,
        oadr.Report,
        Scope.READ_VEN_OBJECTS,
        Scope.WRITE_REPORTS,
        owned=True,
        targeted=False,
    ),
    Kind(
        "subscriptions",
        "SUBSCRIPTION",
        "subscriptionID",
        oadr.SubscriptionRequest,
        oadr.Subscription,
        Scope.READ_VEN_OBJECTS,
        Scope.WRITE_SUBSCRIPTIONS,
        owned=True,
        targeted=False,
    ),
    Kind(
        "vens",
        "VEN",
        "venID",
        oadr.VenRequest,
        oadr.Ven,
        Scope.READ_VEN_OBJECTS,
        Scope.WRITE_VENS,
        owned=True,
        targeted=False,
    ),
    Kind(
        "resources",
        "RESOURCE",
        "resourceID",
        oadr.ResourceRequest,
        oadr.Resource,
        Scope.READ_VEN_OBJECTS,
        Scope.WRITE_VENS,
        owned=True,
        targeted=False,
    ),
)
KINDS_BY_TYPE = {kind.object_type: kind for kind in KINDS}
