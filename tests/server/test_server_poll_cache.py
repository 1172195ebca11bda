"""The bounded LRU of encoded DERControlLists."""

from __future__ import annotations

from openderms.server.poll_cache import ControlListSnapshot, PollCache


def _snapshot(valid_until: int) -> ControlListSnapshot:
    return ControlListSnapshot(version=(1, 1, 0, 0), body=b"x", valid_until=valid_until)


def test_entry_expires_at_its_next_transition() -> None:
    cache = PollCache(10)
    cache.put("k", _snapshot(100))
    assert cache.get("k", 99) is not None
    assert cache.get("k", 100) is None


def test_least_recently_used_entry_is_evicted() -> None:
    cache = PollCache(2)
    cache.put("a", _snapshot(100))
    cache.put("b", _snapshot(100))
    cache.get("a", 0)
    cache.put("c", _snapshot(100))
    assert cache.get("b", 0) is None and cache.get("a", 0) is not None and len(cache) == 2


def test_zero_entries_disables_the_cache() -> None:
    cache = PollCache(0)
    cache.put("a", _snapshot(100))
    assert cache.get("a", 0) is None
