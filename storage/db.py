"""Engine, sessions and the unit of work. SQLite gets WAL, a busy timeout and
BEGIN IMMEDIATE for write transactions; PostgreSQL runs the same code."""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Generic, Self, TypeVar, overload

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from domain.shared.journal import Journal
from storage import rollups, sqlite
from storage.after_sales import SqlAfterSalesRepository
from storage.api import SqlApiKeyRepository, SqlIdempotencyRepository, SqlRateWindowRepository
from storage.base import utcnow
from storage.cart import SqlCartRepository
from storage.catalog import SqlInventoryRepository, SqlProductRepository
from storage.channels import SqlChannelRepository
from storage.checkout import SqlAddressRepository, SqlCheckoutRepository
from storage.crypto import DataKeys, attach_keys, key_file_of, load_or_create_key_file
from storage.customers import SqlCustomerRepository
from storage.inbox import SqlUpdateInbox
from storage.insight import SqlInsightRepository
from storage.marketing import SqlBroadcastRepository, SqlStockWatchRepository
from storage.merchant import SqlBackofficeRepository, SqlDialogRepository
from storage.orders import SqlOrderRepository, SqlSweepRepository
from storage.outbox import SqlOutboxRepository
from storage.payments import SqlPaymentRepository
from storage.privacy import SqlAuditLog, SqlOrderSearch, SqlPersonalData
from storage.promotions import SqlPromoRepository
from storage.restock import SqlRestockRepository
from storage.reviews import SqlReviewRepository
from storage.shipping import SqlShipmentRepository, SqlTrackingRepository
from storage.updates import (
    UpdateAlreadyHandled,
    UpdateClaim,
    claim_update,
    current_claim,
    outside_any_update,
    update_to_check,
    was_handled,
)

log = logging.getLogger(__name__)
R = TypeVar("R")


_READONLY = "orderbot_readonly"
_WRITES = {_READONLY: False}


SQLITE_BUSY_TIMEOUT_S = 30


