"""Which profiles' documents the head-end accepts from clients, and how they map inward.

The server's own model is CSIP-AUS v1.2 (`openderms.schemas.sep2.models`): it sends that
(whose CSIP-AUS elements are all optional extensions, so a CSIP (US) or 2030.5-2023
client reads it), and a body valid there is taken as is. A body it refuses is tried
against the other accepted profiles, each strictly against its own schema (issue 11
items 13, 14):

- CSIP (US), plain IEEE 2030.5-2018: CSIP-AUS elements are optional there. The only
  CSIP-AUS element the AUS schema *requires* is ``DERCapability/doeModesSupported``.
- IEEE 2030.5-2023: ``schemaVer``, ``connectStatus``, ``modesResponded``,
  ``MirrorUsagePoint/@subscribable`` and the rest of sep-2023.xsd.

*Interpretation*: a document valid in another accepted profile is mapped onto the server's
classes, dropping what 2018 does not define (2023 additions are ignored, the issue allows
"ignore or store"). When the server's classes cannot hold it at all (a CSIP (US)
DERCapability without doeModesSupported), the other profile's object is returned and the
service stores its own encoding of it.
"""

from __future__ import annotations

from collections.abc import Sequence

from openderms.schemas.sep2.codec import CodecLimits, decode
from openderms.schemas.sep2.errors import (
    InvalidValueError,
    MalformedXmlError,
    SepXmlError,
    WrongRootError,
)
from openderms.schemas.sep2.profiles import Profile

__all__ = ["ACCEPTED_PROFILES", "decode_from_client", "profile_named"]

#: Profiles a client may write in besides the server's own, in the order tried.
ACCEPTED_PROFILES: tuple[Profile, ...] = (Profile.CSIP, Profile.SEP_2023)

#: Errors that may be a profile question (size, depth and DTD errors are not).
_PROFILE_ERRORS = (MalformedXmlError, WrongRootError, InvalidValueError)


def profile_named(name: str) -> Profile:
    """The profile of a setting value (``"csip"``, ``"sep2023"``, ``"csipaus13"``)."""
    try:
        return Profile(name)
    except ValueError:
        names = ", ".join(p.value for p in Profile)
        raise ValueError(f"unknown profile {name!r} (one of {names})") from None


def _counterparts(expected: type | tuple[type, ...], profile: Profile) -> tuple[type, ...]:
    """The classes of the same names in `profile`. Where sep-2023.xsd declares an element
    over a type of the same name, xsdata calls the type ``X_1``; subtypes (a
    DERControlResponse for a Response) derive from that one, so it is accepted too."""
    names = [cls.__name__ for cls in (expected if isinstance(expected, tuple) else (expected,))]
    module = profile.module
    found = [getattr(module, name) for name in names]
    found += [getattr(module, f"{name}_1") for name in names if hasattr(module, f"{name}_1")]
    return tuple(found)


def decode_from_client(
    data: bytes,
    expected: type | tuple[type, ...],
    *,
    limits: CodecLimits,
    accepted: Sequence[Profile] = ACCEPTED_PROFILES,
) -> object:
    """A client's body as the server's class `expected`, else as another accepted profile's.

    Raises
    ------
    SepXmlError
        Valid in no accepted profile: the server profile's own error (its reason).
    """
    try:
        return decode(data, expected, limits=limits)
    except _PROFILE_ERRORS as error:
        refused = error
    for profile in accepted:
        try:
            theirs = decode(data, _counterparts(expected, profile), profile=profile, limits=limits)
        except (SepXmlError, AttributeError):
            continue
        try:
            return decode(data, expected, limits=limits, ignore_unknown=True)
        except SepXmlError:
            return theirs  # the server's classes cannot hold it: keep the client's
    raise refused
