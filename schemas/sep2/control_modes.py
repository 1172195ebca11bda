"""The DERControlBase modes as wire facts: element, wire type, unit and power of ten.

Pure data (sep.xsd DERControlBase and the CSIP-AUS extension). The server layers its
store columns, admin fields and labels on this table (`openderms.server.control_modes`);
the client reads the same elements when it maps a control to its envelope.

A quantity on the wire is ``value × 10^power_of_ten`` in ``unit``; where the element
carries its own ``multiplier`` (ActivePower, ReactivePower, PowerFactorWithExcitation)
``power_of_ten`` is None.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "CURVE_MODES",
    "DER_CONTROL_MODES",
    "WireKind",
    "WireMode",
    "wire_mode",
]


class WireKind(StrEnum):
    """The sep.xsd type of a DERControlBase element."""

    BOOLEAN = "boolean"
    #: value × 10^multiplier [W] (ActivePower, and the CSIP-AUS opMod*LimW).
    ACTIVE_POWER = "ActivePower"
    #: value × 10^multiplier [var].
    REACTIVE_POWER = "ReactivePower"
    #: hundredths of a percent, 0..10000.
    PER_CENT = "PerCent"
    #: hundredths of a percent, -10000..10000.
    SIGNED_PER_CENT = "SignedPerCent"
    UINT16 = "UInt16"
    #: displacement × 10^multiplier with an excitation flag.
    POWER_FACTOR = "PowerFactorWithExcitation"
    #: a SignedPerCent of a DERUnitRefType.
    FIXED_VAR = "FixedVar"
    #: a link to a DERCurve.
    CURVE_LINK = "DERCurveLink"


@dataclass(frozen=True, slots=True)
class WireMode:
    """One DERControlBase element.

    Attributes
    ----------
    element : str
        The element (and binding attribute) name, e.g. ``opModExpLimW``.
    kind : WireKind
        Its sep.xsd type.
    unit : str
        Unit of the scaled quantity: ``W``, ``var``, ``%``, ``s`` or ``""`` (none).
    power_of_ten : int or None
        Fixed power-of-ten of the wire integer (-2 for hundredths); None when the element
        carries its own multiplier or has no quantity.
    csip_aus : bool
        Defined by CSIP-AUS (namespace https://csipaus.org/ns), not sep.xsd.
    """

    element: str
    kind: WireKind
    unit: str = ""
    power_of_ten: int | None = None
    csip_aus: bool = False


_CURVE_ELEMENTS = (
    "opModFreqWatt",
    "opModHFRTMayTrip",
    "opModHFRTMustTrip",
    "opModHVRTMayTrip",
    "opModHVRTMomentaryCessation",
    "opModHVRTMustTrip",
    "opModLFRTMayTrip",
    "opModLFRTMustTrip",
    "opModLVRTMayTrip",
    "opModLVRTMomentaryCessation",
    "opModLVRTMustTrip",
    "opModVoltVar",
    "opModVoltWatt",
    "opModWattPF",
    "opModWattVar",
)

#: Every DERControlBase element but opModFreqDroop (a structure no one authors yet).
DER_CONTROL_MODES: tuple[WireMode, ...] = (
    WireMode("opModConnect", WireKind.BOOLEAN),
    WireMode("opModEnergize", WireKind.BOOLEAN),
    WireMode("opModExpLimW", WireKind.ACTIVE_POWER, "W", csip_aus=True),
    WireMode("opModImpLimW", WireKind.ACTIVE_POWER, "W", csip_aus=True),
    WireMode("opModGenLimW", WireKind.ACTIVE_POWER, "W", csip_aus=True),
    WireMode("opModLoadLimW", WireKind.ACTIVE_POWER, "W", csip_aus=True),
    WireMode("opModFixedW", WireKind.SIGNED_PER_CENT, "%", -2),
    WireMode("opModMaxLimW", WireKind.PER_CENT, "%", -2),
    WireMode("opModTargetW", WireKind.ACTIVE_POWER, "W"),
    WireMode("opModTargetVar", WireKind.REACTIVE_POWER, "var"),
    WireMode("opModFixedPFInjectW", WireKind.POWER_FACTOR),
    WireMode("opModFixedPFAbsorbW", WireKind.POWER_FACTOR),
    WireMode("opModFixedVar", WireKind.FIXED_VAR, "%", -2),
    #: rampTms: hundredths of a second to move to the new setting.
    WireMode("rampTms", WireKind.UINT16, "s", -2),
    *(WireMode(element, WireKind.CURVE_LINK) for element in _CURVE_ELEMENTS),
)

#: DERControlBase elements that link a DERCurve.
CURVE_MODES: tuple[str, ...] = _CURVE_ELEMENTS

_BY_ELEMENT = {mode.element: mode for mode in DER_CONTROL_MODES}


def wire_mode(element: str) -> WireMode:
    """The table row of ``element``.

    Raises
    ------
    KeyError
        ``element`` is not a DERControlBase mode of the table.
    """
    return _BY_ELEMENT[element]
