"""2030.5 resources as a head-end would serve them to a gateway under test."""

from __future__ import annotations

from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.values import active_power, time_type


def mrid(n: int) -> sep.mRIDType:
    return sep.mRIDType(value=n.to_bytes(16, "big"))


def der_program(href: str, n: int = 1, primacy: int = 1) -> sep.DERProgram:
    return sep.DERProgram(href=href, mRID=mrid(0xD0 + n), primacy=sep.PrimacyType(value=primacy))


def der_control(
    n: int,
    *,
    start_s: float,
    duration_s: int,
    created_s: float,
    generation_limit_w: float | None = None,
    export_limit_w: float | None = None,
    connect: bool | None = None,
    reply_to: str | None = None,
) -> sep.DERControl:
    base = sep.DERControlBase(
        opModGenLimW=None
        if generation_limit_w is None
        else active_power(generation_limit_w, sep.opModGenLimW),
        opModExpLimW=None
        if export_limit_w is None
        else active_power(export_limit_w, sep.opModExpLimW),
        opModConnect=connect,
    )
    return sep.DERControl(
        href=f"/derc/{n}",
        mRID=mrid(n),
        replyTo=reply_to,
        responseRequired=b"\x03" if reply_to else b"\x00",
        creationTime=time_type(created_s),
        EventStatus=sep.EventStatus(
            currentStatus=0, dateTime=time_type(created_s), potentiallySuperseded=False
        ),
        interval=sep.DateTimeInterval(start=time_type(start_s), duration=duration_s),
        DERControlBase=base,
    )


def site_mirror(
    lfdi: str, mirror_byte: int, reading_byte: int, **reading: object
) -> sep.MirrorUsagePoint:
    """The smallest MirrorUsagePoint a head-end takes: one W MirrorMeterReading (with its
    ReadingType, as a creating POST must carry) for the device ``lfdi``; ``reading`` adds
    MirrorMeterReading fields (``Reading=``, ``MirrorReadingSet=``)."""
    return sep.MirrorUsagePoint(
        mRID=sep.mRIDType(value=bytes([mirror_byte]) * 16),
        deviceLFDI=bytes.fromhex(lfdi),
        roleFlags=sep.RoleFlagsType(value=b"\x00\x03"),
        serviceCategoryKind=sep.ServiceKind(value=0),
        status=1,
        MirrorMeterReading=[
            sep.MirrorMeterReading(
                mRID=sep.mRIDType(value=bytes([reading_byte]) * 16),
                ReadingType=sep.ReadingType(uom=sep.UomType(value=38)),
                **reading,  # type: ignore[arg-type]
            )
        ],
    )
