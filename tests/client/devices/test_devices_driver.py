"""The generic driver's write sequence, over a simulated register image without sockets."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from openderms.client.devices import GenericDriver, WriteVerifyError, load_builtin_map
from openderms.client.devices.transport import Table
from openderms.client.sim.devices import SimBattery, SimInverter
from openderms.client.sim.registers import RegisterImage

NOON = 12 * 3600.0


class ImageIO:
    """A RegisterIO over a simulator's register image, recording writes in order."""

    def __init__(self, image: RegisterImage, ignore: set[int] | None = None) -> None:
        self.image = image
        self.writes: list[tuple[int, list[int]]] = []
        self.ignore = ignore or set()
        """Addresses whose writes are acknowledged but not stored (a stubborn device)."""

    async def read(self, address: int, count: int, table: Table = "holding") -> list[int]:
        return self.image.read(table, address, count)

    async def write(self, address: int, values: Sequence[int]) -> None:
        self.writes.append((address, list(values)))
        if address not in self.ignore:
            self.image.write(address, values)

    async def close(self) -> None:
        pass


async def test_revert_timer_is_written_before_the_value_and_the_enable_after() -> None:
    inverter = SimInverter(rated_w=10000.0, start=NOON)
    io = ImageIO(inverter.regs)
    driver = GenericDriver(load_builtin_map("sunspec-inverter"), io)
    await driver.write("power_limit_pct", 60.0, revert_s=120)
    block = inverter.regs.blocks[704]
    order = [address for address, _ in io.writes]
    assert order == [
        block.address_of("WMaxLimPctRvrtTms"),
        block.address_of("WMaxLimPct"),
        block.address_of("WMaxLimPctEna"),
    ]
    assert block.get("WMaxLimPctRvrtTms") == 120
    assert block.get("WMaxLimPct") == pytest.approx(60.0)


async def test_enable_bits_are_or_ed_into_the_bitfield() -> None:
    """124 StorCtl_Mod: arming the discharge limit keeps the charge limit armed."""
    battery = SimBattery(10000.0, 5000.0, 4000.0, soc_pct=50.0, start=0.0)
    driver = GenericDriver(load_builtin_map("sunspec-battery"), ImageIO(battery.regs))
    await driver.write("charge_limit_w", 2500.0, revert_s=60)
    await driver.write("discharge_limit_w", 1000.0, revert_s=60)
    block = battery.regs.blocks[124]
    assert block.raw("StorCtl_Mod") == 0b11
    assert block.get("InWRte") == pytest.approx(50.0)  # 2500 W of WChaMax 5000 W
    assert block.get("OutWRte") == pytest.approx(25.0)  # 1000 W of 4000 W


async def test_a_write_the_device_does_not_keep_fails_verification() -> None:
    inverter = SimInverter(rated_w=10000.0, start=NOON)
    block = inverter.regs.blocks[704]
    io = ImageIO(inverter.regs, ignore={block.address_of("WMaxLimPct")})
    driver = GenericDriver(load_builtin_map("sunspec-inverter"), io)
    with pytest.raises(WriteVerifyError, match="power_limit_pct reads 100"):
        await driver.write("power_limit_pct", 30.0, revert_s=60)


async def test_boolean_controls_use_the_map_values() -> None:
    battery = SimBattery(10000.0, 5000.0, 5000.0, soc_pct=50.0, start=0.0)
    driver = GenericDriver(load_builtin_map("sunspec-battery"), ImageIO(battery.regs))
    result = await driver.write("battery_connect", False, revert_s=60)
    assert result.readback is False
    assert result.revert_timer_s is None  # 802 SetOp has no revert timer
    assert battery.regs.blocks[802].raw("SetOp") == 2  # DISCONNECT


async def test_percent_controls_read_back_in_watts() -> None:
    battery = SimBattery(10000.0, 5000.0, 4000.0, soc_pct=50.0, start=0.0)
    driver = GenericDriver(load_builtin_map("sunspec-battery"), ImageIO(battery.regs))
    await driver.write("charge_limit_w", 2000.0, revert_s=60)
    values = await driver.read(["charge_limit_w", "discharge_limit_w"])
    assert values["charge_limit_w"] == pytest.approx(2000.0)
    assert values["discharge_limit_w"] == pytest.approx(4000.0)  # 100 % of 4 kW
