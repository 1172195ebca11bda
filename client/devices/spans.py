"""Splitting register spans into Modbus-sized requests. Pure.

Modbus Application Protocol v1.1b3, 6.3 and 6.12: one Read Holding Registers request reads
at most 125 registers, one Write Multiple Registers request writes at most 123.
"""

from __future__ import annotations

__all__ = ["MAX_READ_REGISTERS", "MAX_WRITE_REGISTERS", "split_span"]

MAX_READ_REGISTERS = 125
MAX_WRITE_REGISTERS = 123


def split_span(address: int, count: int, limit: int) -> list[tuple[int, int]]:
    """Split ``count`` registers from ``address`` into (address, count) requests.

    Parameters
    ----------
    address : int
        First register address [0..65535].
    count : int
        Number of registers [registers]; 0 gives no request.
    limit : int
        Most registers one request may carry [registers].

    Returns
    -------
    list of (int, int)
        Consecutive requests covering the span, each at most ``limit`` long.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    if count < 0 or address < 0 or address + count > 0x10000:
        raise ValueError(f"span {address}+{count} is outside the Modbus address space")
    return [
        (start, min(limit, address + count - start))
        for start in range(address, address + count, limit)
    ]
