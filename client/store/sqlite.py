"""The gateway's local store, in one SQLite file (WAL).

It keeps what a gateway restart or a comms loss must not lose:

- the schedule last fetched (the 2030.5 documents, exactly as the server sent them), so a
  restarted gateway keeps running the controls it holds while the server is unreachable;
- measurement samples (SI, per device and for the connection point) not yet posted, so
  readings taken during a comms loss are posted when
  contact returns (bounded: the oldest are dropped first when the buffer is full);
- an outbox of Responses and LogEvents not yet delivered;
- small facts (registration hrefs, mirror hrefs, the clock offset) as JSON values.

Calls are short synchronous transactions; the runtime calls them between awaits.
Times are passed in.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openderms.client.readings import Sample
from openderms.client.store.errors import StoreError

__all__ = ["GatewayStore", "OutboxItem", "ScheduleDocument"]

log = logging.getLogger(__name__)

# Schema migrations, applied in order; PRAGMA user_version counts those applied.
_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE schedule (
        ordinal INTEGER PRIMARY KEY,
        program_href TEXT NOT NULL,
        role TEXT NOT NULL,
        body BLOB NOT NULL
    );
    CREATE TABLE samples (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        mirror TEXT NOT NULL,
        time_s REAL NOT NULL,
        body TEXT NOT NULL
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        target TEXT NOT NULL,
        body BLOB NOT NULL,
        created_s REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0
    );
    """,
    # Samples are protocol-neutral: keyed by device ("" for the connection point), no
    # longer by 2030.5 mirror name ("site", "der:<name>").
    """
    ALTER TABLE samples RENAME COLUMN mirror TO device;
    UPDATE samples SET device = '' WHERE device = 'site';
    UPDATE samples SET device = substr(device, 5) WHERE device LIKE 'der:%';
    """,
)
_CONNECTION_POINT = ""
"""The ``device`` column of the connection point's samples."""


