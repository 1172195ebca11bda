"""Mappers are pure: rows in, 2030.5 resources out, time passed in (no session)."""

from __future__ import annotations

from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.codec import decode, encode
from openderms.server.mappers.derp import RESPONSE_REQUIRED, map_control, map_default_control
from openderms.server.mappers.end_device import map_end_device
from openderms.server.store.models import DefaultDERControlRow, DERControlRow, EndDeviceRow

CONTROL = DERControlRow(
    id=7,
    program_id=3,
    mrid="0A" * 16,
    creation_time=100,
    start_time=1000,
    duration_s=600,
    randomize_start_s=30,
    op_mod_exp_lim_w=1500.0,
    op_mod_gen_lim_w=100000.0,
    curve_ids={"opModVoltWatt": 9},
)


def test_control_href_reply_to_and_links_are_per_device() -> None:
    control = map_control(CONTROL, end_device_id=5, now=0)
    assert control.href == "/edev/5/derp/3/derc/7"
    assert control.replyTo == "/rsps/3/rsp"
    assert control.responseRequired == RESPONSE_REQUIRED
    link = control.DERControlBase.opModVoltWatt
    assert link is not None and link.href == "/edev/5/derp/3/dc/9"


def test_control_status_depends_only_on_now() -> None:
    assert map_control(CONTROL, 5, now=999).EventStatus.currentStatus == 0
    assert map_control(CONTROL, 5, now=1000).EventStatus.currentStatus == 1


def test_mapped_control_is_valid_on_the_wire() -> None:
    """The codec validates on encode; a round trip keeps the limits."""
    control = map_control(CONTROL, 5, now=0)
    back = decode(encode(control), sep.DERControl)
    limit = back.DERControlBase.opModGenLimW
    assert limit is not None and limit.value * 10**limit.multiplier.value == 100000
    assert back.randomizeStart is not None and back.randomizeStart.value == 30


def test_default_control_carries_ramp_rate() -> None:
    row = DefaultDERControlRow(
        id=1, program_id=3, mrid="0B" * 16, created_time=0, set_grad_w=50, op_mod_connect=True
    )
    default = decode(encode(map_default_control(row, 5)), sep.DefaultDERControl)
    assert default.setGradW == 50 and default.DERControlBase.opModConnect is True


def test_end_device_links_registration_only_with_a_pin() -> None:
    row = EndDeviceRow(
        id=4, lfdi="AB" * 20, sfdi=1, registered_time=0, changed_time=0, registration_pin=None
    )
    assert map_end_device(row, post_rate_s=300, fsa_count=0).RegistrationLink is None
    row.registration_pin = 12345
    assert map_end_device(row, post_rate_s=300, fsa_count=0).RegistrationLink is not None
