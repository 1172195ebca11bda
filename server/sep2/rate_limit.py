"""Per-certificate write rate limit of the 2030.5 listener (a token bucket, sans-IO).

One device posting back-to-back must not take the server from every other device: each
certificate gets `burst` writes at once and `rate_per_s` after that; past it the request
is refused with 429 and a Retry-After before its body is read. Time is passed in.
"""

from __future__ import annotations

import math
from collections import OrderedDict

__all__ = ["WriteRateLimiter"]


class WriteRateLimiter:
    """Token buckets keyed by certificate LFDI, the least recently used forgotten first.

    Parameters
    ----------
    rate_per_s
        Writes a certificate earns per second [1/s]; 0 turns the limit off.
    burst
        Writes a certificate may make at once (the bucket's size).
    max_tracked
        Buckets kept; a forgotten certificate starts again with a full bucket.
    """

    def __init__(self, rate_per_s: float, burst: int, *, max_tracked: int = 100_000) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.max_tracked = max_tracked
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def retry_after_s(self, key: str, now: float) -> int | None:
        """Take one write for `key` at `now` [s]; None if allowed, else seconds to wait."""
        if self.rate_per_s <= 0:
            return None
        tokens, since = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - since) * self.rate_per_s)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_tracked:
            self._buckets.popitem(last=False)
        return None if allowed else max(1, math.ceil((1.0 - tokens) / self.rate_per_s))
