"""Marketing's repositories (issue 16): customers waiting for sold-out products, broadcasts and
their recipients."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from sqlalchemy import delete, exists, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.catalog.watch import Watcher
from domain.marketing.records import Broadcast, BroadcastStatus, Outcome, Recipient
from domain.shared.customers import Customer, Language
from storage.base import dialect_insert
from storage.tables.catalog import ProductRow
from storage.tables.customers import CustomerRow
from storage.tables.marketing import BackInStockRow, BroadcastRecipientRow, BroadcastRow
from storage.tables.outbox import OutboxRow

# SQLite allows 32,766 bound parameters; IN lists are cut well below that.
CHUNK = 1000


def _language(language: str | None, language_code: str | None) -> Language:
    return Customer(
        0,
        "",
        language_code=language_code,
        language=Language(language) if language else None,
    ).effective_language


class SqlStockWatchRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def watch(self, customer_id: int, product_id: int, at: datetime) -> bool:
        table = BackInStockRow.__table__
        insert = dialect_insert(self.s)
        # New, or a notified subscription waiting again; one that waits already is left alone
        # (its row is not returned), so a double tap says "already".
        statement = (
            insert(table)
            .values(customer_id=customer_id, product_id=product_id, created_at=at)
            .on_conflict_do_update(
                index_elements=["customer_id", "product_id"],
                set_={"created_at": at, "notified_at": None},
                where=table.c.notified_at.is_not(None),
            )
            .returning(table.c.id)
        )
        return (await self.s.execute(statement)).first() is not None

    async def unwatch(self, customer_id: int, product_id: int) -> bool:
        result = await self.s.execute(
            delete(BackInStockRow).where(
                BackInStockRow.customer_id == customer_id,
                BackInStockRow.product_id == product_id,
                BackInStockRow.notified_at.is_(None),
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def is_watching(self, customer_id: int, product_id: int) -> bool:
        found = await self.s.scalar(
            select(BackInStockRow.id).where(
                BackInStockRow.customer_id == customer_id,
                BackInStockRow.product_id == product_id,
                BackInStockRow.notified_at.is_(None),
            )
        )
        return found is not None

    async def take_waiting(self, product_ids: Collection[int], at: datetime) -> list[Watcher]:
        if not product_ids:
            return []
        on_sale = exists().where(
            ProductRow.id == BackInStockRow.product_id,
            ProductRow.active,
            ProductRow.stock > ProductRow.reserved,
        )
        # One conditional UPDATE over the partial index of waiting rows: the product's
        # waiting subscribers, and nothing at all when nobody waits.
        result = await self.s.execute(
            update(BackInStockRow)
            .where(
                BackInStockRow.product_id.in_(sorted(product_ids)),
                BackInStockRow.notified_at.is_(None),
                on_sale,
            )
            .values(notified_at=at)
            .returning(
                BackInStockRow.id,
                BackInStockRow.customer_id,
                BackInStockRow.product_id,
                BackInStockRow.created_at,
            )
            .execution_options(synchronize_session=False)
        )
        taken = sorted(result.all(), key=lambda row: (row.product_id, row.id))
        if not taken:
            return []
        languages: dict[int, Language] = {}
        ids = sorted({row.customer_id for row in taken})
        for start in range(0, len(ids), CHUNK):
            rows = await self.s.execute(
                select(CustomerRow.id, CustomerRow.language, CustomerRow.language_code).where(
                    CustomerRow.id.in_(ids[start : start + CHUNK])
                )
            )
            for customer_id, language, code in rows.all():
                languages[customer_id] = _language(language, code)
        return [
            Watcher(
                row.customer_id,
                row.product_id,
                row.created_at,
                languages.get(row.customer_id, Language.EN),
            )
            for row in taken
        ]


def _broadcast(row: BroadcastRow) -> Broadcast:
    return Broadcast(
        audience=row.audience,
        text_html=row.text_html,
        photo_file_id=row.photo_file_id,
        product_id=row.product_id,
        language=Language(row.language) if row.language else None,
        created_by=row.created_by,
        created_at=row.created_at,
        id=row.id,
        status=BroadcastStatus(row.status),
        audience_count=row.audience_count,
        cursor=row.cursor,
        fanned_out_at=row.fanned_out_at,
        finished_at=row.finished_at,
        queued=row.queued,
        sent=row.sent,
        failed=row.failed,
        blocked=row.blocked,
        skipped=row.skipped,
        card_chat_id=row.card_chat_id,
        card_message_id=row.card_message_id,
    )


# The broadcast counter each outcome moves.
COUNTERS = {
    Outcome.QUEUED: BroadcastRow.queued,
    Outcome.SENT: BroadcastRow.sent,
    Outcome.FAILED: BroadcastRow.failed,
    Outcome.BLOCKED: BroadcastRow.blocked,
    Outcome.SKIPPED: BroadcastRow.skipped,
}


class SqlBroadcastRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add(self, broadcast: Broadcast) -> int:
        row = BroadcastRow(
            audience=broadcast.audience,
            text_html=broadcast.text_html,
            photo_file_id=broadcast.photo_file_id,
            product_id=broadcast.product_id,
            language=broadcast.language.value if broadcast.language else None,
            created_by=broadcast.created_by,
            created_at=broadcast.created_at,
            status=broadcast.status.value,
            audience_count=broadcast.audience_count,
            cursor=broadcast.cursor,
            queued=0,
            sent=0,
            failed=0,
            blocked=0,
            skipped=0,
        )
        self.s.add(row)
        await self.s.flush()
        return row.id

    async def get(self, broadcast_id: int) -> Broadcast | None:
        row = await self.s.scalar(
            select(BroadcastRow)
            .where(BroadcastRow.id == broadcast_id)
            .execution_options(populate_existing=True)
        )
        return None if row is None else _broadcast(row)

    async def set_card(self, broadcast_id: int, chat_id: int, message_id: int) -> None:
        await self.s.execute(
            update(BroadcastRow)
            .where(BroadcastRow.id == broadcast_id)
            .values(card_chat_id=chat_id, card_message_id=message_id)
            .execution_options(synchronize_session=False)
        )

    async def recent(self, limit: int) -> list[Broadcast]:
        rows = await self.s.scalars(
            select(BroadcastRow).order_by(BroadcastRow.id.desc()).limit(limit)
        )
        return [_broadcast(row) for row in rows.all()]

    async def unfinished(self) -> list[Broadcast]:
        # ix_broadcasts_status: the open ones, not the history.
        rows = await self.s.scalars(
            select(BroadcastRow)
            .where(
                BroadcastRow.status.in_(
                    [BroadcastStatus.FANNING_OUT.value, BroadcastStatus.DELIVERING.value]
                )
            )
            .order_by(BroadcastRow.id)
            .execution_options(populate_existing=True)
        )
        return [_broadcast(row) for row in rows.all()]

    async def customer_count(self) -> int:
        return int(await self.s.scalar(select(func.count()).select_from(CustomerRow)) or 0)

    async def customer_ids_after(self, cursor: int, limit: int) -> list[int]:
        found = await self.s.scalars(
            select(CustomerRow.id)
            .where(CustomerRow.id > cursor)
            .order_by(CustomerRow.id)
            .limit(limit)
        )
        return list(found.all())

    async def recipients(self, customer_ids: Sequence[int]) -> list[Recipient]:
        out: list[Recipient] = []
        ids = sorted(set(customer_ids))
        for start in range(0, len(ids), CHUNK):
            rows = await self.s.execute(
                select(
                    CustomerRow.id,
                    CustomerRow.language,
                    CustomerRow.language_code,
                    CustomerRow.optional_messages,
                    CustomerRow.reachable,
                ).where(CustomerRow.id.in_(ids[start : start + CHUNK]))
            )
            out.extend(
                Recipient(cid, _language(language, code), bool(optional), bool(reachable))
                for cid, language, code, optional, reachable in rows.all()
            )
        return sorted(out, key=lambda r: r.customer_id)

    async def add_recipients(self, broadcast_id: int, outcomes: Mapping[int, Outcome]) -> set[int]:
        if not outcomes:
            return set()
        table = BroadcastRecipientRow.__table__
        insert = dialect_insert(self.s)
        new: set[int] = set()
        items = sorted(outcomes.items())
        for start in range(0, len(items), CHUNK):
            chunk = items[start : start + CHUNK]
            result = await self.s.execute(
                insert(table)
                .values(
                    [
                        {"broadcast_id": broadcast_id, "customer_id": cid, "outcome": o.value}
                        for cid, o in chunk
                    ]
                )
                .on_conflict_do_nothing(index_elements=["broadcast_id", "customer_id"])
                .returning(table.c.customer_id)
            )
            new.update(int(cid) for cid in result.scalars().all())
        return new

    async def advance(
        self,
        broadcast_id: int,
        cursor_from: int,
        cursor_to: int,
        counts: Mapping[Outcome, int],
        fanned_out_at: datetime | None,
    ) -> bool:
        values: dict[str, object] = {"cursor": cursor_to}
        for outcome, n in counts.items():
            if n:
                column = COUNTERS[outcome]
                values[column.key] = column + n
        if fanned_out_at is not None:
            values["fanned_out_at"] = fanned_out_at
            values["status"] = BroadcastStatus.DELIVERING.value
        result = await self.s.execute(
            update(BroadcastRow)
            .where(
                BroadcastRow.id == broadcast_id,
                BroadcastRow.status == BroadcastStatus.FANNING_OUT.value,
                BroadcastRow.cursor == cursor_from,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def record_outcome(self, broadcast_id: int, customer_id: int, outcome: Outcome) -> bool:
        result = await self.s.execute(
            update(BroadcastRecipientRow)
            .where(
                BroadcastRecipientRow.broadcast_id == broadcast_id,
                BroadcastRecipientRow.customer_id == customer_id,
                BroadcastRecipientRow.outcome == Outcome.QUEUED.value,
            )
            .values(outcome=outcome.value)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        column = COUNTERS[outcome]
        await self.s.execute(
            update(BroadcastRow)
            .where(BroadcastRow.id == broadcast_id)
            .values({column.key: column + 1})
            .execution_options(synchronize_session=False)
        )
        return True

    async def settle_stalled(self, broadcast_id: int, at: datetime) -> dict[Outcome, int]:
        # The broadcast's queued recipients (ix_broadcast_recipients_outcome), then their outbox
        # rows by dedupe key and their customers by key, a chunk at a time: the cost is the
        # pending recipients, and it runs only when delivery stalled.
        queued = list(
            (
                await self.s.scalars(
                    select(BroadcastRecipientRow.customer_id).where(
                        BroadcastRecipientRow.broadcast_id == broadcast_id,
                        BroadcastRecipientRow.outcome == Outcome.QUEUED.value,
                    )
                )
            ).all()
        )
        settled: dict[Outcome, list[int]] = {
            Outcome.SENT: [],
            Outcome.FAILED: [],
            Outcome.BLOCKED: [],
        }
        for start in range(0, len(queued), CHUNK):
            chunk = queued[start : start + CHUNK]
            keys = {f"broadcast:{broadcast_id}:{c}": c for c in chunk}
            rows = {
                key: (sent, failed)
                for key, sent, failed in (
                    await self.s.execute(
                        select(OutboxRow.dedupe_key, OutboxRow.sent_at, OutboxRow.failed_at).where(
                            OutboxRow.dedupe_key.in_(list(keys))
                        )
                    )
                ).all()
            }
            unreachable = set(
                (
                    await self.s.scalars(
                        select(CustomerRow.id).where(
                            CustomerRow.id.in_(chunk), CustomerRow.reachable.is_(False)
                        )
                    )
                ).all()
            )
            for key, customer_id in keys.items():
                sent, failed = rows.get(key, (None, at))  # a deleted row: never sent
                if sent is not None:
                    settled[Outcome.SENT].append(customer_id)
                elif failed is not None:
                    settled[Outcome.FAILED].append(customer_id)
                elif customer_id in unreachable:
                    settled[Outcome.BLOCKED].append(customer_id)
        for outcome, ids in settled.items():
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                await self.s.execute(
                    update(BroadcastRecipientRow)
                    .where(
                        BroadcastRecipientRow.broadcast_id == broadcast_id,
                        BroadcastRecipientRow.customer_id.in_(chunk),
                        BroadcastRecipientRow.outcome == Outcome.QUEUED.value,
                    )
                    .values(outcome=outcome.value)
                    .execution_options(synchronize_session=False)
                )
                if outcome == Outcome.BLOCKED:  # held for the customer's return: given up
                    await self.s.execute(
                        update(OutboxRow)
                        .where(
                            OutboxRow.dedupe_key.in_(
                                [f"broadcast:{broadcast_id}:{c}" for c in chunk]
                            ),
                            OutboxRow.sent_at.is_(None),
                            OutboxRow.failed_at.is_(None),
                        )
                        .values(
                            failed_at=at,
                            claimed_until=None,
                            last_error="blocked: broadcast not held",
                        )
                        .execution_options(synchronize_session=False)
                    )
            if ids:
                column = COUNTERS[outcome]
                await self.s.execute(
                    update(BroadcastRow)
                    .where(BroadcastRow.id == broadcast_id)
                    .values({column.key: column + len(ids)})
                    .execution_options(synchronize_session=False)
                )
        return {outcome: len(ids) for outcome, ids in settled.items() if ids}

    async def forget_recipients(self, finished_before: datetime, limit: int) -> int:
        # A done broadcast has no queued recipient left, so no outcome can come for these
        # rows; the primary key (broadcast_id, customer_id) reads just the rows deleted.
        # The done broadcasts are read first and named: as a subquery, PostgreSQL hash-joined
        # them against every recipient row (360,000, 40 ms, with nothing due; bench/scale.py).
        done = list(
            (
                await self.s.scalars(
                    select(BroadcastRow.id).where(
                        BroadcastRow.status == BroadcastStatus.DONE.value,
                        BroadcastRow.finished_at < finished_before,
                    )
                )
            ).all()
        )
        if not done:
            return 0
        old = (
            select(BroadcastRecipientRow.broadcast_id, BroadcastRecipientRow.customer_id)
            .where(BroadcastRecipientRow.broadcast_id.in_(done))
            .limit(limit)
        )
        result = await self.s.execute(
            delete(BroadcastRecipientRow)
            .where(
                tuple_(BroadcastRecipientRow.broadcast_id, BroadcastRecipientRow.customer_id).in_(
                    old
                )
            )
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def finish(self, broadcast_id: int, at: datetime) -> bool:
        result = await self.s.execute(
            update(BroadcastRow)
            .where(
                BroadcastRow.id == broadcast_id,
                BroadcastRow.status == BroadcastStatus.DELIVERING.value,
                # ix_broadcast_recipients_outcome: one probe for a recipient still queued.
                ~exists().where(
                    BroadcastRecipientRow.broadcast_id == broadcast_id,
                    BroadcastRecipientRow.outcome == Outcome.QUEUED.value,
                ),
            )
            .values(status=BroadcastStatus.DONE.value, finished_at=at)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]
