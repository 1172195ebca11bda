"""Ranges, lengths and documented enumerations are enforced on decode and on encode."""

from __future__ import annotations

import pytest

from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.codec import decode, encode
from openderms.schemas.sep2.enums import EventStatusCode, ResponseStatus
from openderms.schemas.sep2.errors import InvalidValueError, WrongRootError
from openderms.schemas.sep2.validation import validate
from openderms.testing import sep2_examples as ex


def test_encode_refuses_event_status_outside_the_standard() -> None:
    control = ex.der_control()
    control.EventStatus.currentStatus = 5  # 0-4 defined, "All other values reserved"

    with pytest.raises(InvalidValueError, match="EventStatusCode"):
        encode(control)


@pytest.mark.parametrize("code", list(EventStatusCode))
def test_every_event_status_code_is_accepted(code: EventStatusCode) -> None:
    control = ex.der_control(status=code)

    assert decode(encode(control), sep.DERControl).EventStatus.currentStatus == code


def test_response_status_from_table_27_is_accepted_and_reserved_refused() -> None:
    accepted = ex.response(ResponseStatus.REJECTED_EXPIRED)
    refused = ex.response()
    refused.status = 100

    assert decode(encode(accepted), sep.Response).status == 254
    with pytest.raises(InvalidValueError, match="ResponseStatus"):
        encode(refused)


def test_response_status_rule_applies_to_der_control_response() -> None:
    """Rules declared on a base type apply to its specialisations."""
    reply = ex.der_control_response()
    reply.status = 0

    with pytest.raises(InvalidValueError):
        encode(reply)


def test_int16_power_value_is_range_checked() -> None:
    power = sep.ActivePower(multiplier=sep.PowerOfTenMultiplierType(value=0), value=-32_769)

    with pytest.raises(InvalidValueError, match="below the minimum -32768"):
        validate(power)


def test_uint32_attribute_is_range_checked() -> None:
    capability = ex.device_capability()
    capability.pollRate = 2**32

    with pytest.raises(InvalidValueError, match="pollRate"):
        encode(capability)


def test_uint8_negative_is_refused_on_decode() -> None:
    body = encode(ex.time_resource()).replace(b"<quality>7</quality>", b"<quality>-1</quality>")

    with pytest.raises(InvalidValueError, match="quality"):
        decode(body)


def test_int64_time_beyond_range_is_refused() -> None:
    body = encode(ex.registration()).replace(
        b"<dateTimeRegistered>1700000000", b"<dateTimeRegistered>9223372036854775808"
    )

    with pytest.raises(InvalidValueError, match="dateTimeRegistered"):
        decode(body)


def test_string_longer_than_max_length_is_refused() -> None:
    program = ex.der_program()
    program.description = "x" * 33  # String32

    with pytest.raises(InvalidValueError, match="length 33"):
        encode(program)


def test_max_length_counts_characters_not_bytes() -> None:
    program = ex.der_program()
    program.description = "é" * 32  # 64 UTF-8 bytes, 32 characters: valid String32

    assert decode(encode(program), sep.DERProgram).description == "é" * 32


def test_hex_binary_longer_than_max_length_is_refused_on_decode() -> None:
    body = encode(ex.der_control()).replace(ex.mrid(3001).value.hex().upper().encode(), b"00" * 17)

    with pytest.raises(InvalidValueError, match="length 17"):
        decode(body)


def test_reserved_der_control_type_bits_are_refused() -> None:
    capability = ex.der_capability()
    capability.modesSupported = sep.DERControlType(value=(1 << 27).to_bytes(4, "big"))

    with pytest.raises(InvalidValueError, match="reserved bits"):
        encode(capability)


def test_reserved_doe_mode_bits_are_refused() -> None:
    capability = ex.der_capability()
    capability.doeModesSupported = sep.doeModesSupported(value=b"\x10")

    with pytest.raises(InvalidValueError, match="reserved bits"):
        encode(capability)


def test_der_type_outside_the_standard_is_refused() -> None:
    capability = ex.der_capability()
    capability.type_value = sep.DERType(value=7)

    with pytest.raises(InvalidValueError, match="DERType"):
        encode(capability)


def test_subscribable_outside_subscribable_type_is_refused() -> None:
    program = ex.der_program()
    program.subscribable = 4

    with pytest.raises(InvalidValueError, match="SubscribableType"):
        encode(program)


