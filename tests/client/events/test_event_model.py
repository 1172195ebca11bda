"""Constructors of the engine's input model validate (a malformed input cannot exist)."""

from __future__ import annotations

import pytest
from events_support import T0, control, snapshot

from openderms.client.envelope import EnvelopeLimits
from openderms.client.events import (
    DefaultControl,
    EngineConfig,
    EngineConfigError,
    EventChange,
    LocalProtocolError,
    Program,
    ScheduledControl,
)
from openderms.client.sep2.responses import response_status
from openderms.schemas.sep2.enums import ResponseStatus


def test_randomization_beyond_one_hour_is_invalid() -> None:
    """randomizeStart/Duration are OneHourRangeType: [-3600, 3600]."""
    with pytest.raises(LocalProtocolError) as info:
        control("A", start=T0, duration_s=60, randomize_start_s=3601)
    assert response_status(EventChange.REJECTED, info.value.rejection) == (
        ResponseStatus.REJECTED_INVALID
    )


def test_unknown_event_status_is_invalid() -> None:
    """EventStatus.currentStatus values other than 0-4 are reserved: only a
    :class:`SourceStatus` is a status (the 2030.5 mapping rejects reserved codes)."""
    with pytest.raises(LocalProtocolError, match="server status"):
        ScheduledControl(
            mrid="A",
            program_id="P1",
            creation_time=T0,
            start=T0,
            duration_s=60,
            server_status=9,  # type: ignore[arg-type]
        )


def test_primacy_must_be_uint8() -> None:
    """DERProgram.primacy is a UInt8."""
    with pytest.raises(LocalProtocolError):
        Program("P1", 256)


def test_snapshot_rejects_control_of_unknown_program() -> None:
    """Every control belongs to a listed program."""
    with pytest.raises(LocalProtocolError, match="unknown program"):
        snapshot(control("A", start=T0, duration_s=60, program_id="nope"))


def test_snapshot_rejects_two_defaults_for_one_program() -> None:
    """A program has at most one DefaultDERControl."""
    default = DefaultControl("P1", EnvelopeLimits(export_limit_w=1.0))
    with pytest.raises(LocalProtocolError, match="two default"):
        snapshot(defaults=[default, default])


def test_local_error_carries_its_rejection_hint() -> None:
    """Our validation error keeps the hint a protocol adapter answers with."""
    with pytest.raises(LocalProtocolError) as info:
        Program("", 1)

    assert response_status(EventChange.REJECTED, info.value.rejection) == (
        ResponseStatus.REJECTED_INVALID
    )


def test_config_rejects_unknown_modes_and_bad_timeout() -> None:
    """Configuration mistakes fail at construction."""
    with pytest.raises(EngineConfigError):
        EngineConfig(supported_modes=frozenset({"warp_drive"}))
    with pytest.raises(EngineConfigError):
        EngineConfig(comms_loss_timeout_s=0)
