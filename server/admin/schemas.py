"""Request bodies of the admin API (pydantic): validated, bounded, and the OpenAPI source.

Every body model forbids unknown fields, so a typo (``export_limit`` for
``op_mod_exp_lim_w``) is a 400 rather than a silently ignored setting. Lengths and ranges
follow the 2030.5 types they end up in (description String32, primacy UInt8, PIN 6 digits,
OneHourRangeType for randomization).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from openderms.server.control_modes import CONTROL_MODES, ControlMode
from openderms.server.url_ids import MAX_ROW_ID

__all__ = [
    "AssignDevicesBody",
    "CancelControlBody",
    "ControlModes",
    "CreateControlBody",
    "CreateGroupBody",
    "CreateProgramBody",
    "CreateTokenBody",
    "DefaultControlBody",
    "ReassignDeviceBody",
    "RegisterDeviceBody",
    "SetRatesBody",
    "admin_modes_model",
]

Lfdi = Annotated[str, Field(pattern=r"^[0-9A-Fa-f]{40}$", description="40 hex digits")]
#: No control characters (a NUL cannot be stored in PostgreSQL text, nor shown sanely).
_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
Description = Annotated[
    str, Field(max_length=32, pattern=_PRINTABLE, description="2030.5 String32")
]
#: A row id (PostgreSQL SERIAL).
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]
#: Epoch seconds within 2030.5 TimeType's useful range (1970 .. 2106).
EpochSeconds = Annotated[int, Field(ge=0, le=2**32 - 1)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RegisterDeviceBody(_Body):
    """Register an EndDevice out of band (the installer's LFDI/SFDI/PIN)."""

    lfdi: Lfdi
    sfdi: int | None = Field(
        default=None, ge=0, le=999_999_999_999, description="derived from the LFDI when omitted"
    )
    pin: int | None = Field(default=None, ge=0, le=999_999, description="registration PIN")
    device_category: str | None = Field(
        default=None, pattern=r"^[0-9A-Fa-f]{1,8}$", description="DeviceCategoryType, hex"
    )
    aggregator_lfdi: Lfdi | None = Field(
        default=None, description="utility tokens only: register under this aggregator"
    )


class ReassignDeviceBody(_Body):
    """Put a registered device under an aggregator, or back under the utility (null)."""

    aggregator_lfdi: Lfdi | None = Field(
        description="the aggregator that manages the device from now on; null: the utility"
    )


class DeviceAccessBody(_Body):
    """Disable (false) or re-enable (true) a client's 2030.5 access by its LFDI."""

    enabled: bool = Field(description="false: its certificate's requests are refused (403)")


class CreateGroupBody(_Body):
    """A group of devices (a 2030.5 FunctionSetAssignments)."""

    description: Description = ""


class AssignDevicesBody(_Body):
    """Devices to add to a group."""

    lfdis: list[Lfdi] = Field(min_length=1, max_length=1000)


class CreateProgramBody(_Body):
    """A DERProgram, optionally listed in groups at once."""

    description: Description = ""
    primacy: int = Field(ge=0, le=255, description="lower wins across programs")
    group_ids: list[RowId] = Field(default_factory=list, max_length=100)


class _ModesBody(_Body):
    def is_empty(self) -> bool:
        return all(value is None for value in self.model_dump().values())


def admin_modes_model(modes: Iterable[ControlMode] = CONTROL_MODES) -> type[_ModesBody]:
    """The ``modes`` body: one optional field per mode the table lets the admin API author."""
    fields: dict[str, Any] = {
        mode.column: (
            mode.value_type | None,
            Field(
                default=None,
                ge=mode.admin.ge,
                le=mode.admin.le,
                description=mode.admin.description,
            ),
        )
        for mode in modes
        if mode.admin is not None
    }
    model: type[_ModesBody] = create_model(
        "ControlModes",
        __base__=_ModesBody,
        __module__=__name__,
        __doc__=(
            "DERControlBase modes; leave a mode out to not set it. Powers [W], percentages [%]."
        ),
        **fields,
    )
    return model


if TYPE_CHECKING:

    class ControlModes(_ModesBody):
        """What mypy sees: the fields come from the mode table."""

        def __getattr__(self, column: str) -> Any: ...

else:
    ControlModes = admin_modes_model()


class CreateControlBody(_Body):
    """Schedule a DERControl event."""

    start: EpochSeconds | None = Field(default=None, description="[s since epoch]; now if omitted")
    duration_s: int = Field(gt=0, le=2**32 - 1)
    description: Description = ""
    randomize_start_s: int | None = Field(default=None, ge=-3600, le=3600)
    randomize_duration_s: int | None = Field(default=None, ge=-3600, le=3600)
    modes: ControlModes
    program_id: RowId | None = Field(
        default=None, description="group controls only: which of the group's programs"
    )

    @model_validator(mode="after")
    def _has_a_mode(self) -> CreateControlBody:
        if self.modes.is_empty():
            raise ValueError("modes must set at least one control mode")
        return self


class CancelControlBody(_Body):
    """Cancel a control; ``randomized`` = cancelled with randomization (EventStatus 4)."""

    randomized: bool = False


class DefaultControlBody(_Body):
    """Set the DefaultDERControl that applies when no event is active."""

    description: Description = ""
    modes: ControlModes
    set_grad_w: int | None = Field(
        default=None, ge=0, le=65535, description="ramp [1/100 % of max W per s]"
    )
    program_id: RowId | None = Field(
        default=None, description="group defaults only: which of the group's programs"
    )


class SetRatesBody(_Body):
    """pollRate / postRate [s]: server-wide, or for one device when ``lfdi`` is given.

    These are the polling and posting rates of 2030.5, not tariff rates.
    """

    lfdi: Lfdi | None = None
    #: Only this resource's pollRate, fleet-wide (dcap, edev, mup, fsa, derp, der).
    resource: Literal["dcap", "edev", "mup", "fsa", "derp", "der"] | None = None
    poll_rate_s: int | None = Field(default=None, ge=1, le=86400 * 7)
    post_rate_s: int | None = Field(default=None, ge=1, le=86400 * 7)

    @model_validator(mode="after")
    def _has_a_rate(self) -> SetRatesBody:
        if self.poll_rate_s is None and self.post_rate_s is None:
            raise ValueError("give poll_rate_s, post_rate_s or both")
        if self.resource is not None and (self.lfdi is not None or self.poll_rate_s is None):
            raise ValueError("resource sets a fleet-wide pollRate: give poll_rate_s, no lfdi")
        return self


class CreateTokenBody(_Body):
    """Issue an admin token (utility tokens only)."""

    name: str = Field(min_length=1, max_length=100, pattern=_PRINTABLE)
    role: str = Field(pattern=r"^(utility|aggregator)$")
    aggregator_lfdi: Lfdi | None = None
