"""When the 2030.5 client does what: the sans-IO timing core.

The client has a few recurring jobs: walk the resource tree (poll), read the server's
Time, post DER status and readings, flush the outbox of Responses and LogEvents, and
keep its subscriptions. Each job runs at a rate the server sets (``pollRate``,
``postRate``) or the gateway's configuration gives. When a job fails it backs off
exponentially with jitter, bounded (a thundering herd of gateways must not hammer a
server that is coming back up). Time and randomness are parameters.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass, field

__all__ = ["Backoff", "Job", "JobState", "Sep2Schedule"]


class Job(enum.Enum):
    """The recurring work of the client."""

    WALK = "walk"
    """Fetch DeviceCapability and follow links: registration, FSAs, programs, controls."""
    REFRESH = "refresh"
    """Fetch again the programs a Notification said changed (a partial walk)."""
    TIME = "time"
    """Read the Time resource and update the clock offset."""
    POST_STATUS = "post_status"
    """PUT DERCapability, DERSettings, DERStatus, DERAvailability."""
    POST_READINGS = "post_readings"
    """Post buffered MirrorUsagePoint readings."""
    FLUSH_OUTBOX = "flush_outbox"
    """Post pending Responses and LogEvents."""
    SUBSCRIBE = "subscribe"
    """Create the subscriptions the server allows."""


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with full-range jitter, bounded.

    Attempt ``n`` (1-based) waits ``min(max_s, initial_s * factor**(n-1))`` scaled by a
    random factor in ``[1 - jitter, 1]``.
    """

    initial_s: float = 1.0
    """Delay after the first failure [s]."""
    max_s: float = 300.0
    """Upper bound of any delay [s]."""
    factor: float = 2.0
    """Growth per failure [unitless]."""
    jitter: float = 0.5
    """Fraction of the delay that is randomised [unitless, 0..1]."""

    def __post_init__(self) -> None:
        if self.initial_s <= 0 or self.max_s < self.initial_s or self.factor < 1:
            raise ValueError("backoff needs 0 < initial_s <= max_s and factor >= 1")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("jitter must be within [0, 1]")

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Delay before retry number ``attempt`` (1 after the first failure) [s]."""
        if attempt < 1:
            raise ValueError("attempt starts at 1")
        # Cap the exponent so a long outage cannot overflow the float.
        base_s = min(self.max_s, self.initial_s * self.factor ** min(attempt - 1, 64))
        return base_s * (1.0 - self.jitter * rng.random())


@dataclass(slots=True)
class JobState:
    """Timing state of one job."""

    rate_s: float
    """Interval between successful runs [s]."""
    due_at: float
    """When the job runs next [s since epoch]."""
    failures: int = 0
    """Consecutive failures; 0 after a success."""
    last_success: float | None = None
    """When the job last succeeded [s since epoch]."""
    enabled: bool = True


@dataclass(slots=True)
class Sep2Schedule:
    """Deadlines of the client's jobs, with backoff on failure.

    Every job is due at construction time (``now``). The runtime asks :meth:`due`, runs
    the jobs, reports :meth:`succeeded` or :meth:`failed`, and sleeps until
    :meth:`next_deadline`.
    """

    now: float
    rates_s: dict[Job, float]
    backoff: Backoff = field(default_factory=Backoff)
    rng: random.Random = field(default_factory=lambda: random.Random(0))  # noqa: S311 - jitter
    jobs: dict[Job, JobState] = field(init=False)

    def __post_init__(self) -> None:
        self.jobs = {
            job: JobState(rate_s=self.rates_s.get(job, 900.0), due_at=self.now) for job in Job
        }

    def set_rate(self, job: Job, rate_s: float) -> None:
        """Adopt a server-set rate (pollRate/postRate) [s], counted from the last success.

        A job in backoff keeps its retry time.
        """
        if rate_s <= 0:
            raise ValueError("rate must be positive")
        state = self.jobs[job]
        state.rate_s = rate_s
        if state.failures == 0 and state.last_success is not None:
            state.due_at = state.last_success + rate_s

    def enable(self, job: Job, enabled: bool) -> None:
        """Switch a job on or off (off jobs are never due)."""
        self.jobs[job].enabled = enabled

    def trigger(self, job: Job, now: float) -> None:
        """Make ``job`` due at ``now`` (a notification arrived, a reading was buffered).

        A job in backoff stays in backoff: a trigger does not defeat the retry bound.
        """
        state = self.jobs[job]
        if state.failures == 0:
            state.due_at = min(state.due_at, now)

    def due(self, now: float) -> list[Job]:
        """Jobs due at ``now``, in declaration order (WALK first: it sets the rates)."""
        return [job for job, s in self.jobs.items() if s.enabled and s.due_at <= now]

    def succeeded(self, job: Job, now: float) -> None:
        """``job`` ran at ``now``; it is due again one rate later."""
        state = self.jobs[job]
        state.failures = 0
        state.last_success = now
        state.due_at = now + state.rate_s

    def failed(self, job: Job, now: float) -> float:
        """``job`` failed at ``now``; returns the backoff delay before its retry [s]."""
        state = self.jobs[job]
        state.failures += 1
        delay_s = self.backoff.delay(state.failures, self.rng)
        # Never wait longer than the job's own rate would have made it wait.
        delay_s = min(delay_s, max(state.rate_s, self.backoff.initial_s))
        state.due_at = now + delay_s
        return delay_s

    def next_deadline(self) -> float | None:
        """The earliest deadline of an enabled job [s since epoch], or None."""
        deadlines = [s.due_at for s in self.jobs.values() if s.enabled]
        return min(deadlines) if deadlines else None
