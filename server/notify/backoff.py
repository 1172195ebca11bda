"""Retry policy for notification delivery: exponential backoff with jitter, bounded.

Pure code: the attempt count and a ``random.Random`` come in, a delay comes out. The
delivery worker (the only place that reads the clock) adds the delay to ``now``.

IEEE 2030.5-2018 §12.8 (Subscription/Notification) leaves the retry schedule to the
server; it only requires that a server retries a failed notification. We retry
transient failures (connection errors, timeouts, 5xx, 408, 429) and give up on a
permanent refusal (other 4xx) or after ``max_attempts``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["RetryPolicy", "is_retryable_status"]


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