def is_sqlite(url: str) -> bool:
    """Whether a database URL points at SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine configured for correctness under concurrency on either backend."""
    if is_sqlite(url):
        engine = create_async_engine(
            url,
            echo=echo,
            # One trip to aiosqlite's thread per statement instead of four (storage/sqlite.py).
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "async_creator_fn": sqlite.connect},
            pool_size=5,
            max_overflow=10,
            pool_timeout=60,
            # Every unit of work ends its transaction (commit, or rollback on the way out), so
            # the pool's own rollback on return was one more trip to aiosqlite's thread for
            # nothing.
            pool_reset_on_return=None,
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let us emit BEGIN ourselves (pysqlite would not BEGIN before a SELECT).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            _set_wal(cursor)
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
            # SQLite's lower() folds only A-Z; searches must ignore case in every script.
            dbapi_connection.create_function(
                "lower", 1, lambda s: None if s is None else s.lower(), deterministic=True
            )

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(conn: Any) -> None:
            readonly = conn.get_execution_options().get(_READONLY, False)
            # Straight to the driver's cursor: SQLAlchemy's execution machinery (a context,
            # events, a result) cost more than the BEGIN itself, on every transaction.
            cursor = conn.connection.dbapi_connection.cursor()
            cursor.execute("BEGIN" if readonly else "BEGIN IMMEDIATE")

        return engine
    # No pool_pre_ping: with asyncpg it costs three round trips (BEGIN, ";", ROLLBACK) on every
    # checkout, and a flash sale's orders queue on the product's row while they happen.
    engine = create_async_engine(url, echo=echo, pool_size=10, max_overflow=20)

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _read_only(
        conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        # A read-only unit of work runs in autocommit (see Database): a write in it would be
        # kept at once, where SQLite's rolls back with the transaction. Refused instead.
        if (
            context is not None
            and (context.isinsert or context.isupdate or context.isdelete)
            and conn.get_execution_options().get(_READONLY, False)
        ):
            raise RuntimeError("write in a read-only unit of work")

    @event.listens_for(engine.sync_engine, "checkout")
    def _alive(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        # A connection the server closed (a restart, a terminated backend, an idle timeout) is
        # known to asyncpg as soon as the loop has read the end of its socket: the pool drops
        # it and checks out another, without a round trip (SQLAlchemy's custom pessimistic
        # disconnect handling).
        if dbapi_connection._connection.is_closed():
            raise DisconnectionError("the database server closed this connection")

    return engine


def _set_wal(cursor: Any) -> None:
    """WAL mode, which the file keeps once set. Setting it needs the database to itself, and
    SQLite answers 'database is locked' at once, without waiting for the busy timeout, to a
    process that opens a brand-new database while another one is setting it up (several
    processes starting together on an empty file): try again for up to the busy timeout."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except Exception as exc:  # the adapter's OperationalError
            if "database is locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class WriteLock:
    """This process's SQLite writers, one at a time, first come first served, with a fast lane:
    an urgent writer (the outbox recording that Telegram accepted a message) goes before every
    ordinary writer waiting, so it waits for at most the transaction in progress. The longer a
    sent message stays unrecorded, the likelier a crash in between sends it twice."""

    def __init__(self) -> None:
        self._locked = False
        self._urgent: collections.deque[asyncio.Future[None]] = collections.deque()
        self._normal: collections.deque[asyncio.Future[None]] = collections.deque()

    def locked(self) -> bool:
        return self._locked

    async def acquire(self, *, urgent: bool = False) -> None:
        if not self._locked:
            self._locked = True
            return
        waiter = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._normal
        queue.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed the lock as we were cancelled: pass it on
            elif waiter in queue:
                queue.remove(waiter)
            raise

    def release(self) -> None:
        """Hand the lock to the next waiter (urgent ones first), or free it."""
        for queue in (self._urgent, self._normal):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)
                    return
        self._locked = False


class Database:
    """The shop's database: an engine, a session factory and units of work."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        on_outbox: Callable[[], None] | None = None,
        keys: DataKeys | None = None,
    ) -> None:
        self.url = url
        self.engine = create_engine(url, echo=echo)
        # Personal data's keys (storage/crypto.py): given by the composition root (DATA_KEYS);
        # without them a SQLite file uses the development key kept beside it.
        if keys is None and (key_file := key_file_of(url)) is not None:
            keys = load_or_create_key_file(key_file)[0]
        self.keys = keys
        attach_keys(self.engine, keys)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.on_outbox = on_outbox
        # PostgreSQL: a read-only unit of work runs without BEGIN and ROLLBACK. Under READ
        # COMMITTED (the default, which we keep) each statement sees the data committed before
        # it began, inside a transaction or not, so the two round trips bought nothing; they
        # were 2 of the 5 round trips of a sold-out Confirm in a flash sale (issue 13).
        # SQLite keeps its BEGIN: there a read transaction is one snapshot across statements.
        self._reads: dict[str, object] = {_READONLY: True}
        if not is_sqlite(url):
            self._reads["isolation_level"] = "AUTOCOMMIT"
        # SQLite has one writer at a time. Queueing this process's writers on an asyncio lock
        # hands the write lock over at once instead of leaving SQLite's busy handler to sleep
        # and retry; busy_timeout still covers writers in other processes.
        self.write_lock: WriteLock | None = WriteLock() if is_sqlite(url) else None
        self._writer: asyncio.Task[object] | None = None

    def uow(self, *, readonly: bool = False, urgent: bool = False) -> SqlUnitOfWork:
        """A new unit of work (use it with `async with`); `urgent` writers take SQLite's write
        lock before the ordinary ones waiting (see WriteLock)."""
        return SqlUnitOfWork(self, readonly=readonly, urgent=urgent)

    def urgent_uow(self, *, readonly: bool = False) -> SqlUnitOfWork:
        """A unit of work whose writes go in the fast lane."""
        return SqlUnitOfWork(self, readonly=readonly, urgent=True)

    __call__ = uow

    async def dispose(self) -> None:
        """Close all pooled connections."""
        await self.engine.dispose()


class _Repository(Generic[R]):
    """A unit of work's repository, made on first use (most units of work use two or three of
    the thirty), then kept on the unit of work."""

    def __init__(self, make: Callable[[AsyncSession], R]) -> None:
        self.make = make
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, uow: None, owner: type) -> Self: ...
    @overload
    def __get__(self, uow: SqlUnitOfWork, owner: type) -> R: ...
    def __get__(self, uow: SqlUnitOfWork | None, owner: type) -> R | Self:
        if uow is None:
            return self
        repository = self.make(uow.session)
        uow.__dict__[self.name] = repository  # found before this descriptor from now on
        return repository


