"""Mapping 2030.5 / CSIP-AUS wire types into the event engine (openderms.client.sep2.mapping)."""

from __future__ import annotations

import random
from typing import TypeVar

import pytest

from openderms.client.envelope import EnvelopeLimits
from openderms.client.events import (
    EventEngine,
    EventTransition,
)
from openderms.client.sep2.mapping import (
    InvalidMappingError,
    ProgramFetch,
    control_base_limits,
    map_default_der_control,
    map_der_control,
    map_der_program,
    map_snapshot,
)
from openderms.client.sep2.responses import (
    EVENT_STATUS,
    ResponseRequired,
    reports_for,
    send_response,
)
from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.codec import decode
from openderms.schemas.sep2.enums import EventStatusCode, ResponseStatus

T0 = 1_700_000_000


_P = TypeVar("_P", bound=sep.ActivePower)


def _power(cls: type[_P], value: int, multiplier: int) -> _P:
    return cls(value=value, multiplier=sep.PowerOfTenMultiplierType(value=multiplier))


def _der_control(
    base: sep.DERControlBase | None = None,
    *,
    status: int = 0,
    response_required: bytes = b"\x03",
    randomize_start: int | None = None,
) -> sep.DERControl:
    return sep.DERControl(
        mRID=sep.mRIDType(value=bytes.fromhex("D0000001")),
        replyTo="/rsps/1/rsp",
        responseRequired=response_required,
        creationTime=sep.TimeType(value=T0 - 600),
        EventStatus=sep.EventStatus(
            currentStatus=status,
            dateTime=sep.TimeType(value=T0 - 600),
            potentiallySuperseded=False,
        ),
        interval=sep.DateTimeInterval(duration=1800, start=sep.TimeType(value=T0 + 300)),
        randomizeStart=None
        if randomize_start is None
        else sep.OneHourRangeType(value=randomize_start),
        DERControlBase=base or sep.DERControlBase(opModExpLimW=_power(sep.opModExpLimW, 15, 2)),
    )


def test_csip_aus_limits_scale_by_power_of_ten() -> None:
    """opModExpLimW etc. are value x 10^multiplier watts (CSIP-AUS ActivePower)."""
    base = sep.DERControlBase(
        opModExpLimW=_power(sep.opModExpLimW, 15, 2),
        opModImpLimW=_power(sep.opModImpLimW, 8, 3),
        opModGenLimW=_power(sep.opModGenLimW, 2500, 0),
        opModLoadLimW=_power(sep.opModLoadLimW, 125, -1),
    )

    limits = control_base_limits(base)

    assert (
        limits.export_limit_w,
        limits.import_limit_w,
        limits.generation_limit_w,
        limits.load_limit_w,
    ) == (1500.0, 8000.0, 2500.0, 12.5)


def test_percent_modes_are_hundredths() -> None:
    """opModMaxLimW (PerCent) and opModFixedW (SignedPerCent) are in hundredths of a percent."""
    base = sep.DERControlBase(
        opModMaxLimW=sep.PerCent(value=9500),
        opModFixedW=sep.SignedPerCent(value=-2550),
        opModTargetW=_power(sep.ActivePower, -3, 3),
        opModConnect=False,
        opModEnergize=True,
    )

    limits = control_base_limits(base)

    assert limits == EnvelopeLimits(
        max_generation_pct=95.0, fixed_w_pct=-25.5, target_w=-3000.0, connect=False, energize=True
    )


def test_ramp_time_becomes_full_scale_rate_when_rating_known() -> None:
    """rampTms (hundredths of a second) over setMaxW gives W/s; unknown rating leaves it unset."""
    base = sep.DERControlBase(rampTms=1000, opModMaxLimW=sep.PerCent(value=5000))

    assert control_base_limits(base, rated_power_w=5000).ramp_w_per_s == 500.0
    assert control_base_limits(base).ramp_w_per_s is None


