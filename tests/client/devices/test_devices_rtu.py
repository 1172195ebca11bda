"""The gateway's devices over Modbus RTU: a real serial line (a pty null modem made at test
time) between the gateway's :class:`Site` and the simulator's RTU bus.

Two inverters share one RS-485 line (unit ids 1 and 2), as on a real installation; every
test is bounded by a timeout so a broken line fails fast instead of hanging.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from openderms.client.devices import Site, load_builtin_map
from openderms.client.devices.errors import DeviceIOError, MapError
from openderms.client.devices.site import DeviceConfig
from openderms.client.devices.sunspec import ModelInstance
from openderms.client.devices.transport import ModbusLink, RtuConfig
from openderms.client.sim import RunningSite, parse_config, start_site
from openderms.client.sim.devices import INVERTER_MODELS
from openderms.client.sim.nullmodem import NullModem, null_modem

NOON = 12 * 3600.0
BOUND_S = 10.0
"""No test may take longer than this, whatever the line does [s]."""
TIMEOUT_S = 0.3
"""The gateway's per-request timeout on the line [s]."""

BUS_SITE: dict[str, Any] = {
    "site": {"house_base_w": 400.0, "house_evening_peak_w": 0.0},
    "device": [
        {"name": "pv1", "type": "inverter", "bus": "rs485", "unit_id": 1, "rated_w": 6000.0},
        {"name": "pv2", "type": "inverter", "bus": "rs485", "unit_id": 2, "rated_w": 3000.0},
    ],
}


@asynccontextmanager
async def rtu_site(
    *extra: dict[str, Any],
) -> AsyncIterator[tuple[RunningSite, Site, NullModem]]:
    """The simulated bus on one end of a null modem, a gateway :class:`Site` on the other.

    ``extra`` gateway device entries (e.g. a unit nobody answers) join the same line.
    """
    async with asyncio.timeout(BOUND_S), null_modem() as cable:
        config = parse_config({**BUS_SITE, "bus": [{"name": "rs485", "serial": cable.a}]})
        async with start_site(config, start=NOON) as sim:
            gateway = sim.gateway_config({"rs485": cable.b})
            entries = [*gateway["devices"], *extra]
            for entry in entries:
                entry.setdefault("serial", gateway["devices"][0]["serial"])
                entry.setdefault("timeout_s", TIMEOUT_S)
                entry.setdefault("retries", 0)
            site = Site.from_config({"devices": entries})
            try:
                yield sim, site, cable
            finally:
                await site.close()


async def test_sunspec_discovery_over_rtu_finds_the_model_chain() -> None:
    async with rtu_site() as (_sim, site, _cable):
        found = await site.discover()
    for name in ("pv1", "pv2"):
        chain = found[name]
        assert isinstance(chain, list), chain
        assert [m.model_id for m in chain] == list(INVERTER_MODELS)
        assert chain[0] == ModelInstance(1, 40002, 66)  # model 1 right after "SunS"
        assert all(a.end == b.address for a, b in itertools.pairwise(chain))


async def test_wmaxlimpct_with_revert_timer_reaches_the_inverter_over_rtu() -> None:
    async with rtu_site() as (sim, site, _cable):
        await site.discover()
        pv2 = site.drivers["pv2"]
        result = await pv2.write("power_limit_pct", 25.0, revert_s=30)
        block = sim.sim.block("pv2", 704)
        written = (
            block.get("WMaxLimPct"),
            block.get("WMaxLimPctRvrtTms"),
            block.raw("WMaxLimPctEna"),
        )
        untouched = sim.sim.block("pv1", 704).raw("WMaxLimPctEna")
        sim.step(NOON + 1)
        limited = (await pv2.read(["active_power_w"]))["active_power_w"]
        sim.step(NOON + 40)  # the revert timer has run out
        reverted = (await pv2.read(["active_power_w"]))["active_power_w"]
    assert result.source == "704:WMaxLimPct" and result.revert_timer_s == 30
    assert written == (25.0, 30, 1)
    assert untouched == 0, "the write went to unit 2 only"
    assert limited == pytest.approx(750.0, abs=1)  # 25 % of 3 kW
    assert reverted == pytest.approx(3000.0, abs=5)


