"""A virtual serial cable: two pseudo-terminals whose bytes are relayed to each other.

What ``socat pty,raw,echo=0 pty,raw,echo=0`` does, in pure Python (POSIX only), so the
simulator can serve a Modbus RTU bus on one end while a gateway opens the other end as if
both were RS-485 adapters. Both ends are real ttys: pyserial configures them as it would a
USB adapter (the baud rate is accepted and ignored, bytes arrive at once).
"""

from __future__ import annotations

import asyncio
import os
import tty
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

__all__ = ["NullModem", "null_modem"]


@dataclass(frozen=True, slots=True)
class NullModem:
    """The two ends of the cable, as device paths (``/dev/pts/N``)."""

    a: str
    b: str


def _relay(source: int, target: int) -> None:
    try:
        data = os.read(source, 4096)
    except OSError:  # EIO while no one holds the far end open: nothing to relay
        return
    view = memoryview(data)
    while view:
        written = os.write(target, view)
        view = view[written:]


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
    try:
        for fd in fds:
            tty.setraw(fd)
        loop.add_reader(master_a, _relay, master_a, master_b)
        loop.add_reader(master_b, _relay, master_b, master_a)
        yield NullModem(os.ttyname(slave_a), os.ttyname(slave_b))
    finally:
        loop.remove_reader(master_a)
        loop.remove_reader(master_b)
        for fd in fds:
            os.close(fd)
