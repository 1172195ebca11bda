"""Retry policy for notification delivery: exponential backoff with jitter, bounded.

Pure code: the attempt count and a ``random.Random`` come in, a delay comes out. The
delivery worker (the only place that reads the clock) adds the delay to ``now``.

IEEE 2030.5-2018 §12.8 (Subscription/Notification) leaves the retry schedule to the
server; it only requires that a server retries a failed notification. We retry
transient failures (connection errors, timeouts, 5xx, 408, 429) and give up on a
permanent refusal (other 4xx) or after ``max_attempts``.

Per row, the retry schedule is :class:`RetryPolicy`. Per *peer* (a listener's origin),
:class:`PeerBackoff` counts consecutive failures: once a listener keeps failing, the
worker stops sending it anything but one probe per backoff step, so a dead or slow
fleet corner cannot keep delivery slots busy.
"""

from __future__ import annotations

import random
from collections import OrderedDict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = ["PeerBackoff", "RetryPolicy", "is_retryable_status", "peer_of"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry one notification.

    Attributes
    ----------
    base_delay_s
        Delay before the first retry, before jitter [s].
    max_delay_s
        Cap on any single delay, before jitter [s].
    max_attempts
        Total delivery attempts (first try included) before the row is given up.
    """

    base_delay_s: float = 2.0
    max_delay_s: float = 600.0
    max_attempts: int = 10

    def __post_init__(self) -> None:
        if self.base_delay_s <= 0 or self.max_delay_s < self.base_delay_s:
            raise ValueError("need 0 < base_delay_s <= max_delay_s")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def delay_s(self, attempts_made: int, rng: random.Random) -> float:
        """Delay before the next attempt after ``attempts_made`` failed ones.

        "Equal jitter": half the exponential step is fixed, half is drawn uniformly, so a
        fleet that failed together does not retry together, yet no retry comes sooner
        than half the step.

        Parameters
        ----------
        attempts_made
            Failed attempts so far (1 after the first failure).
        rng
            Source of jitter (pass a seeded ``random.Random`` in tests).

        Returns
        -------
        float
            Delay [s], in ``[step / 2, step]`` with
            ``step = min(max_delay_s, base_delay_s * 2 ** (attempts_made - 1))``.
        """
        if attempts_made < 1:
            raise ValueError("attempts_made counts failures and starts at 1")
        # Cap the exponent first so huge attempt counts cannot overflow a float.
        exponent = min(attempts_made - 1, 62)
        step_s = min(self.max_delay_s, self.base_delay_s * float(2**exponent))
        half_s = step_s / 2.0
        return half_s + rng.uniform(0.0, half_s)

    def gives_up_after(self, attempts_made: int) -> bool:
        """True when ``attempts_made`` attempts exhaust the policy."""
        return attempts_made >= self.max_attempts


def is_retryable_status(status_code: int) -> bool:
    """Whether an HTTP status from a notification listener is worth retrying.

    2xx is success (not a retry); 408 and 429 and every 5xx are transient; any other
    status means the listener refuses the notification and retrying will not help.
    """
    return status_code in (408, 429) or 500 <= status_code <= 599


def peer_of(url: str) -> str:
    """The peer a delivery goes to: ``scheme://host:port`` of its URL (lower case)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme.lower()}://{(parts.hostname or '').lower()}:{port}"


@dataclass(slots=True)
class _PeerState:
    failures: int
    blocked_until: float


@dataclass(slots=True)
class PeerBackoff:
    """Consecutive delivery failures per peer, and until when a failing peer is skipped.

    After ``threshold`` failures in a row a peer is blocked for
    ``policy.delay_s(failures - threshold + 1)``; rows for it are then put back (their
    attempt counts untouched) instead of tried, except one probe once the block ends. One
    success clears the peer. Only failing peers are remembered, at most ``max_peers``
    (the oldest is forgotten first), so memory stays bounded on any fleet size.
    """

    policy: RetryPolicy = field(default_factory=RetryPolicy)
    threshold: int = 3
    max_peers: int = 100_000
    _peers: OrderedDict[str, _PeerState] = field(default_factory=OrderedDict)

    def __post_init__(self) -> None:
        if self.threshold < 1 or self.max_peers < 1:
            raise ValueError("threshold and max_peers must be at least 1")

    def blocked_until(self, peer: str, now: float) -> float | None:
        """When the block on ``peer`` ends [s], or None when it may be tried at ``now``."""
        state = self._peers.get(peer)
        if state is None or state.blocked_until <= now:
            return None
        return state.blocked_until

    def failed(self, peer: str, now: float, rng: random.Random) -> None:
        """Note a failed delivery to ``peer`` at ``now`` [s]."""
        state = self._peers.pop(peer, None) or _PeerState(failures=0, blocked_until=now)
        state.failures += 1
        if state.failures >= self.threshold:
            steps = state.failures - self.threshold + 1
            state.blocked_until = max(state.blocked_until, now + self.policy.delay_s(steps, rng))
        self._peers[peer] = state
        while len(self._peers) > self.max_peers:
            self._peers.popitem(last=False)

    def succeeded(self, peer: str) -> None:
        """Note a delivery ``peer`` accepted: it is healthy again."""
        self._peers.pop(peer, None)

    def failures(self, peer: str) -> int:
        """Consecutive failures of ``peer`` so far."""
        state = self._peers.get(peer)
        return 0 if state is None else state.failures