async def test_two_units_on_one_line_share_one_client_and_its_lock() -> None:
    """One serial port, one owner: the units' requests queue on one lock and never
    interleave, so concurrent polls each get their own device's answer."""
    async with rtu_site() as (_sim, site, _cable):
        first, second = (site.drivers[n].io for n in ("pv1", "pv2"))
        assert isinstance(first, ModbusLink) and isinstance(second, ModbusLink)
        shared_client = first.client is second.client
        shared_lock = first.lock is second.lock
        await site.discover()
        rounds = await asyncio.gather(
            *(site.drivers[n].read(["rated_power_w"]) for _ in range(5) for n in ("pv1", "pv2"))
        )
        telemetry = await site.read_telemetry(now=NOON)
    assert shared_client and shared_lock
    assert [r["rated_power_w"] for r in rounds] == [6000.0, 3000.0] * 5
    assert telemetry.devices["pv1"].error is None and telemetry.devices["pv2"].error is None
    assert telemetry.devices["pv1"].get("rated_power_w") == 6000.0
    assert telemetry.devices["pv2"].get("rated_power_w") == 3000.0


async def test_silent_unit_times_out_on_its_own_and_the_other_units_still_answer() -> None:
    ghost = {"name": "ghost", "map": "sunspec-inverter", "unit_id": 9}
    async with rtu_site(ghost) as (_sim, site, _cable):
        found = await site.discover()
        started = time.monotonic()
        telemetry = await site.read_telemetry(now=NOON)
        elapsed_s = time.monotonic() - started
        again = await site.drivers["pv1"].read(["rated_power_w"])
    assert isinstance(found["pv1"], list) and isinstance(found["pv2"], list)
    assert not isinstance(found["ghost"], list)
    assert "No response received" in str(found["ghost"])
    assert telemetry.devices["ghost"].error is not None
    assert telemetry.devices["ghost"].error.startswith("io: ")
    assert telemetry.devices["pv1"].get("rated_power_w") == 6000.0
    assert telemetry.devices["pv2"].get("rated_power_w") == 3000.0
    # The ghost costs one timeout per request it makes, not a stall of the line.
    assert elapsed_s < 3 * TIMEOUT_S + 1.0
    assert again == {"rated_power_w": 6000.0}, "the line is usable after the timeout"


async def test_units_on_one_line_must_agree_on_its_settings() -> None:
    """One UART has one baud rate: a second unit asking for another is a config error."""
    inverter = load_builtin_map("sunspec-inverter")
    configs = [
        DeviceConfig("a", inverter, RtuConfig("/dev/ttyUSB0", baudrate=9600, unit_id=1)),
        DeviceConfig("b", inverter, RtuConfig("/dev/ttyUSB0", baudrate=19200, unit_id=2)),
    ]
    with pytest.raises(MapError, match=r"devices\[b\]\.serial: /dev/ttyUSB0"):
        Site(configs)


async def test_late_answer_of_a_slow_unit_is_never_taken_for_another_units() -> None:
    """Unit 1's reply reaches the gateway after it gave up, while unit 2's request is
    pending. RTU frames carry no transaction id, only the unit id tells them apart: a
    unit-2 read may be lost to the collision (an error), but never returns unit 1's data."""
    async with rtu_site() as (_sim, site, cable):
        await site.discover()
        late_s = TIMEOUT_S + 0.15
        cable.delay_to_b = lambda chunk: late_s if chunk[:1] == b"\x01" else 0.0
        pv1, pv2 = site.drivers["pv1"], site.drivers["pv2"]
        with pytest.raises(DeviceIOError, match="No response received"):
            await pv1.read(["rated_power_w"])
        started = time.monotonic()
        seen: list[object] = []
        while time.monotonic() - started < 0.4:  # spans the stale frame's arrival
            try:
                seen.append((await pv2.read(["rated_power_w"]))["rated_power_w"])
            except DeviceIOError as exc:
                seen.append(exc)
        cable.delay_to_b = None
        await asyncio.sleep(late_s)  # let anything still held reach the gateway
        recovered = await pv1.read(["rated_power_w"])
    answers = [s for s in seen if not isinstance(s, DeviceIOError)]
    assert len(answers) >= 3
    assert answers == [3000.0] * len(answers)
    assert recovered == {"rated_power_w": 6000.0}


