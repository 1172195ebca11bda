"""Engine and session factory for the head-end store.

One `Store` wraps a SQLAlchemy engine for either SQLite (the embedded default, in WAL mode
with foreign keys on and a busy timeout) or PostgreSQL (psycopg 3, chosen by URL). The schema
is created and upgraded only through the alembic migrations in ``migrations/``
(`upgrade_to_head`), run at start-up.

Sessions are synchronous; async code (the quart routes) calls ``await store.run(fn, ...)``
which runs ``fn(session, ...)`` in a worker thread (PostgreSQL: network waits never block
the event loop) or directly on the loop (SQLite: short local calls, see `Store`).
Services own the transaction: they call ``session.commit()`` themselves.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from openderms.server.store.errors import StoreConfigError

__all__ = [
    "MIGRATIONS_DIR",
    "Store",
    "make_engine",
    "normalize_url",
    "upgrade_to_head",
]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

#: SQLite waits this long for a competing writer before raising "database is locked" [ms].
SQLITE_BUSY_TIMEOUT_MS = 10_000

P = ParamSpec("P")
T = TypeVar("T")


def normalize_url(url: str) -> str:
    """Return a SQLAlchemy URL; ``postgresql://`` selects the psycopg 3 driver.

    Parameters
    ----------
    url
        ``sqlite:///path.db``, a bare file path (taken as SQLite), or ``postgresql://...``.
    """
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith(("sqlite:", "postgresql+psycopg:")):
        return url
    if "://" in url:
        raise StoreConfigError(f"unsupported database URL scheme: {url.split('://', 1)[0]}")
    return f"sqlite:///{url}"


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:  # DB-API objects: Any
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside one writer; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, *, schema: str | None = None, echo: bool = False) -> Engine:
    """Create an engine for `url` with the settings this store relies on.

    Parameters
    ----------
    url
        Database URL (see `normalize_url`).
    schema
        PostgreSQL only: a schema to put first on the ``search_path`` (tests isolate
        themselves in a fresh schema).
    echo
        Log every SQL statement.
    """
    sa_url = normalize_url(url)
    if sa_url.startswith("sqlite"):
        if schema is not None:
            raise StoreConfigError("a schema applies only to PostgreSQL")
        engine = create_engine(
            sa_url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    connect_args: dict[str, Any] = {}
    if schema is not None:
        connect_args["options"] = f"-c search_path={schema}"
    # No pre-ping: it costs a round trip per checkout on the poll path; recycling old
    # connections and the retry of a failed request cover a restarted database.
    return create_engine(
        sa_url, echo=echo, pool_recycle=1800, pool_size=10, connect_args=connect_args
    )


def upgrade_to_head(engine: Engine) -> None:
    """Run the alembic migrations up to ``head`` on `engine` (idempotent)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class Store:
    """The database of one head-end: an engine plus a session factory.

    Parameters
    ----------
    engine
        From `make_engine`. The schema must be at ``head`` (see `Store.open`).
    """

    def __init__(self, engine: Engine, *, inline: bool | None = None) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, class_=Session, expire_on_commit=False)
        # Reads need no transaction of their own: autocommit saves PostgreSQL the BEGIN and
        # ROLLBACK round trips of every poll (each statement still sees a consistent state).
        # On SQLite switching the isolation level per checkout costs more than it saves.
        self._read_sessions = (
            self._sessions
            if engine.dialect.name == "sqlite"
            else sessionmaker(
                engine.execution_options(isolation_level="AUTOCOMMIT"),
                class_=Session,
                expire_on_commit=False,
            )
        )
        # SQLite calls are short CPU-bound work in this process: running them on the event
        # loop avoids handing the GIL back and forth with worker threads, which starves the
        # loop under many connections (measured: benchmarks/bench_server_poll.py).
        # PostgreSQL calls wait on the network, so they go to worker threads.
        self.inline = (engine.dialect.name == "sqlite") if inline is None else inline

    @classmethod
    def open(
        cls,
        url: str,
        *,
        schema: str | None = None,
        migrate: bool = True,
        inline: bool | None = None,
    ) -> Store:
        """Open the database at `url` and (by default) upgrade it to the latest schema.

        Parameters
        ----------
        inline
            Make `run` call services on the event loop instead of a worker thread;
            default: True for SQLite, False for PostgreSQL.
        """
        engine = make_engine(url, schema=schema)
        if migrate:
            upgrade_to_head(engine)
        return cls(engine, inline=inline)

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that is closed (rolling back anything uncommitted) on exit."""
        session = self._sessions()
        try:
            yield session
        finally:
            session.close()

    def call(
        self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(session, *args, **kwargs)`` with a fresh session (synchronously)."""
        with self.session() as session:
            return fn(session, *args, **kwargs)

    def call_read(
        self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Like `call`, for services that only read (autocommit on PostgreSQL)."""
        session = self._read_sessions()
        try:
            return fn(session, *args, **kwargs)
        finally:
            session.close()

    async def run_read(
        self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Like `run` with an autocommit session, for services that only read."""
        if self.inline:
            return self.call_read(fn, *args, **kwargs)
        return await asyncio.to_thread(functools.partial(self.call_read, fn, *args, **kwargs))

    async def run(
        self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(session, *args, **kwargs)`` with a fresh session, from async code.

        In a worker thread, or directly when `inline` (see the constructor).
        """
        if self.inline:
            return self.call(fn, *args, **kwargs)
        return await asyncio.to_thread(functools.partial(self.call, fn, *args, **kwargs))

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
