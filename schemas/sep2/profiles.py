"""Profiles: which CSIP-AUS revision (and so which binding module) a document follows."""

from __future__ import annotations

import importlib
from enum import Enum
from types import ModuleType

__all__ = ["DEFAULT_PROFILE", "SEP_NAMESPACE", "Profile"]

#: The IEEE 2030.5 namespace, the default namespace of every document.
SEP_NAMESPACE = "urn:ieee:std:2030.5:ns"


class Profile(Enum):
    """A CSIP-AUS revision: its binding module and extension namespace.

    Each profile is a complete 2030.5 class set (the CSIP-AUS cores ``xs:redefine``
    sep.xsd), so classes of two profiles are distinct types and do not mix in one document.
    """

    CSIP_AUS_12 = "csipaus12"
    CSIP_AUS_13 = "csipaus13"

    @property
    def module(self) -> ModuleType:
        """The generated xsdata binding module of this profile."""
        return importlib.import_module(f"openderms.schemas.sep2.bindings.{self.value}")

    @property
    def extension_namespace(self) -> str:
        """Namespace of the CSIP-AUS extension elements (prefix ``csipaus`` on the wire)."""
        return _EXTENSION_NAMESPACES[self]

    @classmethod
    def of(cls, obj_or_type: object) -> Profile | None:
        """The profile whose binding module defines ``obj_or_type`` (a class or instance)."""
        kind = obj_or_type if isinstance(obj_or_type, type) else type(obj_or_type)
        return _BY_MODULE.get(kind.__module__)


_EXTENSION_NAMESPACES = {
    Profile.CSIP_AUS_12: "https://csipaus.org/ns",
    Profile.CSIP_AUS_13: "https://csipaus.org/ns/v1.3",
}
_BY_MODULE = {f"openderms.schemas.sep2.bindings.{p.value}": p for p in Profile}

#: CSIP-AUS v1.2 (namespace https://csipaus.org/ns) is the default profile.
DEFAULT_PROFILE = Profile.CSIP_AUS_12
