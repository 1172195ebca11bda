"""Harness of the dashboard tests: seed data and the served dashboard (see conftest.py).

Seed data goes in through the head-end's own services (registration, programs, DER,
mirror, Response, LogEvent), exactly as the 2030.5 routes store it.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from openderms.certs.identity import sfdi_from_lfdi
from openderms.client.sep2 import messages, readings
from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.enums import DERType
from openderms.server import uris
from openderms.server.changes import RecordingChangeSink
from openderms.server.config import ServerSettings
from openderms.server.scope import Scope, ServiceContext
from openderms.server.services import der, log_event, programs, registration, response
from openderms.server.services import metering_mirror as mirror
from openderms.server.store.db import Store
from openderms.testing.clock import NOW, FakeClock

#: The utility's own device and the aggregator's device (LFDIs, 40 hex digits).
UTILITY_DEVICE = "1A" * 20
AGGREGATOR_DEVICE = "2B" * 20
AGGREGATOR_LFDI = "AA" * 20
#: Site power the seeded gateway reports: 60 readings, one a minute, ending at NOW [W].
SITE_POWER_W = [-3000.0 + 50.0 * i for i in range(60)]
READING_STEP_S = 60


@dataclass
class Seeded:
    """Ids of what the seed made."""

    utility_device_id: int
    aggregator_device_id: int
    group_id: int
    program_id: int
    active_control_id: int
    active_control_mrid: str
    cancelled_control_id: int


@dataclass
class DashboardServer:
    """A running admin listener with the dashboard, its tokens and an HTTPS client."""

    base_url: str
    store: Store
    clock: FakeClock
    utility_token: str
    aggregator_token: str
    client: httpx.AsyncClient
    seeded: Seeded

    def bearer(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


def service_ctx(clock: FakeClock) -> ServiceContext:
    return ServiceContext(now=clock.now, settings=ServerSettings(), changes=RecordingChangeSink())


def _scope(lfdi: str) -> Scope:
    return Scope(lfdi=lfdi, sfdi=sfdi_from_lfdi(lfdi))


def seed(store: Store, clock: FakeClock) -> Seeded:
    """Two devices in one group, a program with an active and a cancelled control, a
    default control, DERStatus, site telemetry, a Response and a LogEvent."""
    ctx = service_ctx(clock)
    mine = store.call(registration.register_end_device, ctx, lfdi=UTILITY_DEVICE)
    theirs = store.call(
        registration.register_end_device,
        ctx,
        lfdi=AGGREGATOR_DEVICE,
        aggregator_lfdi=AGGREGATOR_LFDI,
    )
    assert mine.id is not None and theirs.id is not None
    group = store.call(programs.create_group, ctx, description="Feeder 12")
    assert group.id is not None
    store.call(programs.assign_devices, ctx, group.id, [mine.id, theirs.id])
    program = store.call(
        programs.create_program, ctx, primacy=10, description="Export caps", group_ids=[group.id]
    )
    assert program.id is not None
    store.call(
        programs.set_default_der_control,
        ctx,
        program_id=program.id,
        modes=programs.ControlModes(op_mod_exp_lim_w=5000),
        description="5 kW default",
    )
    # A later control that is cancelled, then the active one (a different time, no overlap).
    cancelled = store.call(
        programs.create_der_control,
        ctx,
        program_id=program.id,
        start_time=NOW + 7200,
        duration_s=600,
        modes=programs.ControlModes(op_mod_exp_lim_w=0),
        description="zero export",
    )
    assert cancelled.id is not None
    store.call(programs.cancel_der_control, ctx, cancelled.id, randomized=False)
    active = store.call(
        programs.create_der_control,
        ctx,
        program_id=program.id,
        start_time=NOW - 600,
        duration_s=3600,
        modes=programs.ControlModes(op_mod_exp_lim_w=1500),
        description="export cap 1.5 kW",
    )
    assert active.id is not None
    # The DER resources exactly as the gateway builds them.
    facts = messages.DerFacts(
        der_type=DERType.COMBINED_PV_AND_STORAGE,
        rated_w=5000,
        rated_wh=13500,
        max_charge_w=5000,
        connected=True,
        available_w=4200,
        soc_pct=61.5,
    )
    for resource in (
        messages.der_capability(facts),
        messages.der_settings(facts, set_grad_w=100, now=NOW - 40),
        messages.der_availability(facts, now=NOW - 35),
        messages.der_status(facts, now=NOW - 30),
    ):
        store.call(
            der.put_der_resource, ctx, _scope(UTILITY_DEVICE), mine.id, uris.DER_INDEX, resource
        )
    mup_href, _ = store.call(
        mirror.post_mirror_usage_point,
        ctx,
        _scope(UTILITY_DEVICE),
        readings.mirror_usage_point(UTILITY_DEVICE, "site", quantities=["power_w", "voltage_v"]),
    )
    samples = [
        readings.MeterSample(
            mirror="site",
            time_s=NOW - (len(SITE_POWER_W) - 1 - i) * READING_STEP_S,
            power_w=power,
            voltage_v=240.0 + (i % 5) * 0.5,
        )
        for i, power in enumerate(SITE_POWER_W)
    ]
    store.call(
        mirror.post_mirror_readings,
        ctx,
        _scope(UTILITY_DEVICE),
        int(mup_href.rsplit("/", 1)[1]),
        readings.mirror_meter_reading_list(UTILITY_DEVICE, samples),
    )
    store.call(
        response.post_response,
        ctx,
        _scope(UTILITY_DEVICE),
        program.id,
        sep.DERControlResponse(
            createdDateTime=sep.TimeType(value=NOW - 590),
            endDeviceLFDI=bytes.fromhex(UTILITY_DEVICE),
            status=2,
            subject=sep.mRIDType(value=bytes.fromhex(active.mrid)),
        ),
    )
    store.call(
        log_event.post_log_event,
        ctx,
        _scope(UTILITY_DEVICE),
        mine.id,
        sep.LogEvent(
            createdDateTime=sep.TimeType(value=NOW - 100),
            details="inverter fault",
            functionSet=0,
            logEventCode=3,
            logEventID=7,
            logEventPEN=sep.PENType(value=40732),
            profileID=0,
        ),
    )
    return Seeded(mine.id, theirs.id, group.id, program.id, active.id, active.mrid, cancelled.id)