@pytest.mark.parametrize(
    ("serial", "message"),
    [
        ({"port": "/dev/ttyUSB0", "parity": "M"}, r"serial\.parity: expected N, E or O"),
        ({"port": "/dev/ttyUSB0", "stopbits": 3}, r"serial: stopbits 1 or 2"),
        ({"port": "/dev/ttyUSB0", "bytesize": 6}, r"serial: stopbits 1 or 2, bytesize 7 or 8"),
        ({"baudrate": 9600}, r"serial\.port: required"),
    ],
)
def test_bad_serial_line_settings_are_rejected_at_load(
    serial: dict[str, Any], message: str
) -> None:
    with pytest.raises(MapError, match=message):
        DeviceConfig.from_mapping({"name": "pv", "map": "sunspec-inverter", "serial": serial})


def test_serial_line_settings_are_loaded() -> None:
    config = DeviceConfig.from_mapping(
        {
            "name": "pv",
            "map": "sunspec-inverter",
            "unit_id": 3,
            "serial": {"port": "/dev/ttyUSB0", "baudrate": 19200, "parity": "E", "bytesize": 7},
        }
    )
    assert config.link == RtuConfig(
        "/dev/ttyUSB0",
        baudrate=19200,
        parity="E",
        stopbits=1,
        bytesize=7,
        unit_id=3,
        timeout_s=2.0,
        retries=1,
    )


async def test_missing_serial_adapter_is_an_error_of_its_devices_only() -> None:
    """An unplugged adapter fails its line's devices at connect; the bus on the other
    port keeps answering in the same poll."""
    unplugged = {
        "name": "unplugged",
        "map": "sunspec-inverter",
        "serial": {"port": "/nonexistent/ttyUSB7"},
    }
    async with rtu_site(unplugged) as (_sim, site, _cable):
        telemetry = await site.read_telemetry(now=NOON)
    error = telemetry.devices["unplugged"].error
    assert error is not None and "cannot connect" in error
    assert telemetry.devices["pv1"].get("rated_power_w") == 6000.0
    assert telemetry.devices["pv2"].get("rated_power_w") == 3000.0


async def test_each_unit_on_a_shared_line_keeps_its_own_timeout() -> None:
    """One client serves the line, but a unit known to be absent may give up sooner, and
    that short timeout must not cut off a slower unit that does answer."""
    ghost = {"name": "ghost", "map": "sunspec-inverter", "unit_id": 9, "timeout_s": 0.05}
    async with rtu_site(ghost) as (_sim, site, cable):
        await site.discover()
        cable.delay_to_b = lambda chunk: 0.15 if chunk[:1] == b"\x01" else 0.0  # unit 1: slow
        started = time.monotonic()
        with pytest.raises(DeviceIOError, match="No response received"):
            await site.drivers["ghost"].read(["rated_power_w"])
        ghost_s = time.monotonic() - started
        slow = await site.drivers["pv1"].read(["rated_power_w"])
    assert ghost_s < 0.25, "the ghost waited for the line's other timeout (0.3 s)"
    assert slow == {"rated_power_w": 6000.0}, "pv1 answers within its own 0.3 s"


async def test_a_unit_silent_for_many_polls_never_takes_the_line_down() -> None:
    """pymodbus counts consecutive timeouts towards closing a connection; on a shared
    serial line the other units keep answering poll after poll regardless."""
    ghost = {"name": "ghost", "map": "sunspec-inverter", "unit_id": 9, "timeout_s": 0.05}
    async with rtu_site(ghost) as (_sim, site, _cable):
        await site.discover()
        for _ in range(6):  # more than pymodbus's retries + 3 consecutive misses
            with pytest.raises(DeviceIOError):
                await site.drivers["ghost"].read(["rated_power_w"])
        polls = [await site.read_telemetry(now=NOON + i) for i in range(3)]
    for telemetry in polls:
        assert telemetry.devices["ghost"].error is not None
        assert telemetry.devices["pv1"].get("rated_power_w") == 6000.0
        assert telemetry.devices["pv2"].get("rated_power_w") == 3000.0
