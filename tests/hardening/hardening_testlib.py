"""Helpers of the hardening suite: `Tally` (what every test reports: per category, how many
attempts were tried, how many were refused or survived correctly, which went wrong) and
`BlackHoleProxy` (a network partition in front of a real server)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass
class Tally:
    """Counts of one category of attack; `report` prints them and returns the wrong ones.

    Attributes
    ----------
    category
        What was tried, e.g. ``"aggregator takeover"``.
    """

    category: str
    tried: int = 0
    held: int = 0
    wrong: list[str] = field(default_factory=list)

    def check(self, ok: bool, what: str) -> bool:
        """Count one attempt; `what` describes it when it went wrong."""
        self.tried += 1
        if ok:
            self.held += 1
        else:
            self.wrong.append(what)
        return ok

    def report(self) -> list[str]:
        """Print ``category: tried N / refused correctly M / wrong K`` and the wrong ones."""
        print(
            f"\n[hardening] {self.category}: tried {self.tried} / "
            f"refused correctly {self.held} / wrong {len(self.wrong)}"
        )
        for item in self.wrong[:20]:
            print(f"[hardening]   wrong: {item}")
        return self.wrong


class BlackHoleProxy:
    """A TCP proxy on loopback that can drop everything, as a network partition does.

    While `partitioned`, bytes in either direction are read and thrown away (nothing is
    refused or reset: the peer just never hears back), and new connections are accepted
    but never reach the upstream. `heal` forwards again; connections that lost bytes stay
    broken, as after a real partition.
    """

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.partitioned = False
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> BlackHoleProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.wait_for(self._server.wait_closed(), 5)

    def partition(self) -> None:
        self.partitioned = True

    def heal(self) -> None:
        self.partitioned = False

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while self.partitioned:  # a connection made during the partition hangs
                await reader.read(65536)
                if reader.at_eof():
                    return
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            self._writers.add(up_writer)
            pumps = [
                asyncio.create_task(self._pump(reader, up_writer)),
                asyncio.create_task(self._pump(up_reader, writer)),
            ]
            self._tasks.update(pumps)
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            for pump in pumps:
                pump.cancel()
            up_writer.close()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            if not self.partitioned:
                writer.write(data)
                await writer.drain()
