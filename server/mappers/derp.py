"""DERProgram, DERControl, DefaultDERControl and DERCurve rows -> 2030.5 resources."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, get_args, get_type_hints

from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.control_modes import WireKind
from openderms.server import uris
from openderms.server.control_modes import CONTROL_MODES, CURVE_IDS, ControlMode, mode_values
from openderms.server.mappers.common import active_power, mrid_type, time_type
from openderms.server.mappers.event_status import ControlFacts, event_status_at
from openderms.server.store.models import (
    DefaultDERControlRow,
    DERControlRow,
    DERCurveRow,
    DERProgramRow,
)

__all__ = [
    "RESPONSE_REQUIRED",
    "control_facts",
    "map_control",
    "map_control_base",
    "map_control_list",
    "map_curve",
    "map_curve_list",
    "map_default_control",
    "map_empty_default_control",
    "map_program",
    "map_program_list",
]

#: responseRequired: 0x01 message received, 0x02 specific response (event started,
#: completed, ...); CSIP requires both from every client.
RESPONSE_REQUIRED = b"\x03"


def _mult(power_of_ten: int) -> sep.PowerOfTenMultiplierType:
    return sep.PowerOfTenMultiplierType(value=power_of_ten)


def _pf(pf: float, excitation: bool | None) -> sep.PowerFactorWithExcitation:
    # displacement × 10^-3 keeps three decimals of cos(phi).
    return sep.PowerFactorWithExcitation(
        displacement=round(pf * 1000), excitation=bool(excitation), multiplier=_mult(-3)
    )


#: The binding class of each DERControlBase element (opModExpLimW has its own class).
_ELEMENT_CLASS: dict[str, Any] = {
    name: next(arg for arg in get_args(hint) if arg is not type(None))
    for name, hint in get_type_hints(sep.DERControlBase).items()
}


def _wire_value(mode: ControlMode, value: Any, values: Mapping[str, Any]) -> object:
    """The DERControlBase element of one stored mode value (`ControlMode.wire`)."""
    kind = mode.wire.kind
    if kind in (WireKind.BOOLEAN, WireKind.UINT16):
        return value
    if kind in (WireKind.ACTIVE_POWER, WireKind.REACTIVE_POWER):
        number, multiplier = active_power(value)
        return _ELEMENT_CLASS[mode.wire.element](value=number, multiplier=_mult(multiplier))
    if kind in (WireKind.PER_CENT, WireKind.SIGNED_PER_CENT):
        assert mode.wire.power_of_ten is not None
        return _ELEMENT_CLASS[mode.wire.element](value=round(value / 10**mode.wire.power_of_ten))
    if kind is WireKind.POWER_FACTOR:
        ((excitation, _),) = mode.companions
        return _pf(value, values.get(excitation))
    if kind is WireKind.FIXED_VAR:
        assert mode.wire.power_of_ten is not None
        ((ref, _),) = mode.companions
        return sep.FixedVar(
            refType=sep.DERUnitRefType(value=values.get(ref) or 0),
            value=sep.SignedPerCent(value=round(value / 10**mode.wire.power_of_ten)),
        )
    raise ValueError(f"{mode.column}: no wire mapping for {kind}")


def map_control_base(
    modes: object,
    curve_href: Callable[[int], str],
    table: Iterable[ControlMode] = CONTROL_MODES,
) -> sep.DERControlBase:
    """The DERControlBase of stored modes; `curve_href` turns a curve id into its link.

    ``modes`` is a row (or anything with the table's columns as attributes).
    """
    table = tuple(table)
    values = mode_values(modes, table)
    base = sep.DERControlBase()
    for mode in table:
        if mode.column in values:
            setattr(base, mode.wire.element, _wire_value(mode, values[mode.column], values))
    for mode_name, curve_id in sorted(values.get(CURVE_IDS, {}).items()):
        setattr(base, mode_name, sep.DERCurveLink(href=curve_href(curve_id)))
    return base


def control_facts(row: DERControlRow) -> ControlFacts:
    return ControlFacts(
        creation_time=row.creation_time,
        start_time=row.start_time,
        duration_s=row.duration_s,
        cancelled_time=row.cancelled_time,
        cancel_randomized=row.cancel_randomized,
        superseded_time=row.superseded_time,
    )


def map_control(row: DERControlRow, end_device_id: int, now: int) -> sep.DERControl:
    """A DERControl as `end_device_id` sees it at `now` [s] (EventStatus derived)."""
    assert row.id is not None
    status = event_status_at(control_facts(row), now)
    return sep.DERControl(
        href=uris.der_control(end_device_id, row.program_id, row.id),
        replyTo=uris.response_list(row.program_id),
        responseRequired=RESPONSE_REQUIRED,
        subscribable=0,
        mRID=mrid_type(row.mrid),
        description=row.description or None,
        creationTime=time_type(row.creation_time),
        EventStatus=sep.EventStatus(
            currentStatus=int(status.code),
            dateTime=time_type(status.date_time),
            potentiallySuperseded=False,
        ),
        interval=sep.DateTimeInterval(duration=row.duration_s, start=time_type(row.start_time)),
        randomizeStart=(
            None
            if row.randomize_start_s is None
            else sep.OneHourRangeType(value=row.randomize_start_s)
        ),
        randomizeDuration=(
            None
            if row.randomize_duration_s is None
            else sep.OneHourRangeType(value=row.randomize_duration_s)
        ),
        DERControlBase=map_control_base(
            row, lambda curve: uris.der_curve(end_device_id, row.program_id, curve)
        ),
    )


def map_control_list(
    rows: Sequence[DERControlRow], *, total: int, href: str, end_device_id: int, now: int
) -> sep.DERControlList:
    return sep.DERControlList(
        href=href,
        all=total,
        results=len(rows),
        subscribable=1,
        DERControl=[map_control(row, end_device_id, now) for row in rows],
    )


def map_empty_default_control(
    program_id: int, mrid: str, end_device_id: int
) -> sep.DefaultDERControl:
    """The DefaultDERControl of a program whose default the utility has not set: no modes.

    *Interpretation*: 2030.5 lets a program link a DefaultDERControl or not; CSIP clients
    subscribe to it at discovery, so it exists from the program's creation (issue 11
    item 3). Without modes it leaves every limit to lower-primacy defaults or none.
    """
    return sep.DefaultDERControl(
        href=uris.default_der_control(end_device_id, program_id),
        subscribable=1,
        mRID=mrid_type(mrid),
        DERControlBase=sep.DERControlBase(),
    )


def map_default_control(row: DefaultDERControlRow, end_device_id: int) -> sep.DefaultDERControl:
    return sep.DefaultDERControl(
        href=uris.default_der_control(end_device_id, row.program_id),
        subscribable=1,
        mRID=mrid_type(row.mrid),
        description=row.description or None,
        DERControlBase=map_control_base(
            row, lambda curve: uris.der_curve(end_device_id, row.program_id, curve)
        ),
        setESDelay=row.set_es_delay,
        setESHighFreq=row.set_es_high_freq,
        setESHighVolt=row.set_es_high_volt,
        setESLowFreq=row.set_es_low_freq,
        setESLowVolt=row.set_es_low_volt,
        setESRampTms=row.set_es_ramp_tms,
        setESRandomDelay=row.set_es_random_delay,
        setGradW=row.set_grad_w,
        setSoftGradW=row.set_soft_grad_w,
    )


def map_program(row: DERProgramRow, end_device_id: int, *, control_count: int) -> sep.DERProgram:
    """A DERProgram; it links its DefaultDERControl from its creation (issue 11 item 3),
    so a client can subscribe to the default before the utility sets one."""
    assert row.id is not None
    return sep.DERProgram(
        href=uris.der_program(end_device_id, row.id),
        subscribable=1,
        mRID=mrid_type(row.mrid),
        description=row.description or None,
        primacy=sep.PrimacyType(value=row.primacy),
        ActiveDERControlListLink=sep.ActiveDERControlListLink(
            href=uris.active_der_control_list(end_device_id, row.id)
        ),
        DefaultDERControlLink=sep.DefaultDERControlLink(
            href=uris.default_der_control(end_device_id, row.id)
        ),
        DERControlListLink=sep.DERControlListLink(
            href=uris.der_control_list(end_device_id, row.id), all=control_count
        ),
        DERCurveListLink=sep.DERCurveListLink(href=uris.der_curve_list(end_device_id, row.id)),
    )


def map_program_list(
    programs: Sequence[sep.DERProgram], *, total: int, href: str, poll_rate_s: int
) -> sep.DERProgramList:
    return sep.DERProgramList(
        href=href,
        all=total,
        results=len(programs),
        subscribable=1,
        pollRate=poll_rate_s,
        DERProgram=list(programs),
    )


def map_curve(row: DERCurveRow, end_device_id: int) -> sep.DERCurve:
    assert row.id is not None
    points = []
    for point in row.points:
        excitation = bool(point[2]) if len(point) > 2 else None
        points.append(
            sep.CurveData(xvalue=int(point[0]), yvalue=int(point[1]), excitation=excitation)
        )
    return sep.DERCurve(
        href=uris.der_curve(end_device_id, row.program_id, row.id),
        mRID=mrid_type(row.mrid),
        description=row.description or None,
        creationTime=time_type(row.creation_time),
        curveType=sep.DERCurveType(value=row.curve_type),
        xMultiplier=sep.PowerOfTenMultiplierType(value=row.x_multiplier),
        yMultiplier=sep.PowerOfTenMultiplierType(value=row.y_multiplier),
        yRefType=sep.DERUnitRefType(value=row.y_ref_type),
        CurveData=points,
    )


def map_curve_list(
    rows: Sequence[DERCurveRow], *, total: int, href: str, end_device_id: int
) -> sep.DERCurveList:
    return sep.DERCurveList(
        href=href,
        all=total,
        results=len(rows),
        DERCurve=[map_curve(row, end_device_id) for row in rows],
    )
