"""Pure mapping from IEEE 2030.5 / CSIP-AUS wire types to the event engine's model.

``DERProgram`` -> :class:`Program`, ``DERControl`` -> :class:`ScheduledControl`,
``DefaultDERControl`` -> :class:`DefaultControl`, and ``DERControlBase`` ->
:class:`EnvelopeLimits` with every power-of-ten multiplier and hundredths scaled out. No I/O,
no clock. A wire value the standard does not allow raises :class:`InvalidMappingError`,
whose ``error_status_hint`` is the Response status the server should hear (253 invalid, or
252 not applicable for modes this gateway cannot express).

Units (sep.xsd DERControlBase, CSIP-AUS v1.2):

- ``opModExpLimW``, ``opModImpLimW``, ``opModGenLimW``, ``opModLoadLimW`` (CSIP-AUS) and
  ``opModTargetW``: ActivePower, ``value × 10^multiplier`` [W];
- ``opModMaxLimW``: PerCent, hundredths of a percent of setMaxW;
- ``opModFixedW``: SignedPerCent, hundredths of a percent;
- ``rampTms``: hundredths of a second to move to the new setting;
- ``DefaultDERControl.setGradW``: hundredths of a percent of setMaxW per second.

*Interpretation of the specification*: ramps become :attr:`EnvelopeLimits.ramp_w_per_s`
only when the site's rated power (setMaxW) is given. ``rampTms`` is read as the time for a
full-scale change, so the rate is ``rated_power_w / (rampTms / 100)``; a DERControl without
``rampTms`` leaves the ramp unset, so the default's setGradW fills it ("If absent, use
default ramp rate (setGradW)"). ``rampTms`` 0 means "no ramp limit".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace

from openderms.client.envelope import EnvelopeLimits
from openderms.client.events.errors import LocalProtocolError, Rejection, RemoteProtocolError
from openderms.client.events.model import (
    DefaultControl,
    Program,
    ProgramSnapshot,
    ScheduledControl,
    SourceStatus,
)
from openderms.client.events.states import EventChange
from openderms.client.sep2.responses import (
    EVENT_STATUS,
    ResponseRequired,
    reports_for,
    response_status,
)
from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.enums import EventStatusCode, ResponseStatus
from openderms.schemas.sep2.values import from_time_type, mrid_to_hex, to_watts

__all__ = [
    "MAPPED_MODES",
    "InvalidMappingError",
    "MappedSnapshot",
    "ProgramFetch",
    "RejectedControl",
    "control_base_limits",
    "map_default_der_control",
    "map_der_control",
    "map_der_program",
    "map_snapshot",
]

MAPPED_MODES: frozenset[str] = frozenset(
    {
        "opModExpLimW",
        "opModImpLimW",
        "opModGenLimW",
        "opModLoadLimW",
        "opModMaxLimW",
        "opModFixedW",
        "opModTargetW",
        "opModConnect",
        "opModEnergize",
        "rampTms",
    }
)
"""DERControlBase elements that map onto :class:`EnvelopeLimits`. Curves, reactive power,
power factor and frequency droop do not (yet)."""

_MAX_MULTIPLIER = 9  # PowerOfTenMultiplierType: -9..9
_PER_CENT_MAX = 10_000  # PerCent: hundredths, 0..100 %
_ALL_RESPONSE_BITS = int(
    ResponseRequired.MESSAGE_RECEIVED
    | ResponseRequired.SPECIFIC_RESPONSE
    | ResponseRequired.USER_RESPONSE
)


class InvalidMappingError(RemoteProtocolError):
    """A 2030.5 resource carries a value the standard does not allow, or asks for a mode
    this gateway cannot express. The server is at fault (or asks too much)."""

    @property
    def error_status_hint(self) -> ResponseStatus:
        """The Response status the server should hear (252 or 253)."""
        return response_status(EventChange.REJECTED, self.rejection)


def _invalid(msg: str) -> InvalidMappingError:
    return InvalidMappingError(msg, rejection=Rejection.INVALID)


def _power_w(name: str, power: sep.ActivePower, *, signed: bool) -> float:
    multiplier = power.multiplier.value
    if not -_MAX_MULTIPLIER <= multiplier <= _MAX_MULTIPLIER:
        raise _invalid(f"{name}: power-of-ten multiplier {multiplier} outside [-9, 9]")
    watts = to_watts(power)
    if not signed and watts < 0:
        raise _invalid(f"{name}: a limit cannot be negative ({watts} W)")
    return watts


def _per_cent(name: str, hundredths: int, *, signed: bool) -> float:
    low = -_PER_CENT_MAX if signed else 0
    if not low <= hundredths <= _PER_CENT_MAX:
        raise _invalid(f"{name}: {hundredths} hundredths of a percent outside [{low}, 10000]")
    return hundredths / 100.0


def _set_modes(base: sep.DERControlBase) -> set[str]:
    return {f.name for f in fields(base) if getattr(base, f.name) is not None}


def control_base_limits(
    base: sep.DERControlBase,
    *,
    rated_power_w: float | None = None,
    ignore_unmapped: bool = False,
) -> EnvelopeLimits:
    """The limits a DERControlBase sets, in SI units.

    Parameters
    ----------
    base : DERControlBase
        The wire control modes.
    rated_power_w : float, optional
        The site's setMaxW [W]; needed to turn ``rampTms`` into a ramp rate.
    ignore_unmapped : bool
        Drop modes :data:`MAPPED_MODES` does not cover instead of raising.

    Returns
    -------
    EnvelopeLimits

    Raises
    ------
    InvalidMappingError
        A value out of range (hint 253), or an unmapped mode (hint 252).
    """
    unmapped = _set_modes(base) - MAPPED_MODES
    if unmapped and not ignore_unmapped:
        raise InvalidMappingError(
            f"control modes this gateway cannot honour: {sorted(unmapped)}",
            rejection=Rejection.NOT_APPLICABLE,
        )
    ramp_w_per_s = None
    if base.rampTms is not None:
        if not 0 <= base.rampTms <= 0xFFFF:
            raise _invalid(f"rampTms {base.rampTms} is not a UInt16")
        if rated_power_w is not None and base.rampTms > 0:
            ramp_w_per_s = rated_power_w / (base.rampTms / 100.0)

    def power(name: str, signed: bool = False) -> float | None:
        value = getattr(base, name)
        return None if value is None else _power_w(name, value, signed=signed)

    return EnvelopeLimits(
        export_limit_w=power("opModExpLimW"),
        import_limit_w=power("opModImpLimW"),
        generation_limit_w=power("opModGenLimW"),
        load_limit_w=power("opModLoadLimW"),
        max_generation_pct=None
        if base.opModMaxLimW is None
        else _per_cent("opModMaxLimW", base.opModMaxLimW.value, signed=False),
        fixed_w_pct=None
        if base.opModFixedW is None
        else _per_cent("opModFixedW", base.opModFixedW.value, signed=True),
        target_w=power("opModTargetW", signed=True),
        connect=base.opModConnect,
        energize=base.opModEnergize,
        ramp_w_per_s=ramp_w_per_s,
    )


def _response_required(raw: bytes) -> ResponseRequired:
    if len(raw) != 1:
        raise _invalid(f"responseRequired must be one byte (HexBinary8), got {raw!r}")
    bits = raw[0]
    if bits & ~_ALL_RESPONSE_BITS:
        raise _invalid(f"responseRequired {bits:#04x} sets reserved bits")
    return ResponseRequired(bits)


def _event_status(code: int) -> SourceStatus:
    try:
        return EVENT_STATUS[EventStatusCode(code)]
    except ValueError:
        raise _invalid(f"EventStatus.currentStatus {code} is reserved") from None


def map_der_program(program: sep.DERProgram, *, program_id: str | None = None) -> Program:
    """A DERProgram as a :class:`Program`.

    Parameters
    ----------
    program : DERProgram
    program_id : str, optional
        Identity to use; defaults to the program's href, else its mRID in hex.
    """
    identity = program_id or program.href or mrid_to_hex(program.mRID)
    try:
        return Program(program_id=identity, primacy=program.primacy.value)
    except LocalProtocolError as error:
        raise _invalid(f"DERProgram {identity}: {error}") from error


def map_der_control(
    control: sep.DERControl,
    *,
    program_id: str,
    rated_power_w: float | None = None,
    ignore_unmapped: bool = False,
) -> ScheduledControl:
    """A DERControl as a :class:`ScheduledControl`.

    Parameters
    ----------
    control : DERControl
    program_id : str
        The id of the :class:`Program` the control was listed under.
    rated_power_w : float, optional
        The site's setMaxW [W], for ramp rates.
    ignore_unmapped : bool
        Drop modes the envelope cannot express instead of raising.

    Raises
    ------
    InvalidMappingError
        Any value the standard does not allow.
    """
    mrid = mrid_to_hex(control.mRID)
    if not mrid:
        raise _invalid("DERControl without an mRID")
    limits = control_base_limits(
        control.DERControlBase, rated_power_w=rated_power_w, ignore_unmapped=ignore_unmapped
    )
    try:
        return ScheduledControl(
            mrid=mrid,
            program_id=program_id,
            creation_time=float(from_time_type(control.creationTime)),
            start=float(from_time_type(control.interval.start)),
            duration_s=float(control.interval.duration),
            randomize_start_s=float(
                control.randomizeStart.value if control.randomizeStart is not None else 0
            ),
            randomize_duration_s=float(
                control.randomizeDuration.value if control.randomizeDuration is not None else 0
            ),
            server_status=_event_status(control.EventStatus.currentStatus),
            limits=limits,
            reply_to=control.replyTo,
            reports=reports_for(_response_required(control.responseRequired)),
        )
    except LocalProtocolError as error:
        raise _invalid(f"DERControl {mrid}: {error}") from error


def map_default_der_control(
    default: sep.DefaultDERControl,
    *,
    program_id: str,
    rated_power_w: float | None = None,
    ignore_unmapped: bool = False,
) -> DefaultControl:
    """A DefaultDERControl as a :class:`DefaultControl`.

    ``setGradW`` (hundredths of a percent of setMaxW per second) becomes the ramp rate when
    ``rated_power_w`` is known and the base sets no ``rampTms``.
    """
    limits = control_base_limits(
        default.DERControlBase, rated_power_w=rated_power_w, ignore_unmapped=ignore_unmapped
    )
    if default.setGradW is not None:
        if not 0 <= default.setGradW <= 0xFFFF:
            raise _invalid(f"setGradW {default.setGradW} is not a UInt16")
        if limits.ramp_w_per_s is None and rated_power_w is not None and default.setGradW > 0:
            ramp_w_per_s = rated_power_w * default.setGradW / 10_000.0
            limits = replace(limits, ramp_w_per_s=ramp_w_per_s)
    try:
        return DefaultControl(program_id=program_id, limits=limits, mrid=mrid_to_hex(default.mRID))
    except LocalProtocolError as error:
        raise _invalid(f"DefaultDERControl: {error}") from error


@dataclass(frozen=True, slots=True)
class ProgramFetch:
    """One DERProgram as the client fetched it, with its control list and default."""

    program: sep.DERProgram
    controls: tuple[sep.DERControl, ...] = ()
    default: sep.DefaultDERControl | None = None
    program_id: str | None = field(default=None)
    """Identity override (defaults to href, else mRID)."""


@dataclass(frozen=True, slots=True)
class RejectedControl:
    """A DERControl that could not be mapped; the runtime answers it from ``error``."""

    mrid: str
    reply_to: str | None
    error: InvalidMappingError
    """Its ``error_status_hint`` is the Response status to post (252 or 253)."""


@dataclass(frozen=True, slots=True)
class MappedSnapshot:
    """The engine's snapshot, plus the controls left out of it."""

    snapshot: ProgramSnapshot
    rejected: tuple[RejectedControl, ...] = ()


