"""A code at checkout and on the order: quoting a cart, redeeming at placement (in the order's
transaction), and giving the use back when the order is cancelled or expires."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from domain.orders.model import Order, OrderEvent
from domain.promotions.ports import PromotionsUnitOfWork
from domain.promotions.rules import Discount, PromoError, PromoLine, check_code, normalise_code
from domain.shared import journal
from domain.shared.customers import has_chat

log = logging.getLogger(__name__)


def buyer_phone(customer_id: int, phone: str | None) -> str | None:
    """Who a per-customer limit counts: the customer, or, for the buyers of another sales
    channel who have no Telegram account (one customer row per channel stands for them all,
    domain/channels/), each buyer by the phone of their order."""
    return None if has_chat(customer_id) else phone


async def quote_code(
    uow: PromotionsUnitOfWork,
    code: str,
    lines: list[PromoLine],
    customer_id: int,
    now: datetime,
    *,
    phone: str | None = None,
) -> Discount:
    """The discount `code` gives these lines for this customer now, or PromoError (why not);
    `phone`: the order's, for a buyer without Telegram (see `buyer_phone`)."""
    normal = normalise_code(code)
    promo = await uow.promos.get(normal) if normal else None
    if promo is None or promo.id is None:
        raise PromoError("promo.error.unknown")
    used = await uow.promos.customer_uses(promo.id, customer_id, buyer_phone(customer_id, phone))
    return check_code(promo, lines, now=now, customer_uses=used)


async def redeem_code(
    uow: PromotionsUnitOfWork, discount: Discount, order: Order, now: datetime
) -> None:
    """Take one use of the quoted code for the placed order (one conditional update: with N
    uses left, at most N orders get one however many confirm at once); PromoError if none is
    left."""
    assert order.id is not None
    promo_id = discount.promo_id
    if promo_id is None:
        promo = await uow.promos.get(discount.code)
        if promo is None or promo.id is None:
            raise PromoError("promo.error.unknown")
        promo_id = promo.id
    phone = buyer_phone(order.customer_id, order.phone)
    if not await uow.promos.redeem(promo_id, order.id, order.customer_id, now, phone):
        raise PromoError("promo.error.used_up", code=discount.code)


async def give_use_back(uow: Any, order: Order, event: OrderEvent) -> None:
    """Reaction to a cancelled or expired order: its code's use goes back (once: the
    redemption is marked returned, so a second call changes nothing)."""
    if not order.promo_code or order.id is None:
        return
    promos: PromotionsUnitOfWork = uow
    if await promos.promos.give_back(order.id, event.at):
        journal.note(
            log,
            "order %s gave its use of code %s back",
            order.number,
            order.promo_code,
            order=order.number,
        )
