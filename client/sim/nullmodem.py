"""A virtual serial cable: two pseudo-terminals whose bytes are relayed to each other.

What ``socat pty,raw,echo=0 pty,raw,echo=0`` does, in pure Python (POSIX only), so the
simulator can serve a Modbus RTU bus on one end while a gateway opens the other end as if
both were RS-485 adapters. Both ends are real ttys: pyserial configures them as it would a
USB adapter (the baud rate is accepted and ignored, bytes arrive at once; Linux ptys also
ignore parity).
"""

from __future__ import annotations

import asyncio
import os
import tty
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

__all__ = ["NullModem", "null_modem"]


class NullModem:
    """The two ends of the cable, as device paths (``/dev/pts/N``)."""

    def __init__(self, a: str, b: str) -> None:
        self.a = a
        self.b = b
        self.delay_to_b: Callable[[bytes], float] | None = None
        """Test hook: seconds to hold each chunk travelling from ``a`` to ``b`` (e.g. the
        replies of one slow unit, keyed on the chunk's first byte, its unit id) [s]."""


def _read(source: int) -> bytes:
    try:
        return os.read(source, 4096)
    except OSError:  # EIO while no one holds the far end open: nothing to relay
        return b""


def _write(target: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(target, view) :]


@asynccontextmanager
async def null_modem() -> AsyncIterator[NullModem]:
    """Open a pty pair per end and relay between their masters for the ``async with``.

    The slave ends stay open here too, so a master never reports end-of-file while a user
    closes and reopens its port (which would make the relay spin).
    """
    loop = asyncio.get_running_loop()
    master_a, slave_a = os.openpty()
    master_b, slave_b = os.openpty()
    fds = (master_a, slave_a, master_b, slave_b)
    modem = NullModem(os.ttyname(slave_a), os.ttyname(slave_b))
    held: list[asyncio.TimerHandle] = []

    def a_to_b() -> None:
        data = _read(master_a)
        delay_s = modem.delay_to_b(data) if data and modem.delay_to_b else 0.0
        if delay_s > 0:
            held.append(loop.call_later(delay_s, _write, master_b, data))
        elif data:
            _write(master_b, data)

    def b_to_a() -> None:
        data = _read(master_b)
        if data:
            _write(master_a, data)

    try:
        for fd in fds:
            tty.setraw(fd)
        loop.add_reader(master_a, a_to_b)
        loop.add_reader(master_b, b_to_a)
        yield modem
    finally:
        for handle in held:
            handle.cancel()
        loop.remove_reader(master_a)
        loop.remove_reader(master_b)
        for fd in fds:
            os.close(fd)
