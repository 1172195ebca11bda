"""Retry schedule of notification delivery (pure)."""

from __future__ import annotations

import random

import pytest

from openderms.server.notify.backoff import PeerBackoff, RetryPolicy, is_retryable_status, peer_of


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


def test_peer_is_backed_off_after_threshold_failures_in_a_row_and_cleared_by_a_success() -> None:
    peers = PeerBackoff(policy=RetryPolicy(base_delay_s=10, max_delay_s=40), threshold=3)
    rng = random.Random(1)
    peer = peer_of("https://10.0.0.7:8443/notify")
    peers.failed(peer, 100.0, rng)
    peers.failed(peer, 101.0, rng)
    assert peers.blocked_until(peer, 101.0) is None  # two failures: still tried
    peers.failed(peer, 102.0, rng)
    until = peers.blocked_until(peer, 102.0)
    assert until is not None and 107.0 <= until <= 112.0  # first step: 10 s, equal jitter
    assert peers.blocked_until(peer, until) is None  # the probe after the block
    peers.failed(peer, until, rng)
    second = peers.blocked_until(peer, until)
    assert second is not None and until + 10.0 <= second <= until + 20.0  # doubled
    peers.succeeded(peer)
    assert (peers.failures(peer), peers.blocked_until(peer, until)) == (0, None)
    assert peers.failures(peer_of("https://10.0.0.8:8443/")) == 0  # peers are independent


def test_peer_backoff_remembers_at_most_max_peers() -> None:
    peers = PeerBackoff(threshold=1, max_peers=2)
    rng = random.Random(2)
    for host in ("a", "b", "c"):
        peers.failed(peer_of(f"https://{host}/n"), 0.0, rng)
    assert [peers.failures(peer_of(f"https://{h}/n")) for h in "abc"] == [0, 1, 1]


def test_peer_of_is_the_origin_with_its_default_port() -> None:
    assert peer_of("https://Host.Example/n?x=1") == "https://host.example:443"
    assert peer_of("http://127.0.0.1:9000/a/b") == "http://127.0.0.1:9000"
