"""Property: any DERControl within the standard's ranges round-trips and is XSD-valid."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.codec import decode, encode
from openderms.schemas.sep2.enums import EventStatusCode
from openderms.schemas.sep2.values import active_power, time_type
from openderms.testing import sep2_examples as ex

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
WATTS = st.floats(min_value=-3e12, max_value=3e12, allow_nan=False)
TEXT32 = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=0, max_size=32
)


@st.composite
def der_controls(draw: st.DrawFn) -> sep.DERControl:
    limits = [
        None if watts is None else active_power(watts, cls)
        for watts, cls in zip(
            draw(st.lists(st.none() | WATTS, min_size=4, max_size=4)),
            (sep.opModExpLimW, sep.opModImpLimW, sep.opModGenLimW, sep.opModLoadLimW),
            strict=True,
        )
    ]
    return sep.DERControl(
        href=draw(st.none() | st.just("/derp/1/derc/1")),
        mRID=sep.mRIDType(value=draw(st.binary(min_size=16, max_size=16))),
        description=draw(st.none() | TEXT32),
        creationTime=sep.TimeType(value=draw(INT64)),
        EventStatus=sep.EventStatus(
            currentStatus=int(draw(st.sampled_from(EventStatusCode))),
            dateTime=time_type(draw(st.integers(min_value=0, max_value=2**40))),
            potentiallySuperseded=draw(st.booleans()),
        ),
        interval=sep.DateTimeInterval(
            duration=draw(st.integers(min_value=0, max_value=2**32 - 1)),
            start=sep.TimeType(value=draw(INT64)),
        ),
        randomizeStart=draw(
            st.none() | st.integers(-3600, 3600).map(lambda v: sep.OneHourRangeType(value=v))
        ),
        DERControlBase=sep.DERControlBase(
            opModConnect=draw(st.none() | st.booleans()),
            opModExpLimW=limits[0],
            opModImpLimW=limits[1],
            opModGenLimW=limits[2],
            opModLoadLimW=limits[3],
        ),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(der_controls())
def test_valid_der_control_round_trips(control: sep.DERControl) -> None:
    assert decode(encode(control), sep.DERControl) == control


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(control=der_controls())
def test_what_encode_accepts_the_xsd_accepts(
    csipaus12_schema: etree.XMLSchema, control: sep.DERControl
) -> None:
    document = etree.fromstring(encode(control))

    assert csipaus12_schema.validate(document), csipaus12_schema.error_log.last_error


def test_example_control_is_among_the_generated_shapes() -> None:
    """Control for the strategy: the shared example passes the same checks."""
    control = ex.der_control()

    assert decode(encode(control), sep.DERControl) == control
