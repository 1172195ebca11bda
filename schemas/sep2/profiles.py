"""Profiles: which schema (and so which binding module) a document follows.

CSIP-AUS 1.2 and 1.3 (IEEE 2030.5-2018 plus the CSIP-AUS extension), CSIP (US: plain
IEEE 2030.5-2018, where the CSIP-AUS elements do not exist) and IEEE 2030.5-2023.
"""

from __future__ import annotations

import importlib
from enum import Enum
from types import ModuleType

__all__ = ["DEFAULT_PROFILE", "SEP_NAMESPACE", "Profile"]

#: The IEEE 2030.5 namespace, the default namespace of every document.
SEP_NAMESPACE = "urn:ieee:std:2030.5:ns"


class Profile(Enum):
    """A profile: its binding module and extension namespace.

    Each profile is a complete 2030.5 class set (the CSIP-AUS cores ``xs:redefine``
    sep.xsd), so classes of two profiles are distinct types and do not mix in one document.
    """

    CSIP_AUS_12 = "csipaus12"
    CSIP_AUS_13 = "csipaus13"
    CSIP = "csip"
    """CSIP (California Rule 21): plain IEEE 2030.5-2018 (sep.xsd), no extension."""
    SEP_2023 = "sep2023"
    """IEEE 2030.5-2023 (sep-2023.xsd, schema version 2.2), no extension."""

    @property
    def module(self) -> ModuleType:
        """The generated xsdata binding module of this profile."""
        return importlib.import_module(f"openderms.schemas.sep2.bindings.{self.value}")

    @property
    def extension_namespace(self) -> str | None:
        """Namespace of the CSIP-AUS extension elements (prefix ``csipaus`` on the wire);
        None for the profiles without an extension."""
        return _EXTENSION_NAMESPACES.get(self)

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