def test_encode_refuses_a_missing_required_element() -> None:
    control = ex.der_control()
    control.EventStatus = None  # type: ignore[assignment]  # the bug under test

    with pytest.raises(InvalidValueError, match="EventStatus: required"):
        encode(control)


def test_encode_refuses_a_value_of_the_wrong_type() -> None:
    error = sep.Error(reasonCode="1")  # type: ignore[arg-type]  # the bug under test

    with pytest.raises(InvalidValueError, match="expected int"):
        encode(error)


def test_encode_refuses_bool_for_an_integer() -> None:
    error = sep.Error(reasonCode=True)

    with pytest.raises(InvalidValueError, match="expected int"):
        encode(error)


def test_enum_members_encode_as_their_numbers() -> None:
    control = ex.der_control()
    control.EventStatus.currentStatus = EventStatusCode.ACTIVE

    assert b"<currentStatus>1</currentStatus>" in encode(control)


def test_encode_refuses_an_object_that_is_not_a_resource() -> None:
    with pytest.raises(WrongRootError):
        encode(object())


def test_invalid_list_item_is_reported_with_its_index() -> None:
    controls = ex.der_control_list(3)
    controls.DERControl[2].EventStatus.currentStatus = 9

    with pytest.raises(InvalidValueError, match=r"DERControl\[2\]"):
        encode(controls)


def test_encode_refuses_a_base_class_where_csip_aus_declares_its_element() -> None:
    """A plain ActivePower in opModExpLimW would go out with an unexpected xsi:type."""
    base = ex.csip_aus_limits()
    base.opModExpLimW = sep.ActivePower(  # type: ignore[assignment]  # the bug under test
        multiplier=sep.PowerOfTenMultiplierType(value=0), value=1
    )

    with pytest.raises(InvalidValueError, match="expected opModExpLimW, got ActivePower"):
        encode(base)


def test_encode_refuses_an_unrelated_element_class() -> None:
    reading = ex.der_availability()
    reading.statWAvail = sep.ReactivePower(  # type: ignore[assignment]  # the bug under test
        multiplier=sep.PowerOfTenMultiplierType(value=0), value=1
    )

    with pytest.raises(InvalidValueError, match="statWAvail"):
        encode(reading)


def test_response_required_reserved_bit_is_refused_on_der_control() -> None:
    """responseRequired bits 0-2 are defined; the rule sits on RespondableResource."""
    control = ex.der_control()
    control.responseRequired = b"\x08"

    with pytest.raises(InvalidValueError, match="responseRequired"):
        encode(control)


def test_time_quality_outside_3_to_7_is_refused() -> None:
    body = encode(ex.time_resource()).replace(b"<quality>7</quality>", b"<quality>2</quality>")

    with pytest.raises(InvalidValueError, match="TimeQuality"):
        decode(body)


def test_role_flags_reserved_bit_is_refused() -> None:
    point = ex.mirror_usage_point()
    point.roleFlags = sep.RoleFlagsType(value=b"\x80\x00")

    with pytest.raises(InvalidValueError, match="roleFlags"):
        encode(point)


def test_subscription_encoding_must_be_xml_or_exi() -> None:
    subscription = ex.subscription()
    subscription.encoding = 2

    with pytest.raises(InvalidValueError, match="SubscriptionEncoding"):
        encode(subscription)


def test_encode_refuses_a_list_whose_results_disagree_with_its_items() -> None:
    """sep.xsd List: results is the number of items in this page."""
    controls = ex.der_control_list(3)
    controls.results = 2

    with pytest.raises(InvalidValueError, match="results=2"):
        encode(controls)


def test_encode_refuses_a_page_larger_than_all() -> None:
    programs = ex.der_program_list(2)
    programs.all = 1

    with pytest.raises(InvalidValueError, match="all=1"):
        encode(programs)


def test_list_counts_are_checked_inside_a_notification() -> None:
    note = ex.notification()
    assert isinstance(note.Resource, sep.DERControlList)
    note.Resource.results = 0

    with pytest.raises(InvalidValueError, match="DERControlList"):
        encode(note)


def test_a_page_of_a_longer_list_is_accepted() -> None:
    controls = ex.der_control_list(2)
    controls.all = 10

    assert decode(encode(controls), sep.DERControlList).all == 10
