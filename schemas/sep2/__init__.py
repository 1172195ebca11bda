"""IEEE 2030.5 + CSIP-AUS wire types and the hardened XML codec.

``models`` holds the default profile's classes (``from openderms.schemas.sep2 import models
as sep``), ``codec`` turns bytes into them and back, ``errors`` the typed failures,
``enums`` the standard's documented enumerations, ``values`` small wire-value conversions.
"""

from openderms.schemas.sep2.codec import SEP_XML, CodecLimits, decode, encode
from openderms.schemas.sep2.errors import SepXmlError, error_body
from openderms.schemas.sep2.profiles import DEFAULT_PROFILE, Profile

__all__ = [
    "DEFAULT_PROFILE",
    "SEP_XML",
    "CodecLimits",
    "Profile",
    "SepXmlError",
    "decode",
    "encode",
    "error_body",
]