def test_default_set_grad_w_is_hundredths_of_percent_per_second() -> None:
    """DefaultDERControl.setGradW: hundredths of a percent of setMaxW per second."""
    default = sep.DefaultDERControl(
        mRID=sep.mRIDType(value=bytes.fromhex("E0000001")),
        DERControlBase=sep.DERControlBase(opModExpLimW=_power(sep.opModExpLimW, 5, 3)),
        setGradW=27,  # 0.27 %/s, the AS/NZS 4777.2 soft-ramp figure
    )

    mapped = map_default_der_control(default, program_id="P1", rated_power_w=10_000)

    assert mapped.limits.ramp_w_per_s == pytest.approx(27.0)
    assert mapped.limits.export_limit_w == 5000.0
    assert mapped.mrid == "E0000001"


def test_der_control_maps_schedule_status_and_response_bits() -> None:
    """interval, randomizeStart, EventStatus, replyTo, responseRequired carry over."""
    mapped = map_der_control(_der_control(status=3, randomize_start=-120), program_id="P1")

    assert (mapped.mrid, mapped.start, mapped.duration_s) == ("D0000001", T0 + 300, 1800)
    assert mapped.creation_time == T0 - 600
    assert mapped.randomize_start_s == -120
    assert mapped.server_status is EVENT_STATUS[EventStatusCode.CANCELLED_WITH_RANDOMIZATION]
    assert mapped.reports == reports_for(
        ResponseRequired.MESSAGE_RECEIVED | ResponseRequired.SPECIFIC_RESPONSE
    )
    assert mapped.limits.export_limit_w == 1500.0


def test_der_program_maps_primacy() -> None:
    """DERProgram primacy carries over; the href is the default identity."""
    program = sep.DERProgram(
        href="/derp/1", mRID=sep.mRIDType(value=b"\x01"), primacy=sep.PrimacyType(value=3)
    )

    assert map_der_program(program) == map_der_program(program, program_id="/derp/1")
    assert map_der_program(program).primacy == 3


@pytest.mark.parametrize(
    ("wire", "hint"),
    [
        (_der_control(status=7), ResponseStatus.REJECTED_INVALID),
        (_der_control(response_required=b"\x10"), ResponseStatus.REJECTED_INVALID),
        (_der_control(randomize_start=4000), ResponseStatus.REJECTED_INVALID),
        (
            _der_control(sep.DERControlBase(opModExpLimW=_power(sep.opModExpLimW, -1, 0))),
            ResponseStatus.REJECTED_INVALID,
        ),
        (
            _der_control(sep.DERControlBase(opModExpLimW=_power(sep.opModExpLimW, 1, 12))),
            ResponseStatus.REJECTED_INVALID,
        ),
        (
            _der_control(sep.DERControlBase(opModMaxLimW=sep.PerCent(value=10_001))),
            ResponseStatus.REJECTED_INVALID,
        ),
        (
            _der_control(
                sep.DERControlBase(
                    opModTargetVar=sep.ReactivePower(
                        value=1, multiplier=sep.PowerOfTenMultiplierType(value=0)
                    )
                )
            ),
            ResponseStatus.REJECTED_NOT_APPLICABLE,
        ),
    ],
)
def test_bad_wire_values_raise_typed_mapping_error(
    wire: sep.DERControl, hint: ResponseStatus
) -> None:
    """Reserved status, reserved response bits, out-of-range values, unmapped modes."""
    with pytest.raises(InvalidMappingError) as info:
        map_der_control(wire, program_id="P1")
    assert info.value.error_status_hint == hint


