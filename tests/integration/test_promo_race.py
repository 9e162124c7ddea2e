"""A promo code with N uses left, redeemed by many concurrent confirmations, gives at most N
(issue 16): the redemption is one conditional UPDATE in the order's transaction, so every
other confirmation is refused before anything is placed. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from domain.checkout.ordering import PlacedOrder
from domain.checkout.shop import Shop
from domain.promotions.model import PromoCode, PromoKind
from domain.promotions.rules import PromoNoLongerAppliesError
from storage.db import Database
from storage.tables.orders import OrderRow
from storage.tables.promotions import PromoCodeRow, PromoRedemptionRow
from tests.integration.helpers import count, draft, walk_to_review

CUSTOMERS = 30
USES = 4


async def test_thirty_confirmations_of_a_code_with_four_uses_left_redeem_it_four_times(
    db: Database, shop: Shop, seed
) -> None:
    ids = await seed(draft("TEA", stock=100))
    async with db.uow() as uow:
        await uow.promos.add(
            PromoCode(code="RACE", kind=PromoKind.PERCENT, value=10, currency="USD", max_uses=6)
        )
        await uow.commit()
    async with db.uow() as uow:  # two uses already taken by earlier orders: four left
        await uow.session.execute(PromoCodeRow.__table__.update().values(uses=2))
        await uow.commit()
    at_review = asyncio.Barrier(CUSTOMERS)

    async def customer(customer_id: int) -> PlacedOrder | PromoNoLongerAppliesError:
        try:
            token = await walk_to_review(shop, customer_id, ids["TEA"])
            await shop.have_code(customer_id, token)
            await shop.give_code(customer_id, "race")  # every one of them sees the discount
        except BaseException:
            await at_review.abort()
            raise
        await at_review.wait()
        try:
            return await shop.place_order(customer_id, token)
        except PromoNoLongerAppliesError as refused:
            return refused

    results = await asyncio.wait_for(
        asyncio.gather(*(customer(2000 + n) for n in range(CUSTOMERS))), timeout=90
    )

    placed = [r for r in results if isinstance(r, PlacedOrder)]
    refused = [r for r in results if isinstance(r, PromoNoLongerAppliesError)]
    assert (len(placed), len(refused)) == (USES, CUSTOMERS - USES)
    assert all(p.order.promo_code == "RACE" for p in placed)
    assert all(r.params["reason"] == {"$text": "promo.why.used_up"} for r in refused)
    assert await count(db, select(PromoCodeRow.uses)) == 6
    assert await count(db, select(func.count()).select_from(PromoRedemptionRow)) == USES
    assert await count(db, select(func.count()).select_from(OrderRow)) == USES
    # The refused confirmations placed nothing and lost the code: their checkouts are back at
    # the review without it, at the full total.
    for r in refused:
        assert r.params["total"]["$money"][0] > 0
    winners = {p.order.customer_id for p in placed}
    for customer_id in range(2000, 2000 + CUSTOMERS):
        view = await shop.current_checkout(customer_id)
        if customer_id in winners:
            assert view is None
        else:
            assert view is not None and view.checkout.draft.promo_code is None
            assert view.discount is None


async def test_twenty_concurrent_redemptions_of_four_uses_take_exactly_four(
    db: Database, shop: Shop, seed
) -> None:
    """The conditional UPDATE alone (no check before it): concurrent transactions that all
    read the code with uses left still redeem it at most `max_uses` times."""
    ids = await seed(draft("TEA", stock=100))
    orders = []
    for n in range(20):
        token = await walk_to_review(shop, 3000 + n, ids["TEA"])
        orders.append((await shop.place_order(3000 + n, token)).order)
    async with db.uow() as uow:
        promo_id = await uow.promos.add(
            PromoCode(code="RAW", kind=PromoKind.FIXED, value=100, currency="USD", max_uses=USES)
        )
        await uow.commit()
    start = asyncio.Event()

    async def redeem(order_id: int, customer_id: int) -> bool:
        await start.wait()
        async with db.uow() as uow:
            await uow.promos.get("RAW")  # read first, as a check-then-act would
            ok = await uow.promos.redeem(promo_id, order_id, customer_id, orders[0].created_at)
            await uow.commit()
        return ok

    tasks = [asyncio.create_task(redeem(o.id or 0, o.customer_id)) for o in orders]
    await asyncio.sleep(0)
    start.set()
    results = await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)

    assert results.count(True) == USES and results.count(False) == 20 - USES
    assert await count(db, select(PromoCodeRow.uses)) == USES
    assert await count(db, select(func.count()).select_from(PromoRedemptionRow)) == USES
