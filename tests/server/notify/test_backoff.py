"""Retry schedule of notification delivery (pure)."""

from __future__ import annotations

import random

import pytest

from openderms.server.notify.backoff import RetryPolicy, is_retryable_status


def test_retry_delay_doubles_after_each_failure_within_jitter_bounds() -> None:
    """Step n is base * 2**(n-1); the drawn delay lies in [step/2, step]."""
    policy = RetryPolicy(base_delay_s=2.0, max_delay_s=1000.0, max_attempts=20)
    rng = random.Random(7)
    for failures, step_s in [(1, 2.0), (2, 4.0), (3, 8.0), (6, 64.0)]:
        delays = [policy.delay_s(failures, rng) for _ in range(200)]
        assert min(delays) >= step_s / 2
        assert max(delays) <= step_s
        # jitter really spreads the retries over the upper half of the step
        assert max(delays) - min(delays) > step_s / 4


def test_retry_delay_is_capped_even_after_many_failures() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=30.0, max_attempts=10_000)
    rng = random.Random(1)
    assert all(15.0 <= policy.delay_s(n, rng) <= 30.0 for n in (6, 50, 5000))


def test_retry_delay_replays_with_the_same_seed() -> None:
    policy = RetryPolicy()
    first = [policy.delay_s(n, random.Random(42)) for n in range(1, 6)]
    second = [policy.delay_s(n, random.Random(42)) for n in range(1, 6)]
    assert first == second


def test_policy_gives_up_after_max_attempts() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert not policy.gives_up_after(2)
    assert policy.gives_up_after(3)


@pytest.mark.parametrize(
    ("status", "retry"),
    [
        (500, True),
        (502, True),
        (503, True),
        (408, True),
        (429, True),
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (413, False),
    ],
)
def test_only_transient_http_statuses_are_retried(status: int, retry: bool) -> None:
    assert is_retryable_status(status) is retry


def test_policy_rejects_nonsense_configuration() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(base_delay_s=0)
    with pytest.raises(ValueError):
        RetryPolicy(base_delay_s=10, max_delay_s=5)
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