def test_snapshot_leaves_out_bad_control_and_keeps_the_rest() -> None:
    """One unmappable control is reported, not allowed to block every other control."""
    good = _der_control()
    bad = _der_control(status=9)
    bad.mRID = sep.mRIDType(value=bytes.fromhex("D0000002"))
    program = sep.DERProgram(
        href="/derp/1", mRID=sep.mRIDType(value=b"\x01"), primacy=sep.PrimacyType(value=1)
    )

    mapped = map_snapshot([ProgramFetch(program, (good, bad))])

    assert [c.mrid for c in mapped.snapshot.controls] == ["D0000001"]
    assert [(r.mrid, r.error.error_status_hint) for r in mapped.rejected] == [
        ("D0000002", ResponseStatus.REJECTED_INVALID)
    ]


CONTROL_LIST_XML = f"""<DERControlList xmlns="urn:ieee:std:2030.5:ns"
    xmlns:csipaus="https://csipaus.org/ns" href="/derp/1/derc" all="1" results="1">
  <DERControl href="/derp/1/derc/1" replyTo="/rsps/1/rsp" responseRequired="03">
    <mRID>D0000001</mRID>
    <creationTime>{T0 - 600}</creationTime>
    <EventStatus><currentStatus>0</currentStatus><dateTime>{T0 - 600}</dateTime>
      <potentiallySuperseded>false</potentiallySuperseded></EventStatus>
    <interval><duration>1800</duration><start>{T0 + 300}</start></interval>
    <DERControlBase>
      <csipaus:opModExpLimW><multiplier>3</multiplier><value>2</value></csipaus:opModExpLimW>
    </DERControlBase>
  </DERControl>
</DERControlList>""".encode()


def test_wire_control_list_drives_engine_end_to_end() -> None:
    """XML through the hardened codec, the mapping and the engine: a 2 kW export limit
    from interval.start, with received/started Responses to replyTo."""
    controls = decode(CONTROL_LIST_XML, sep.DERControlList)
    program = sep.DERProgram(
        href="/derp/1", mRID=sep.mRIDType(value=b"\x01"), primacy=sep.PrimacyType(value=1)
    )
    mapped = map_snapshot([ProgramFetch(program, tuple(controls.DERControl))])
    engine = EventEngine(random.Random(1), T0)

    engine.update(mapped.snapshot, T0)
    engine.handle_timer(T0 + 300)

    assert engine.active(T0 + 300).limits.export_limit_w == 2000.0
    sent = []
    while (effect := engine.next_effect()) is not None:
        if isinstance(effect, EventTransition):
            response = send_response(effect)
            sent.append((response.reply_to, response.status, response.at))
    assert sent == [
        ("/rsps/1/rsp", ResponseStatus.EVENT_RECEIVED, T0),
        ("/rsps/1/rsp", ResponseStatus.EVENT_STARTED, T0 + 300),
    ]


def test_default_without_modes_leaves_the_chain_to_the_other_programs() -> None:
    """Issue 11 item 3: servers may serve a program's DefaultDERControl before it is set,
    with no modes; it neither limits nor takes the chain's name from a real default."""
    empty = sep.DefaultDERControl(
        mRID=sep.mRIDType(value=b"\x0e"), DERControlBase=sep.DERControlBase()
    )
    real = sep.DefaultDERControl(
        mRID=sep.mRIDType(value=b"\x0f"),
        DERControlBase=sep.DERControlBase(opModExpLimW=_power(sep.opModExpLimW, 5, 3)),
    )
    private = sep.DERProgram(
        href="/derp/1", mRID=sep.mRIDType(value=b"\x01"), primacy=sep.PrimacyType(value=0)
    )
    group = sep.DERProgram(
        href="/derp/2", mRID=sep.mRIDType(value=b"\x02"), primacy=sep.PrimacyType(value=10)
    )

    mapped = map_snapshot(
        [ProgramFetch(private, (), default=empty), ProgramFetch(group, (), default=real)]
    )
    engine = EventEngine(random.Random(1), T0)
    engine.update(mapped.snapshot, T0)

    assert [d.mrid for d in mapped.snapshot.defaults] == ["0F"]
    active = engine.active(T0)
    assert active.limits.export_limit_w == 5000.0 and active.source == "default:0F"
