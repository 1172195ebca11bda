"""The 2030.5 + CSIP-AUS wire classes of the default profile (CSIP-AUS v1.2).

Import as ``from openderms.schemas.sep2 import models as sep`` and build resources with the
standard's own names: ``sep.DERControl(mRID=sep.mRIDType(value=...), ...)``. Other profiles'
classes live in ``openderms.schemas.sep2.bindings.<profile>``; see :class:`Profile`.
"""

from __future__ import annotations

# A star import on purpose: every generated class of the default profile is this
# module's public API, and the list changes only when the bindings are regenerated.
from openderms.schemas.sep2.bindings.csipaus12 import *  # noqa: F403
from openderms.schemas.sep2.profiles import DEFAULT_PROFILE as DEFAULT_PROFILE
from openderms.schemas.sep2.profiles import SEP_NAMESPACE as SEP_NAMESPACE
from openderms.schemas.sep2.profiles import Profile as Profile

#: The profile these classes belong to.
PROFILE = Profile.CSIP_AUS_12
