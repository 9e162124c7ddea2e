"""Promo codes and their redemptions (issue 16)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.orders.lifecycle import STOCK_COMMITTED
from domain.promotions.model import PromoCode, PromoKind, PromoStats
from domain.shared.errors import DuplicateError
from domain.shared.money import Money
from storage.base import utcnow
from storage.crypto import DataKeys, keys_of
from storage.customers import VERIFIED_PHONE, verified_phone_term
from storage.privacy import RotationStats, rewrite_terms
from storage.tables.orders import OrderRow
from storage.tables.promotions import PromoCodeRow, PromoRedemptionRow, PromoSalesRow

# Paid orders: their money was received (for cash on delivery, once delivered).
PAID = sorted(status.value for status in STOCK_COMMITTED)


# A buyer's phone is indexed as a verified phone is: the whole E.164 number, one term space.
_buyer_term = verified_phone_term


def _ids(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part)


def _text(ids: tuple[int, ...]) -> str:
    return ",".join(str(i) for i in ids)


def _promo(row: PromoCodeRow) -> PromoCode:
    return PromoCode(
        id=row.id,
        code=row.code,
        kind=PromoKind(row.kind),
        value=row.value,
        currency=row.currency,
        min_subtotal=row.min_subtotal_minor,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        max_uses=row.max_uses,
        max_uses_per_customer=row.max_uses_per_customer,
        product_ids=_ids(row.product_ids),
        category_ids=_ids(row.category_ids),
        free_shipping=row.free_shipping,
        paused=row.paused,
        uses=row.uses,
        created_at=row.created_at,
    )


class SqlPromoRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add(self, promo: PromoCode) -> int:
        row = PromoCodeRow(
            code=promo.code,
            kind=promo.kind.value,
            value=promo.value,
            currency=promo.currency,
            min_subtotal_minor=promo.min_subtotal,
            valid_from=promo.valid_from,
            valid_until=promo.valid_until,
            max_uses=promo.max_uses,
            max_uses_per_customer=promo.max_uses_per_customer,
            product_ids=_text(promo.product_ids),
            category_ids=_text(promo.category_ids),
            free_shipping=promo.free_shipping,
            paused=promo.paused,
            uses=promo.uses,
            created_at=promo.created_at or utcnow(),
        )
        try:  # in a SAVEPOINT: a taken code leaves the rest of the unit of work intact
            async with self.s.begin_nested():
                self.s.add(row)
        except IntegrityError as exc:
            raise DuplicateError() from exc
        return row.id

    async def get(self, code: str) -> PromoCode | None:
        row = await self.s.scalar(select(PromoCodeRow).where(PromoCodeRow.code == code))
        return _promo(row) if row is not None else None

    async def get_by_id(self, promo_id: int) -> PromoCode | None:
        row = await self.s.get(PromoCodeRow, promo_id, populate_existing=True)
        return _promo(row) if row is not None else None

    async def list(self) -> list[PromoCode]:
        rows = await self.s.scalars(
            select(PromoCodeRow).order_by(PromoCodeRow.created_at.desc(), PromoCodeRow.id.desc())
        )
        return [_promo(row) for row in rows.all()]

    async def set_paused(self, promo_id: int, paused: bool) -> bool:
        result = await self.s.execute(
            update(PromoCodeRow)
            .where(PromoCodeRow.id == promo_id, PromoCodeRow.paused != paused)
            .values(paused=paused)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def redeem(
        self,
        promo_id: int,
        order_id: int,
        customer_id: int,
        at: datetime,
        phone: str | None = None,
    ) -> bool:
        # One conditional UPDATE: concurrent redemptions of the last use serialise on the row
        # (PostgreSQL re-checks the WHERE after the lock; SQLite has one writer), so with N
        # uses left at most N succeed.
        result = await self.s.execute(
            update(PromoCodeRow)
            .where(
                PromoCodeRow.id == promo_id,
                or_(PromoCodeRow.max_uses.is_(None), PromoCodeRow.uses < PromoCodeRow.max_uses),
            )
            .values(uses=PromoCodeRow.uses + 1)
            .execution_options(synchronize_session=False)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return False
        # No SAVEPOINT: the order is new in this transaction, so its redemption cannot exist
        # yet (a second one for the same order is a bug, refused by the unique order_id).
        self.s.add(
            PromoRedemptionRow(
                promo_id=promo_id,
                order_id=order_id,
                customer_id=customer_id,
                created_at=at,
                buyer_term=None if phone is None else _buyer_term(keys_of(self.s).term, phone),
            )
        )
        try:
            await self.s.flush()
        except IntegrityError as exc:
            raise DuplicateError() from exc
        return True

    async def customer_uses(self, promo_id: int, customer_id: int, phone: str | None = None) -> int:
        if phone is None:
            who = PromoRedemptionRow.customer_id == customer_id
        else:  # the phone's term under every key, while keys rotate
            terms = keys_of(self.s).terms_for_lookup(VERIFIED_PHONE, phone)
            who = PromoRedemptionRow.buyer_term.in_(terms)
        found = await self.s.scalar(
            select(func.count())
            .select_from(PromoRedemptionRow)
            .where(
                PromoRedemptionRow.promo_id == promo_id,
                who,
                PromoRedemptionRow.returned_at.is_(None),
            )
        )
        return int(found or 0)

    async def give_back(self, order_id: int, at: datetime) -> bool:
        promo_id = await self.s.scalar(
            select(PromoRedemptionRow.promo_id).where(
                PromoRedemptionRow.order_id == order_id, PromoRedemptionRow.returned_at.is_(None)
            )
        )
        if promo_id is None:
            return False
        # Conditional too: of two give-backs of one order at once, one marks the row.
        marked = await self.s.execute(
            update(PromoRedemptionRow)
            .where(
                PromoRedemptionRow.order_id == order_id, PromoRedemptionRow.returned_at.is_(None)
            )
            .values(returned_at=at)
            .execution_options(synchronize_session=False)
        )
        if not marked.rowcount:  # type: ignore[attr-defined]
            return False
        await self.s.execute(
            update(PromoCodeRow)
            .where(PromoCodeRow.id == promo_id, PromoCodeRow.uses > 0)
            .values(uses=PromoCodeRow.uses - 1)
            .execution_options(synchronize_session=False)
        )
        return True

    async def stats(self, promo_id: int) -> PromoStats:
        # The code's rows of the promo_sales rollup (one per status its orders are in, kept by
        # storage/rollups.py with each order placed or moved): a code used by 120,000 orders
        # read them all through its redemptions, 300 ms on SQLite (bench/scale.py).
        found = (
            await self.s.execute(
                select(PromoCodeRow.code, PromoCodeRow.currency).where(PromoCodeRow.id == promo_id)
            )
        ).first()
        code, currency = found if found is not None else (None, "XXX")
        rows = (
            await self.s.execute(
                select(
                    PromoSalesRow.status,
                    PromoSalesRow.orders,
                    PromoSalesRow.total_minor,
                    PromoSalesRow.discount_minor,
                ).where(PromoSalesRow.code == code)
            )
        ).all()
        paid = [row for row in rows if row.status in PAID]
        return PromoStats(
            orders=sum(row.orders for row in rows),
            paid_orders=sum(row.orders for row in paid),
            revenue=Money(sum(row.total_minor for row in paid), currency),
            discount=Money(sum(row.discount_minor for row in paid), currency),
        )


async def reindex_promo_buyers(
    write: Callable[[], Any], keys: DataKeys, batch: int, stats: RotationStats
) -> None:
    """Rewrite the buyer terms of redemptions by buyers without Telegram under the first key's
    index key (rotate-keys, after the orders' phones were re-encrypted), from their orders'
    phones, `batch` per write transaction; counted in `stats.values`."""
    await rewrite_terms(
        write,
        batch,
        stats,
        rows=select(PromoRedemptionRow.id, OrderRow.phone)
        .join(OrderRow, OrderRow.id == PromoRedemptionRow.order_id)
        .where(PromoRedemptionRow.buyer_term.is_not(None)),
        key=PromoRedemptionRow.id,
        rewrite=lambda redemption_id, phone: (
            update(PromoRedemptionRow)
            .where(PromoRedemptionRow.id == redemption_id)
            .values(buyer_term=_buyer_term(keys.term, str(phone)))
            .execution_options(synchronize_session=False)
        ),
    )
