"""What the web process's /readyz and /metrics read from the database: cheap queries only
(indexed counts of small, bounded sets), since a scraper calls them every few seconds."""

from __future__ import annotations

from dataclasses import dataclass, field

from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text

from domain.orders.lifecycle import OPEN
from storage.db import Database
from storage.migrate import alembic_config
from storage.tables.inbox import UpdateInboxRow
from storage.tables.orders import OrderRow
from storage.tables.outbox import OutboxRow


def head_revision() -> str:
    """The newest migration this code ships (read from the migration files, once)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def database_revision(db: Database) -> str | None:
    """The migration the database is at (None: no migrations applied). Raises when the
    database does not answer."""
    async with db.engine.connect() as conn:
        exists = await conn.run_sync(lambda sync: sync.dialect.has_table(sync, "alembic_version"))
        if not exists:
            return None
        found = await conn.scalar(text("SELECT version_num FROM alembic_version"))
    return str(found) if found is not None else None


@dataclass
class Gauges:
    """The database's side of /metrics, read at scrape time."""

    outbox_backlog: int = 0
    inbox_pending: int = 0
    open_orders: dict[str, int] = field(default_factory=dict)


async def read_gauges(db: Database) -> Gauges:
    """Outbox rows still to send (the pending partial index), updates kept but not yet
    handled (likewise), and open orders by status (the status index; completed and cancelled
    orders, which grow without end, are not counted here)."""
    pending = OutboxRow.sent_at.is_(None) & OutboxRow.failed_at.is_(None)
    async with db.uow(readonly=True) as uow:
        session = uow.session
        backlog = await session.scalar(select(func.count()).select_from(OutboxRow).where(pending))
        inbox = await session.scalar(
            select(func.count()).select_from(UpdateInboxRow).where(UpdateInboxRow.done_at.is_(None))
        )
        rows = await session.execute(
            select(OrderRow.status, func.count())
            .where(OrderRow.status.in_(sorted(OPEN)))
            .group_by(OrderRow.status)
        )
        by_status = {str(status): int(count) for status, count in rows.all()}
    return Gauges(
        outbox_backlog=int(backlog or 0),
        inbox_pending=int(inbox or 0),
        open_orders={status: by_status.get(status, 0) for status in sorted(OPEN)},
    )
