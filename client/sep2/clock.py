"""The server's clock as seen from the gateway (IEEE 2030.5-2018 §6.9 Time function set).

2030.5 schedules are in the server's time. The gateway keeps the offset between the Time
resource's ``currentTime`` and its own clock and shifts every ``now`` it passes to the
cores by that offset.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ClockOffset", "offset_from_time"]


def offset_from_time(server_time_s: int, sent_s: float, received_s: float) -> float:
    """Offset to add to the local clock to get the server's clock [s].

    The server read its clock somewhere between our request and its response; the
    midpoint halves the error. ``currentTime`` has a resolution of one second.

    Parameters
    ----------
    server_time_s : int
        ``Time.currentTime`` [s since epoch].
    sent_s, received_s : float
        Local clock when the request left and the response arrived [s since epoch].
    """
    if received_s < sent_s:
        raise ValueError("received before sent")
    # currentTime is the server's clock truncated to the second: on average it was half a
    # second later than the value says.
    offset_s = server_time_s + 0.5 - (sent_s + received_s) / 2.0
    # With one-second resolution, a smaller offset is quantisation, not skew.
    return offset_s if abs(offset_s) >= 1.0 else 0.0


@dataclass(slots=True)
class ClockOffset:
    """The current offset, with the rule for when to trust a new sample."""

    offset_s: float = 0.0
    """Server clock minus local clock [s]."""
    max_round_trip_s: float = 5.0
    """Samples whose round trip is longer say too little about the clock [s]."""

    def update(self, server_time_s: int, sent_s: float, received_s: float) -> bool:
        """Take a new sample; returns whether it was used."""
        if received_s - sent_s > self.max_round_trip_s:
            return False
        self.offset_s = offset_from_time(server_time_s, sent_s, received_s)
        return True

    def server_now(self, local_now_s: float) -> float:
        """The server's clock at local time ``local_now_s`` [s since epoch]."""
        return local_now_s + self.offset_s