def map_snapshot(
    fetched: Iterable[ProgramFetch],
    *,
    rated_power_w: float | None = None,
    ignore_unmapped: bool = False,
) -> MappedSnapshot:
    """Build the engine's :class:`ProgramSnapshot` from one walk of the DER function set.

    A control that fails to map is left out and listed in ``rejected`` (so one bad control
    does not stop every other from updating); a bad program or default fails the whole walk.

    Raises
    ------
    InvalidMappingError
        A program or default control fails to map, or the snapshot is inconsistent.
    """
    programs: list[Program] = []
    controls: list[ScheduledControl] = []
    defaults: list[DefaultControl] = []
    rejected: list[RejectedControl] = []
    for item in fetched:
        program = map_der_program(item.program, program_id=item.program_id)
        programs.append(program)
        for wire in item.controls:
            try:
                controls.append(
                    map_der_control(
                        wire,
                        program_id=program.program_id,
                        rated_power_w=rated_power_w,
                        ignore_unmapped=ignore_unmapped,
                    )
                )
            except InvalidMappingError as error:
                rejected.append(RejectedControl(mrid_to_hex(wire.mRID), wire.replyTo, error))
        if item.default is not None:
            default = map_default_der_control(
                item.default,
                program_id=program.program_id,
                rated_power_w=rated_power_w,
                ignore_unmapped=ignore_unmapped,
            )
            # A default without modes (servers may serve one before the utility sets it)
            # constrains nothing and fills nothing: leaving it out keeps the chain's
            # source naming a default that says something.
            if not default.limits.is_unlimited():
                defaults.append(default)
    try:
        snapshot = ProgramSnapshot(
            programs=tuple(programs), controls=tuple(controls), defaults=tuple(defaults)
        )
    except LocalProtocolError as error:
        raise _invalid(str(error)) from error
    return MappedSnapshot(snapshot, tuple(rejected))
