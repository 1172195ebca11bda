"""The wire table of DERControlBase modes agrees with the bindings and with the client."""

from __future__ import annotations

import dataclasses

from openderms.client.sep2.mapping import MAPPED_MODES
from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.control_modes import CURVE_MODES, DER_CONTROL_MODES, WireKind


def test_table_covers_every_der_control_base_element_but_freq_droop() -> None:
    """sep.xsd DERControlBase (+ CSIP-AUS opMod*LimW); opModFreqDroop is a structure no one
    authors yet."""
    elements = {field.name for field in dataclasses.fields(sep.DERControlBase)}
    assert {mode.element for mode in DER_CONTROL_MODES} == elements - {"opModFreqDroop"}


def test_curve_modes_are_the_curve_link_rows() -> None:
    links = {m.element for m in DER_CONTROL_MODES if m.kind is WireKind.CURVE_LINK}
    assert set(CURVE_MODES) == links


def test_the_client_maps_only_elements_of_the_table() -> None:
    assert {mode.element for mode in DER_CONTROL_MODES} >= MAPPED_MODES
