"""Clocks that tests set instead of sleeping."""

from __future__ import annotations

#: The fixed "now" of head-end API tests [s since the epoch] (2027-01-15T08:00:00Z).
NOW = 1_800_000_000

NOON_S = 1_782_043_200.0
"""2026-06-21 12:00 UTC: the simulated PV has sun (the sim's solar curve is UTC)."""


class FakeClock:
    """The server's time source in head-end tests [whole s]: set ``now``, never sleep."""

    def __init__(self, now: int = NOW) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


class VirtualClock:
    """A clock both ends share in a test: the server's routes and the gateway read it."""

    def __init__(self, start_s: float) -> None:
        self.now_s = start_s

    def __call__(self) -> float:
        return self.now_s

    def server(self) -> int:
        return int(self.now_s)

    def advance(self, seconds: float) -> float:
        self.now_s += seconds
        return self.now_s
