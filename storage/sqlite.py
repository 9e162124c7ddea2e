"""aiosqlite, with statements run on the event loop's own thread whenever they cannot wait
(issue 13).

aiosqlite runs every call on the connection's own thread. Each call is a trip to that thread
and back through the event loop (a queue put, a thread wake-up, a call_soon_threadsafe, a loop
wake-up), and the trips, not SQLite, were most of a statement's cost: an empty read
transaction cost 0.25-0.35 ms of CPU, against 10-50 us for SQLite's own work on the shop's
statements. So:

- A cursor is opened by its first statement, which fetches its rows at once; the rows are
  handed out from memory, and closing is left to the garbage collector (a finished sqlite3
  statement holds no lock). SQLAlchemy's four calls per statement are one.
- What never waits runs right here, without a trip: BEGIN (a read, in WAL mode, takes no
  lock), every SELECT, and every statement of a transaction that already holds the write
  lock (BEGIN IMMEDIATE), and ROLLBACK. In this process writers queue on
  `storage.db.WriteLock` before BEGIN IMMEDIATE, so only another process can hold the lock.
- What may wait goes to the thread: BEGIN IMMEDIATE is tried here with busy_timeout 0 and,
  only if another process holds the lock, waits on the thread; COMMIT always goes there (it
  may checkpoint the WAL, which writes and syncs the database file).
- Nothing holds the loop for long: a SELECT that runs past INLINE_BUDGET_S of CPU is stopped
  by SQLite's progress handler (a read leaves nothing to undo) and runs again on the thread;
  a write can't be stopped halfway, so one that took longer than the budget goes to the thread
  from its next time on, as do such reads (the statement texts SQLAlchemy compiles are few).

`Database` (storage/db.py) passes `connect` to SQLAlchemy's aiosqlite dialect as
`async_creator_fn`; the dialect, its types and its SQL are unchanged.
"""

from __future__ import annotations

import asyncio
import enum
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import aiosqlite

# How long a statement may hold the event loop: a read that runs longer is stopped and runs on
# the thread; a write that took longer runs on the thread from its next time on.
INLINE_BUDGET_S = 0.005
PROGRESS_EVERY = 2000  # SQLite virtual-machine steps between looks at the clock


