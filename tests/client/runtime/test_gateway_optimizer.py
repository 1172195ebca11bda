"""``[optimizer] enabled = true`` in the running gateway: a 2030.5 export limit held by the
event engine, the plan made inside it, the simulated site over real Modbus TCP on
127.0.0.1, and a virtual clock. The 2030.5 server is never reached (its port is closed):
the control comes from the held schedule, as after a restart without contact.
"""

from __future__ import annotations

import random
import socket
from dataclasses import replace
from pathlib import Path

import pytest

from openderms.certs import pki
from openderms.certs.identity import identity_from_pem
from openderms.client.config import (
    ConfigError,
    GatewayConfig,
    NotificationConfig,
    TimingConfig,
)
from openderms.client.config import parse_config as parse_gateway_config
from openderms.client.optimizer_settings import OptimizerSettings
from openderms.client.runtime.app import assemble_gateway
from openderms.client.runtime.devices_site import DevicesSite
from openderms.client.runtime.optimizer_loop import OptimizerLoop
from openderms.client.sep2.http import Sep2Http
from openderms.client.sep2.session import Sep2Session
from openderms.client.sep2.walker import ProgramView
from openderms.client.sim import parse_config, start_site
from openderms.client.store import GatewayStore
from openderms.schemas.sep2 import models as sep
from openderms.schemas.sep2.values import time_type

NOON = 1_782_043_200.0  # 12:00 UTC
EXPORT_LIMIT_W = 2000


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _export_limit_program(start_s: float, duration_s: int) -> ProgramView:
    control = sep.DERControl(
        mRID=sep.mRIDType(value=b"\x0b" * 16),
        creationTime=time_type(start_s - 60),
        EventStatus=sep.EventStatus(
            currentStatus=0, dateTime=time_type(start_s - 60), potentiallySuperseded=False
        ),
        interval=sep.DateTimeInterval(start=time_type(start_s), duration=duration_s),
        DERControlBase=sep.DERControlBase(
            opModExpLimW=sep.opModExpLimW(
                multiplier=sep.PowerOfTenMultiplierType(value=0), value=EXPORT_LIMIT_W
            )
        ),
    )
    program = sep.DERProgram(
        href="/edev/1/derp/1",
        mRID=sep.mRIDType(value=b"\x01" * 16),
        primacy=sep.PrimacyType(value=1),
    )
    return ProgramView(program=program, controls=[control])


async def test_gateway_with_the_optimizer_follows_the_plan_inside_a_2030_5_export_limit(
    tmp_path: Path,
) -> None:
    pki.init_pki(tmp_path / "pki")
    pki.issue_device(tmp_path / "pki", "gw")
    pki_dir = tmp_path / "pki"
    sim = parse_config(
        {
            "site": {"house_base_w": 400.0, "house_evening_peak_w": 0.0},
            "device": [
                {"name": "pv", "type": "inverter", "rated_w": 10000.0, "peak_w": 9500.0},
                {"name": "battery", "type": "battery", "soc_pct": 40.0, "capacity_wh": 10000.0},
                {"name": "meter", "type": "meter"},
                {"name": "ev", "type": "evcharger", "car_connected": True},
            ],
        }
    )
    origin = f"https://127.0.0.1:{_closed_port()}"
    config = GatewayConfig(
        name="gw",
        dcap_url=f"{origin}/dcap",
        cert_path=pki_dir / "gw.pem",
        key_path=pki_dir / "gw.key",
        ca_path=pki_dir / "serca.pem",
        store_path=tmp_path / "gw.sqlite",
        notifications=NotificationConfig(enabled=False),
        timing=TimingConfig(sample_s=60, dispatch_s=60, comms_loss_timeout_s=0),
        devices=(),
        optimizer=OptimizerSettings(
            enabled=True, step_s=900.0, horizon_s=3600.0, integer_steps=4, solve_wait_s=30.0
        ),
    )
    clock = [NOON]
    async with start_site(sim, start=NOON) as site:
        # The gateway builds its devices and the optimizer from the config (composed, not
        # attached afterwards).
        config = replace(config, devices=tuple(site.gateway_config()["devices"]))
        runtime = assemble_gateway(
            config=config,
            identity=identity_from_pem((pki_dir / "gw.pem").read_bytes()),
            http=Sep2Http(origin, None, timeout_s=0.5),
            store=GatewayStore.open(config.store_path),
            clock=lambda: clock[0],
            rng=random.Random(1),
        )
        devices = runtime.site
        assert isinstance(devices, DevicesSite)
        await devices.site.discover()
        sep2 = runtime.session("sep2")
        assert isinstance(sep2, Sep2Session)
        sep2.engine.update(
            sep2.snapshot([_export_limit_program(NOON, 3600)], NOON, answer_rejections=False),
            NOON,
        )
        dispatcher = devices.dispatcher
        assert isinstance(dispatcher.targets, OptimizerLoop)
        assert dispatcher.revert_s == 300.0
        exports: list[float] = []
        followed = 0
        try:
            while clock[0] < NOON + 1800:
                await runtime.step(clock[0])
                report = dispatcher.last_report
                assert report is not None and report.ok, report and report.failures
                clock[0] += 60.0
                state = site.step(clock[0])
                exports.append(-state.site_w)
                if report.targets is not None and report.targets.battery_power_w is not None:
                    followed += 1
                    assert state.battery_w == pytest.approx(
                        report.targets.battery_power_w, abs=30.0
                    )
        finally:
            await runtime.close()
    assert runtime.limits is not None and runtime.limits.export_limit_w == EXPORT_LIMIT_W
    plans_made = dispatcher.targets.plans_made
    assert 2 <= plans_made <= 3, plans_made  # 0, 900 (+ 1800)
    assert followed == len(exports)  # every cycle followed a plan
    assert max(exports) <= EXPORT_LIMIT_W


def _config_data(optimizer: dict[str, object]) -> dict[str, object]:
    return {
        "server": {"dcap_url": "https://127.0.0.1:8443/dcap"},
        "tls": {"cert": "gw.pem", "key": "gw.key", "ca": "serca.pem"},
        "optimizer": optimizer,
    }


def test_optimizer_table_is_read_from_the_gateway_config(tmp_path: Path) -> None:
    config = parse_gateway_config(
        _config_data({"enabled": True, "tariff": "prices.csv", "horizon_s": 7200}), tmp_path
    )
    assert config.optimizer.enabled and config.optimizer.steps == 8
    assert config.optimizer.tariff == (tmp_path / "prices.csv").resolve()
    assert parse_gateway_config(_config_data({}), tmp_path).optimizer.enabled is False


def test_bad_optimizer_table_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="optimizer"):
        parse_gateway_config(_config_data({"enable": True}), tmp_path)
