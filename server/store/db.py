"""Engine and session factory for the head-end store.

One `Store` wraps a SQLAlchemy engine for either SQLite (the embedded default, in WAL mode
with foreign keys on and a busy timeout) or PostgreSQL (psycopg 3, chosen by URL). The schema
is created and upgraded only through the alembic migrations in ``migrations/``
(`upgrade_to_head`), run at start-up.

Sessions are synchronous; async code (the quart routes) calls ``await store.run(fn, ...)``
which runs ``fn(session, ...)`` in a worker thread of the store, so no database wait blocks
the event loop (SQLite reads, short and lock-free in WAL mode, stay on the loop; see
`Store`). One ``call``/``run`` is one transaction: it commits when the function returns
and rolls back when it raises, so a service that changes several rows (and writes their
outbox and audit rows) commits them together; a service commits earlier only where it must.

Every database wait is bounded: connecting (``connect_timeout``), a statement (server-side
``statement_timeout``, and `Store.call_timeout_s` on the whole call, client side), a pool
checkout (``pool_timeout``) and a SQLite lock (``busy_timeout``). A call past its deadline
raises `StoreUnavailableError` at once, and its connection's socket is shut down so the
worker thread is freed and the broken connection leaves the pool: a network partition that
drops packets costs 503s while it lasts, not a wedged server.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from openderms.server.store.errors import StoreConfigError, StoreUnavailableError

__all__ = [
    "MIGRATIONS_DIR",
    "Store",
    "make_engine",
    "normalize_url",
    "upgrade_to_head",
]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

logger = logging.getLogger(__name__)

#: SQLite waits this long for a competing writer before raising "database is locked" [ms];
#: below `DEFAULT_CALL_TIMEOUT_S`, so a lock held by another process is a 503, not a hang.
SQLITE_BUSY_TIMEOUT_MS = 3_000
#: The longest a store call may take before it is abandoned with a 503 [s].
DEFAULT_CALL_TIMEOUT_S = 10.0
#: PostgreSQL connections per process (and threads that use them).
POSTGRES_POOL_SIZE = 10

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


def _owner_only(database: str | None) -> None:
    """Create the SQLite file readable by its owner only (it holds registration PINs).

    SQLite gives the ``-wal`` and ``-shm`` files the mode of the database file, so they
    follow. An existing file loses any group and world permission bits.
    """
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        os.close(descriptor)
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
    except OSError as exc:
        raise StoreConfigError(f"cannot open the database file {path}: {exc}") from exc


def make_engine(
    url: str,
    *,
    schema: str | None = None,
    echo: bool = False,
    timeout_s: float = DEFAULT_CALL_TIMEOUT_S,
) -> Engine:
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
    timeout_s
        PostgreSQL: bound of connecting, of one statement and of a pool checkout [s].
    """
    sa_url = normalize_url(url)
    if sa_url.startswith("sqlite"):
        if schema is not None:
            raise StoreConfigError("a schema applies only to PostgreSQL")
        _owner_only(make_url(sa_url).database)
        engine = create_engine(
            sa_url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    options = f"-c statement_timeout={int(timeout_s * 1000)}"
    in_url = make_url(sa_url).query.get("options")  # e.g. a search_path: keep it
    if in_url:
        options = " ".join([*((in_url,) if isinstance(in_url, str) else in_url), options])
    if schema is not None:
        options += f" -c search_path={schema}"
    connect_args: dict[str, Any] = {
        "options": options,
        # libpq: the whole connection attempt, startup and authentication included [s].
        "connect_timeout": max(2, int(timeout_s)),
        # A peer that stops answering (packets dropped) is found by TCP itself too.
        "keepalives": 1,
        "keepalives_idle": max(1, int(timeout_s)),
        "keepalives_interval": 2,
        "keepalives_count": 3,
        "tcp_user_timeout": int(timeout_s * 1000),
    }
    # No pre-ping: it costs a round trip per checkout on the poll path; recycling old
    # connections, dropping broken ones (`Store`) and the retry of a failed request
    # cover a restarted or partitioned database.
    return create_engine(
        sa_url,
        echo=echo,
        pool_recycle=1800,
        pool_size=POSTGRES_POOL_SIZE,
        pool_timeout=timeout_s,
        connect_args=connect_args,
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


class _HeldConnections:
    """Which DB-API connections each thread has checked out of the pool right now."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_thread: dict[int, list[Any]] = {}

    def checked_out(self, dbapi_connection: Any, *_: Any) -> None:
        with self._lock:
            self._by_thread.setdefault(threading.get_ident(), []).append(dbapi_connection)

    def checked_in(self, dbapi_connection: Any, *_: Any) -> None:
        with self._lock:
            for held in self._by_thread.values():
                if dbapi_connection in held:
                    held.remove(dbapi_connection)

    def of_thread(self, thread_id: int) -> list[Any]:
        with self._lock:
            return list(self._by_thread.get(thread_id, ()))


def _break_connection(dbapi_connection: Any) -> None:
    """Wake a thread blocked on this connection: its next read fails at once.

    psycopg: shut the socket down (a blocked ``poll``/``recv`` returns; libpq reports the
    connection lost, SQLAlchemy drops it from the pool). sqlite3: interrupt the statement.
    """
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is not None:
        with contextlib.suppress(Exception):
            duplicate = socket.socket(fileno=os.dup(pgconn.socket))
            try:
                duplicate.shutdown(socket.SHUT_RDWR)
            finally:
                duplicate.close()
        return
    interrupt = getattr(dbapi_connection, "interrupt", None)
    if interrupt is not None:
        with contextlib.suppress(Exception):
            interrupt()


#: Errors of a database that is away, locked or too slow (not of a bad request).
_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)


def _consume(future: asyncio.Future[Any]) -> None:
    # An abandoned call still ends (with the error its broken connection raised).
    if not future.cancelled():
        future.exception()


class Store:
    """The database of one head-end: an engine plus a session factory.

    Parameters
    ----------
    engine
        From `make_engine`. The schema must be at ``head`` (see `Store.open`).
    inline
        Run read-only calls on the event loop instead of a worker thread; default True
        for SQLite (short CPU-bound reads that never wait for a lock in WAL mode; handing
        the GIL to a thread per poll starves the loop: benchmarks/bench_server_poll.py),
        False for PostgreSQL (network waits). Calls that write always use a thread: they
        may wait for a lock.
    call_timeout_s
        The most one `run`/`run_read` may take [s]; then it raises
        `StoreUnavailableError` and its connection is broken off.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        inline: bool | None = None,
        call_timeout_s: float = DEFAULT_CALL_TIMEOUT_S,
    ) -> None:
        self.engine = engine
        self.call_timeout_s = call_timeout_s
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
        self.inline = (engine.dialect.name == "sqlite") if inline is None else inline
        # SQLite has one writer at a time anyway; PostgreSQL one thread per pooled
        # connection. A store's own threads: a wedged call cannot take others' threads.
        workers = 1 if engine.dialect.name == "sqlite" else POSTGRES_POOL_SIZE
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="openderms-store")
        self._held = _HeldConnections()
        event.listen(engine, "checkout", self._held.checked_out)
        event.listen(engine, "checkin", self._held.checked_in)

    @classmethod
    def open(
        cls,
        url: str,
        *,
        schema: str | None = None,
        migrate: bool = True,
        inline: bool | None = None,
        call_timeout_s: float = DEFAULT_CALL_TIMEOUT_S,
    ) -> Store:
        """Open the database at `url` and (by default) upgrade it to the latest schema.

        Parameters
        ----------
        inline
            See `Store`.
        call_timeout_s
            See `Store`; also bounds connecting and each statement on PostgreSQL.
        """
        engine = make_engine(url, schema=schema, timeout_s=call_timeout_s)
        if migrate:
            upgrade_to_head(engine)
        return cls(engine, inline=inline, call_timeout_s=call_timeout_s)

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
        """Run ``fn(session, *args, **kwargs)`` in one transaction (synchronously).

        Committed when ``fn`` returns; rolled back when it raises.
        """
        with self.session() as session:
            result = fn(session, *args, **kwargs)
            session.commit()
            return result

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
        """Like `run` with an autocommit session, for services that only read.

        Raises
        ------
        StoreUnavailableError
            The database is away, locked or did not answer within `call_timeout_s`.
        """
        if self.inline:
            try:
                return self.call_read(fn, *args, **kwargs)
            except _UNAVAILABLE as exc:
                raise StoreUnavailableError(str(exc).splitlines()[0]) from exc
        return await self._in_thread(functools.partial(self.call_read, fn, *args, **kwargs))

    async def run(
        self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(session, *args, **kwargs)`` with a fresh session in a store thread.

        Raises
        ------
        StoreUnavailableError
            The database is away, locked or did not answer within `call_timeout_s`.
        """
        return await self._in_thread(functools.partial(self.call, fn, *args, **kwargs))

    async def _in_thread(self, work: Callable[[], T]) -> T:
        thread: list[int] = []

        def in_thread() -> T:
            thread.append(threading.get_ident())
            return work()

        future = asyncio.get_running_loop().run_in_executor(self._executor, in_thread)
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.call_timeout_s)
        except TimeoutError:
            if not thread:
                future.cancel()  # still queued: it never runs
            future.add_done_callback(_consume)
            for connection in self._held.of_thread(thread[0]) if thread else ():
                _break_connection(connection)
            logger.warning("store call abandoned after %.1f s", self.call_timeout_s)
            raise StoreUnavailableError(
                f"the database did not answer within {self.call_timeout_s:g} s"
            ) from None
        except _UNAVAILABLE as exc:
            raise StoreUnavailableError(str(exc).splitlines()[0]) from exc

    def dispose(self) -> None:
        """Close every pooled connection and the store's threads."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.engine.dispose()
