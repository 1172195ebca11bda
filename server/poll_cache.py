"""A per-process cache of encoded DERControlLists, validated against the database.

Polling the DERControlList is the hot path of a head-end (every device, every pollRate).
Building it costs a query, mapping and XML encoding; most polls find it unchanged. An
entry holds the encoded document, the program's control *version* read before the rows
(count, highest id, how many cancelled, how many superseded: each change moves one), and
the time it stays valid (the next start of a control, or the next control leaving the list
by retention: the EventStatus and the list derive from time). A hit still runs the access
check and the version query, so a cache never serves what the database no longer says,
and several server processes stay consistent without talking to each other.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

__all__ = ["ControlListSnapshot", "PollCache"]


@dataclass(frozen=True, slots=True)
class ControlListSnapshot:
    """One encoded DERControlList and what it depends on.

    Attributes
    ----------
    version : tuple of int
        The program's control version, read before the rows.
    body : bytes
        The encoded document.
    valid_until : int
        The document may change at this time even without a database change [s].
    """

    version: tuple[int, ...]
    body: bytes
    valid_until: int


class PollCache:
    """A bounded LRU map of snapshots (``max_entries`` 0 disables it)."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, ControlListSnapshot] = OrderedDict()

    def get(self, key: Hashable, now: int) -> ControlListSnapshot | None:
        """The snapshot for `key` if it is still valid at `now` (version not checked)."""
        snapshot = self._entries.get(key)
        if snapshot is None:
            return None
        if now >= snapshot.valid_until:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return snapshot

    def put(self, key: Hashable, snapshot: ControlListSnapshot) -> None:
        if self.max_entries <= 0:
            return
        self._entries[key] = snapshot
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