class SqlUnitOfWork:
    """One transaction over one session; rolls back unless committed."""

    customers = _Repository(SqlCustomerRepository)
    products = _Repository(SqlProductRepository)
    carts = _Repository(SqlCartRepository)
    addresses = _Repository(SqlAddressRepository)
    checkouts = _Repository(SqlCheckoutRepository)
    orders = _Repository(SqlOrderRepository)
    promos = _Repository(SqlPromoRepository)  # promo codes (issue 16)
    inbox = _Repository(SqlUpdateInbox)  # bot adapter only, not a domain port
    # The HTTP API's records (bot/api/, issue 17): adapter only, not domain ports.
    api_keys = _Repository(SqlApiKeyRepository)
    idempotency = _Repository(SqlIdempotencyRepository)
    api_rates = _Repository(SqlRateWindowRepository)
    outbox = _Repository(SqlOutboxRepository)
    shipments = _Repository(SqlShipmentRepository)
    dialogs = _Repository(SqlDialogRepository)
    inventory = _Repository(SqlInventoryRepository)
    backoffice = _Repository(SqlBackofficeRepository)
    payments = _Repository(SqlPaymentRepository)
    tracking = _Repository(SqlTrackingRepository)  # jobs and tracking
    sweeps = _Repository(SqlSweepRepository)  # jobs and tracking
    after_sales = _Repository(SqlAfterSalesRepository)  # after-sales
    reviews = _Repository(SqlReviewRepository)  # reviews
    insight = _Repository(SqlInsightRepository)  # insight's aggregates
    restocks = _Repository(SqlRestockRepository)  # insight: restock requests
    # marketing (issue 16): who waits for sold-out products; broadcasts and recipients
    stock_watchers = _Repository(SqlStockWatchRepository)
    broadcasts = _Repository(SqlBroadcastRepository)
    audit = _Repository(SqlAuditLog)  # privacy: the audit log
    search = _Repository(SqlOrderSearch)  # privacy: finding orders (/find)
    personal = _Repository(SqlPersonalData)  # privacy: a customer's own data (/mydata)
    channels = _Repository(SqlChannelRepository)  # orders from other sales channels

    def __init__(self, db: Database, *, readonly: bool = False, urgent: bool = False) -> None:
        self._db = db
        self._readonly = readonly
        self._urgent = urgent
        self.session: AsyncSession
        self._journal: Journal | None = None

    async def __aenter__(self) -> Self:
        self._locked = False
        lock = self._db.write_lock
        if lock is not None and not self._readonly:
            task = asyncio.current_task()
            if lock.locked() and self._db._writer is task:
                raise RuntimeError("nested write unit of work in one task would deadlock")
            await lock.acquire(urgent=self._urgent)
            self._db._writer = task
            self._locked = True
        self.session = self._db.sessions()
        self._claim: UpdateClaim | None = None
        try:
            await self.session.connection(
                execution_options=self._db._reads if self._readonly else _WRITES
            )
            await self._check_update()
            if not self._readonly:
                await self._claim_update()
        except BaseException:
            await self.session.close()
            self._unlock()
            raise
        # Business events noted in this transaction are logged once it commits.
        self._journal = None if self._readonly else Journal()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Closing ends the transaction (the connection goes back to the pool rolled back: a
        # read's snapshot or an uncommitted write is let go); an explicit session rollback
        # before it only did the same work twice.
        try:
            await self.session.close()
        finally:
            self._unlock()
            if self._journal is not None:
                self._journal.close()

    async def _check_update(self) -> None:
        """The first transaction of an update's handling, read-only or not, looks for the
        update's row: a second delivery stops before it can answer from the state the first one
        left (a replayed name taken as a bad phone number). The INSERT below is what decides a
        race between two deliveries in flight at once."""
        claim = update_to_check()
        if claim is None:
            return
        if not self._readonly and claim.paused == 0:
            claim.checked = True  # the INSERT that follows is the check: one statement, not two
            return
        if await was_handled(self.session, claim):
            raise UpdateAlreadyHandled(claim.bot_id, claim.update_id)
        claim.checked = True

    async def _claim_update(self) -> None:
        """The first write transaction of an update's handling records the update in this same
        transaction; a second delivery finds the row and stops (storage/updates.py)."""
        claim = current_claim()
        if claim is None:
            return
        if not await claim_update(self.session, claim, utcnow()):
            raise UpdateAlreadyHandled(claim.bot_id, claim.update_id)
        self._claim = claim

    def _unlock(self) -> None:
        if self._locked:
            self._locked = False
            self._db._writer = None
            assert self._db.write_lock is not None
            self._db.write_lock.release()

    async def commit(self) -> None:
        """Make the work permanent; then wake the outbox dispatcher if messages were queued."""
        if self._readonly:
            raise RuntimeError("commit in a read-only unit of work")
        await rollups.apply_pending(self.session)  # the sales rollups' changes, summed
        # PostgreSQL: the outbox's NOTIFY went with the first notification (storage/outbox.py).
        outbox: SqlOutboxRepository | None = self.__dict__.get("outbox")  # used, if at all
        await self.session.commit()
        if self._claim is not None:  # later transactions of this update go ahead
            self._claim.owned, self._claim = True, None
        if self._journal is not None:
            self._journal.committed()
        if outbox is not None and outbox.added and self._db.on_outbox is not None:
            outbox.added = 0
            try:
                with outside_any_update():  # the woken job is not part of this update
                    self._db.on_outbox()
            except Exception:  # a wake-up failing must not undo a commit
                log.exception("outbox wake-up failed")

    async def rollback(self) -> None:
        """Undo everything since the start."""
        rollups.discard_pending(self.session)
        await self.session.rollback()