class Cursor(aiosqlite.Cursor):
    """A cursor whose execute also fetches: one trip to the connection's thread."""

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn, None)  # type: ignore[arg-type]  # made on the thread, below
        self._connection = conn
        self._rows: list[Any] = []
        self._arraysize = 1

    def _cursor_here(self) -> sqlite3.Cursor:
        """The sqlite3 cursor, made on the connection's thread (runs there)."""
        if self._cursor is None:
            self._cursor = self._conn._conn.cursor()
        return self._cursor

    def _run(self, sql: str, parameters: Any) -> list[Any]:
        cursor = self._cursor_here()
        cursor.execute(sql, parameters)
        return cursor.fetchall() if cursor.description else []

    def _run_many(self, sql: str, parameters: Any) -> None:
        self._cursor_here().executemany(sql, parameters)

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> Cursor:
        self._rows = await self._connection.run(
            self._run, sql, [] if parameters is None else parameters
        )
        return self

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Cursor:
        self._rows = []
        await self._connection.run(self._run_many, sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        count = self.arraysize if size is None else size
        rows, self._rows = self._rows[:count], self._rows[count:]
        return rows

    async def fetchall(self) -> Sequence[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def close(self) -> None:
        self._rows = []

    @property
    def rowcount(self) -> int:
        return -1 if self._cursor is None else self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return None if self._cursor is None else self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize  # rows are handed out from memory here (fetchmany)

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    @property
    def description(self) -> Any:
        return None if self._cursor is None else self._cursor.description


class Connection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors cost no trip to open or close, and whose
    statements run right here on the event loop's thread whenever they cannot wait (see the
    module's docstring): only what may wait goes to aiosqlite's thread."""

    def __init__(self, connector: Any, iter_chunk_size: int) -> None:
        super().__init__(connector, iter_chunk_size)
        self._writing = False  # inside BEGIN IMMEDIATE: this connection holds the write lock
        self._busy_ms: int | None = None  # the connection's busy_timeout, read once

    def cursor(self) -> Cursor:  # type: ignore[override]
        return Cursor(self)

    async def run(self, fn: Callable[[str, Any], Any], sql: str, parameters: Any) -> Any:
        """Run a statement (`fn(sql, parameters)`) here or on the connection's thread."""
        raw = self._connection
        if not self._running or raw is None:
            raise ValueError("Connection closed")
        kind = _kind(sql)
        if kind is _Kind.READ and sql not in _SLOW:
            return await self._read_here(raw, fn, sql, parameters)
        if kind is _Kind.BEGIN_WRITE:
            result = await self._begin_write(raw, fn, sql, parameters)
            self._writing = True
            return result
        if kind is _Kind.END:
            self._writing = False
            return await self._execute(fn, sql, parameters)  # COMMIT may checkpoint the WAL
        if (kind is _Kind.BEGIN_READ or self._writing) and sql not in _SLOW:
            started = time.thread_time()
            result = fn(sql, parameters)  # under the write lock already, or taking no lock
            if time.thread_time() - started > INLINE_BUDGET_S:
                _remember_slow(sql)
            return result
        # A statement that ran long, or a write outside BEGIN IMMEDIATE (it would take the
        # write lock itself, and may wait for it).
        return await self._execute(fn, sql, parameters)

    async def _begin_write(
        self, raw: sqlite3.Connection, fn: Callable[[str, Any], Any], sql: str, parameters: Any
    ) -> Any:
        """BEGIN IMMEDIATE waits while another process writes (busy_timeout). Tried here
        without waiting first; only if the lock is taken does it wait, on the thread."""
        if self._busy_ms is None:
            self._busy_ms = int(raw.execute("PRAGMA busy_timeout").fetchone()[0])
        raw.execute("PRAGMA busy_timeout=0")
        try:
            return fn(sql, parameters)
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
        finally:
            raw.execute(f"PRAGMA busy_timeout={self._busy_ms}")
        return await self._execute(fn, sql, parameters)

    async def _read_here(
        self, raw: sqlite3.Connection, fn: Callable[[str, Any], Any], sql: str, parameters: Any
    ) -> Any:
        """A read runs here until INLINE_BUDGET_S of CPU is spent; SQLite's progress handler
        stops one that runs longer (a read leaves nothing to undo), and it runs again on the
        thread, as it will from then on. The handler is set for reads run here only: on the
        thread it would take the GIL from the loop every few thousand steps."""
        deadline = time.thread_time() + INLINE_BUDGET_S
        stopped = False

        def progress() -> int:
            nonlocal stopped
            stopped = time.thread_time() > deadline
            return stopped

        raw.set_progress_handler(progress, PROGRESS_EVERY)
        try:
            return fn(sql, parameters)
        except sqlite3.OperationalError:
            if not stopped:
                raise
        finally:
            raw.set_progress_handler(None, 0)
        _remember_slow(sql)
        return await self._execute(fn, sql, parameters)

    async def commit(self) -> None:
        self._writing = False
        await super().commit()  # may checkpoint the WAL: on the thread

    async def rollback(self) -> None:
        self._writing = False
        if self._running and self._connection is not None:
            self._connection.rollback()  # releases locks, writes nothing: never waits
        else:
            await super().rollback()

    def stop(self) -> asyncio.Future[Any] | None:
        """aiosqlite's stop (a failed open, SQLAlchemy terminating a broken connection), which
        nobody awaits: remembered, so `settle` can wait for the thread to finish."""
        future = super().stop()
        if future is not None:
            _STOPPING.add(future)
            future.add_done_callback(_STOPPING.discard)
        return future


# Stops not yet finished by their thread. If the loop closed first, the thread's answer to it
# raised "Event loop is closed" and printed a traceback after a startup error's one line.
_STOPPING: set[asyncio.Future[Any]] = set()
SETTLE_WITHIN_S = 5.0


async def settle() -> None:
    """Wait (at most SETTLE_WITHIN_S) until the connections stopped on this loop have let their
    threads finish; call it after disposing an engine, before the loop may end."""
    loop = asyncio.get_running_loop()
    pending = [f for f in _STOPPING if f.get_loop() is loop and not f.done()]
    if pending:
        await asyncio.wait(pending, timeout=SETTLE_WITHIN_S)


def connect(database: str, **kwargs: Any) -> Connection:
    """Like `aiosqlite.connect` (the connection is opened when awaited)."""

    def connector() -> sqlite3.Connection:
        # Opened on aiosqlite's thread, used from the loop's thread too (never both at once:
        # every call is awaited before the next).
        return sqlite3.connect(database, **{**kwargs, "check_same_thread": False})

    return Connection(connector, 64)


class _Kind(enum.Enum):
    BEGIN_READ = "begin"
    BEGIN_WRITE = "begin immediate"
    END = "commit"
    READ = "select"
    OTHER = "other"


def _kind(sql: str) -> _Kind:
    head = sql[:16].lstrip().upper()
    if head.startswith("SELECT") or head.startswith("WITH"):
        # A WITH may end in a write; a SELECT never does (RETURNING follows a write).
        return _Kind.READ if head.startswith("SELECT") else _Kind.OTHER
    if head.startswith("BEGIN"):
        return (
            _Kind.BEGIN_READ
            if head.rstrip(" ;") in ("BEGIN", "BEGIN DEFERRED")
            else (_Kind.BEGIN_WRITE)
        )
    if head.startswith("COMMIT") or head.startswith("END"):
        return _Kind.END
    return _Kind.OTHER


# Statements that once ran past the budget here, run on the thread from then on (the texts
# SQLAlchemy compiles are few and stable; the set is bounded all the same).
_SLOW: dict[str, None] = {}
_SLOW_KEPT = 512


def _remember_slow(sql: str) -> None:
    _SLOW[sql] = None
    while len(_SLOW) > _SLOW_KEPT:
        del _SLOW[next(iter(_SLOW))]