@dataclass(frozen=True, slots=True)
class ScheduleDocument:
    """One 2030.5 document of the held schedule."""

    program_href: str
    role: str
    """``"program"``, ``"control"``, ``"active"`` (an ActiveDERControlList member) or
    ``"default"``."""
    body: bytes
    """The XML as the server sent it (re-decoded through the codec on load)."""


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A message waiting to be POSTed."""

    id: int
    kind: str
    """``"response"`` or ``"log_event"``."""
    target: str
    """Href to POST to."""
    body: bytes
    created_s: float
    attempts: int


class GatewayStore:
    """The store. Open with :meth:`open`; close with :meth:`close`.

    Parameters
    ----------
    connection : sqlite3.Connection
    max_samples : int
        Most meter samples kept while they cannot be posted [samples].
    """

    def __init__(self, connection: sqlite3.Connection, *, max_samples: int = 100_000) -> None:
        self._db = connection
        self.max_samples = max_samples

    @classmethod
    def open(cls, path: str | Path, *, max_samples: int = 100_000) -> GatewayStore:
        """Open (creating and migrating) the store at ``path``; ``":memory:"`` for tests."""
        try:
            db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            store = cls(db, max_samples=max_samples)
            store._migrate()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open gateway store {path}: {exc}") from exc
        return store

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def _migrate(self) -> None:
        (version,) = self._db.execute("PRAGMA user_version").fetchone()
        for index, script in enumerate(_MIGRATIONS[version:], start=version + 1):
            with self._transaction():
                for statement in filter(str.strip, script.split(";")):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {index}")

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    # -- small facts -------------------------------------------------------------------

    def get(self, key: str) -> Any:  # Any: a JSON value
        """The JSON value stored under ``key``, or None."""
        row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def put(self, key: str, value: Any) -> None:  # Any: a JSON value
        """Store a JSON value under ``key`` (None deletes it)."""
        if value is None:
            self._db.execute("DELETE FROM kv WHERE key = ?", (key,))
            return
        self._db.execute(
            "INSERT INTO kv (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    # -- the held schedule -------------------------------------------------------------

    def save_schedule(self, documents: Sequence[ScheduleDocument], fetched_at: float) -> None:
        """Replace the held schedule with ``documents`` (one transaction).

        Parameters
        ----------
        documents : sequence of ScheduleDocument
        fetched_at : float
            When the walk that found them finished [s since epoch].
        """
        with self._transaction():
            self._db.execute("DELETE FROM schedule")
            self._db.executemany(
                "INSERT INTO schedule (program_href, role, body) VALUES (?, ?, ?)",
                [(d.program_href, d.role, d.body) for d in documents],
            )
            self._db.execute(
                "INSERT INTO kv (key, value) VALUES ('schedule_fetched_at', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (json.dumps(fetched_at),),
            )

    def load_schedule(self) -> tuple[list[ScheduleDocument], float | None]:
        """The held schedule in the order saved, and when it was fetched."""
        rows = self._db.execute(
            "SELECT program_href, role, body FROM schedule ORDER BY ordinal"
        ).fetchall()
        return [ScheduleDocument(h, r, bytes(b)) for h, r, b in rows], self.get(
            "schedule_fetched_at"
        )

    # -- meter samples -----------------------------------------------------------------

    def add_samples(self, samples: Iterable[Sample]) -> int:
        """Buffer samples; returns how many old samples were dropped to stay bounded."""
        with self._transaction():
            self._db.executemany(
                "INSERT INTO samples (device, time_s, body) VALUES (?, ?, ?)",
                [(_device_key(s.device), s.time_s, json.dumps(s.to_json())) for s in samples],
            )
            (count,) = self._db.execute("SELECT COUNT(*) FROM samples").fetchone()
            excess = int(count) - self.max_samples
            if excess > 0:
                self._db.execute(
                    "DELETE FROM samples WHERE id IN (SELECT id FROM samples ORDER BY id LIMIT ?)",
                    (excess,),
                )
                log.warning("reading buffer full: dropped the %d oldest samples", excess)
        return max(excess, 0)

    def pending_samples(
        self, limit: int, *, exclude_devices: Iterable[str | None] = ()
    ) -> list[tuple[int, Sample]]:
        """The oldest ``limit`` samples not yet posted, with their ids.

        Samples of ``exclude_devices`` (None: the connection point; say, those the server
        refused for now) stay buffered but do not hold back the samples of others.
        """
        excluded = sorted({_device_key(device) for device in exclude_devices})
        marks = ", ".join("?" for _ in excluded)
        where = f"WHERE device NOT IN ({marks}) " if excluded else ""
        rows = self._db.execute(
            f"SELECT id, body FROM samples {where}ORDER BY id LIMIT ?",  # noqa: S608 - only ? marks
            (*excluded, limit),
        ).fetchall()
        return [(int(i), Sample.from_json(json.loads(b))) for i, b in rows]

    def delete_samples(self, ids: Iterable[int]) -> None:
        """Forget samples that were posted."""
        with self._transaction():
            self._db.executemany("DELETE FROM samples WHERE id = ?", [(i,) for i in ids])

    def sample_count(self) -> int:
        """Samples waiting to be posted."""
        (count,) = self._db.execute("SELECT COUNT(*) FROM samples").fetchone()
        return int(count)

    # -- outbox ------------------------------------------------------------------------

    def enqueue(self, kind: str, target: str, body: bytes, now: float) -> int:
        """Queue a message to POST to ``target``; returns its id."""
        cursor = self._db.execute(
            "INSERT INTO outbox (kind, target, body, created_s) VALUES (?, ?, ?, ?)",
            (kind, target, body, now),
        )
        return int(cursor.lastrowid or 0)

    def pending_outbox(self, limit: int) -> list[OutboxItem]:
        """The oldest ``limit`` queued messages."""
        rows = self._db.execute(
            "SELECT id, kind, target, body, created_s, attempts FROM outbox ORDER BY id LIMIT ?",
            (limit,),
        ).fetchall()
        return [OutboxItem(int(i), k, t, bytes(b), float(c), int(a)) for i, k, t, b, c, a in rows]

    def outbox_done(self, item_id: int) -> None:
        """Forget a delivered (or permanently refused) message."""
        self._db.execute("DELETE FROM outbox WHERE id = ?", (item_id,))

    def outbox_attempted(self, item_id: int) -> None:
        """Count a failed delivery attempt."""
        self._db.execute("UPDATE outbox SET attempts = attempts + 1 WHERE id = ?", (item_id,))

    def outbox_count(self) -> int:
        """Messages waiting to be posted."""
        (count,) = self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()
        return int(count)


def _device_key(device: str | None) -> str:
    return _CONNECTION_POINT if device is None else device


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error) in autocommit mode."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
