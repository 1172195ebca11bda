"""Modbus request limits: 125 registers per read, 123 per write."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from openderms.client.devices.spans import MAX_READ_REGISTERS, MAX_WRITE_REGISTERS, split_span
from openderms.client.devices.transport import ModbusLink, TcpConfig


def test_read_spans_split_at_125() -> None:
    assert split_span(40000, 300, MAX_READ_REGISTERS) == [(40000, 125), (40125, 125), (40250, 50)]


def test_write_spans_split_at_123() -> None:
    assert split_span(0, 246, MAX_WRITE_REGISTERS) == [(0, 123), (123, 123)]


def test_exact_limit_is_one_request() -> None:
    assert split_span(10, 125, 125) == [(10, 125)]
    assert split_span(10, 0, 125) == []


def test_span_past_the_address_space_is_refused() -> None:
    with pytest.raises(ValueError):
        split_span(65500, 100, 125)


class _Response:
    def __init__(self, registers: list[int]) -> None:
        self.registers = registers

    def isError(self) -> bool:
        return False


class _FakeClient:
    """Records requests against a fake register span; refuses oversize requests like a
    device would (Modbus exception 3)."""

    connected = True

    def __init__(self) -> None:
        self.memory = {a: a & 0xFFFF for a in range(1000)}
        self.requests: list[tuple[str, int, int]] = []

    async def read_holding_registers(self, address: int, *, count: int, device_id: int) -> Any:
        assert count <= 125
        self.requests.append(("read", address, count))
        return _Response([self.memory[a] for a in range(address, address + count)])

    async def write_registers(self, address: int, values: Sequence[int], *, device_id: int) -> Any:
        assert len(values) <= 123
        self.requests.append(("write", address, len(values)))
        for offset, value in enumerate(values):
            self.memory[address + offset] = value
        return _Response([])

    def close(self) -> None:
        pass


async def test_link_reads_a_long_span_in_chunks_of_125() -> None:
    client = _FakeClient()
    link = ModbusLink(TcpConfig("127.0.0.1"), client=client)
    values = await link.read(100, 400)
    assert values == list(range(100, 500))
    assert [r[2] for r in client.requests] == [125, 125, 125, 25]


async def test_link_writes_a_long_span_in_chunks_of_123() -> None:
    client = _FakeClient()
    link = ModbusLink(TcpConfig("127.0.0.1"), client=client)
    await link.write(0, [7] * 250)
    assert client.requests == [("write", 0, 123), ("write", 123, 123), ("write", 246, 4)]
    assert all(client.memory[a] == 7 for a in range(250))
    assert client.memory[250] == 250
