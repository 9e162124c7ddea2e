"""Orders from other sales channels (domain/channels/): an order by the channel's own id, the
sync's keyset pages, and who an order belongs to (a verified phone, or the channel's row)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.orders.model import Order
from storage.base import dialect_insert, utcnow
from storage.crypto import DataKeys, keys_of
from storage.customers import VERIFIED_PHONE, verified_phone_term
from storage.orders import SqlOrderRepository
from storage.privacy import RotationStats, rewrite_terms
from storage.tables.customers import CustomerRow
from storage.tables.orders import OrderRow


class SqlChannelRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def by_reference(self, channel: str, reference: str) -> Order | None:
        row = await self.s.scalar(
            select(OrderRow).where(
                OrderRow.channel == channel, OrderRow.channel_reference == reference
            )
        )
        return (await SqlOrderRepository(self.s)._entities([row]))[0] if row else None

    async def changed_since(
        self, since: datetime, after: tuple[datetime, int] | None, limit: int
    ) -> list[Order]:
        # A keyset page on ix_orders_updated (updated_at, id): a range scan of `limit` rows
        # wherever the page starts, never OFFSET.
        # The key (updated_at, id) > after is written as a range on updated_at plus a filter
        # that skips only the rows tied at the page's edge: SQLite seeks the index with a
        # plain range but not with a row value next to a second bound (it walked the index
        # from `since`: a page deep in the book cost what OFFSET costs).
        lower = since if after is None else max(since, after[0])
        query = select(OrderRow).where(OrderRow.updated_at >= lower)
        if after is not None:
            query = query.where(or_(OrderRow.updated_at > after[0], OrderRow.id > after[1]))
        rows = await self.s.scalars(query.order_by(OrderRow.updated_at, OrderRow.id).limit(limit))
        return await SqlOrderRepository(self.s)._entities(rows.all())

    async def customer_with_phone(self, phone: str) -> int | None:
        keys = keys_of(self.s)
        terms = keys.terms_for_lookup(VERIFIED_PHONE, phone)
        rows = await self.s.execute(
            select(CustomerRow.id, CustomerRow.verified_phone)
            .where(CustomerRow.verified_phone_term.in_(terms))
            .order_by(CustomerRow.updated_at.desc(), CustomerRow.id.desc())
        )
        for customer_id, stored in rows.all():
            if stored == phone:  # confirmed on the decrypted number
                return int(customer_id)
        return None

    async def ensure_channel_customer(self, customer_id: int, name: str) -> None:
        now = utcnow()
        insert = dialect_insert(self.s)
        await self.s.execute(
            insert(CustomerRow)
            .values(
                id=customer_id,
                first_name=name,
                username=None,
                language_code=None,
                language=None,
                reachable=False,  # no Telegram chat
                optional_messages=False,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["id"])
        )


async def reindex_verified_phones(
    write: Callable[[], Any], keys: DataKeys, batch: int, stats: RotationStats
) -> None:
    """Rewrite every verified phone's blind index term under the first key's index key
    (rotate-keys, after the phones themselves were re-encrypted), `batch` customers per
    write transaction; counted in `stats.values`."""
    await rewrite_terms(
        write,
        batch,
        stats,
        rows=select(CustomerRow.id, CustomerRow.verified_phone).where(
            CustomerRow.verified_phone.is_not(None)
        ),
        key=CustomerRow.id,
        rewrite=lambda customer_id, phone: (
            update(CustomerRow)
            .where(CustomerRow.id == customer_id)
            .values(verified_phone_term=verified_phone_term(keys.term, str(phone)))
        ),
    )
