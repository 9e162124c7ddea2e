"""Marketing on SQLite and PostgreSQL (issue 16): a broadcast to an RFM segment reaches exactly
that segment's customers (skipping those who opted out, counting those who blocked the bot),
batch by batch; units released by an expired order tell the customer waiting for them, in the
expiry's own transaction; and the hook reads the waiting subscriptions by their partial index."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bot.demo.history import seed_history
from domain.catalog.back_in_stock import BACK_IN_STOCK_TEMPLATE
from domain.insight.service import Insight
from domain.marketing.back_in_stock import BackInStock
from domain.marketing.broadcasts import Broadcasts
from domain.marketing.records import BROADCAST_TEMPLATE, BroadcastStatus, Outcome
from domain.reactions import ORDER_FLOW
from domain.shared.clock import FixedClock
from domain.shared.customers import Language
from storage.db import Database
from storage.explain import capture, explain
from storage.tables.customers import CustomerRow
from storage.tables.marketing import BroadcastRecipientRow
from storage.tables.outbox import OutboxRow
from tests.integration.helpers import add_customer, draft, make_order, seed_catalog

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ADMIN_CHAT = -100


async def test_a_segment_broadcast_reaches_that_segment_in_batches(db: Database) -> None:
    await seed_history(db, days=60, customers=30, seed=5, now=NOW, orders_per_day=6, products=3)
    clock = FixedClock(NOW)
    values, _ = await Insight(db, clock, ZoneInfo("UTC")).customers()
    segment = max({v.segment for v in values}, key=lambda s: sum(v.segment == s for v in values))
    members = sorted(v.totals.customer_id for v in values if v.segment == segment)
    assert len(members) >= 3, "the history gives the segment a few customers"
    opted_out, blocked = members[0], members[1]
    async with db.uow() as uow:
        await uow.session.execute(
            update(CustomerRow).where(CustomerRow.id == opted_out).values(optional_messages=False)
        )
        await uow.session.execute(
            update(CustomerRow).where(CustomerRow.id == blocked).values(reachable=False)
        )
        await uow.commit()

    broadcasts = Broadcasts(db, clock, currency="USD", admin_chat_id=ADMIN_CHAT, batch_size=2)
    sizes = {a.audience: a.customers for a in await broadcasts.audiences()}
    assert sizes[segment.value] == len(members)
    await broadcasts.start(ADMIN_CHAT, 1, segment.value)
    await broadcasts.give_message(ADMIN_CHAT, 1, "Hello <i>again</i>", 11, None)
    dialog = await broadcasts.give_product(ADMIN_CHAT, 1, "hist-0001")
    sent = await broadcasts.send(ADMIN_CHAT, 1, dialog.token, Language.EN)
    assert sent.id is not None and sent.audience_count == len(members)

    stats = await broadcasts.fan_out()
    assert (stats.queued, stats.skipped, stats.blocked) == (len(members) - 2, 1, 1)
    assert stats.batches == len(members) // 2 + 1
    assert not await broadcasts.fan_out()
    async with db.uow(readonly=True) as uow:
        queued = sorted(
            (
                await uow.session.scalars(
                    select(OutboxRow.chat_id).where(OutboxRow.template == BROADCAST_TEMPLATE)
                )
            ).all()
        )
        outcomes = dict(
            (
                await uow.session.execute(
                    select(BroadcastRecipientRow.customer_id, BroadcastRecipientRow.outcome)
                )
            ).all()
        )
    assert queued == members[2:]
    assert outcomes == {
        **{c: "queued" for c in members[2:]},
        opted_out: "skipped",
        blocked: "blocked",
    }
    found = await broadcasts.get(sent.id)
    assert found is not None and found.status == BroadcastStatus.DELIVERING
    assert found.pending == len(members) - 2


async def test_an_expired_order_releasing_the_last_units_tells_the_waiting_customer(
    db: Database,
) -> None:
    ids = await seed_catalog(db, draft("TEA", stock=2))
    tea = ids["TEA"]
    for customer_id in (7, 8):
        await add_customer(db, customer_id)
    async with db.uow() as uow:  # customer 8's unpaid order holds both units: sold out
        assert await uow.products.reserve(tea, 2)
        await uow.orders.add(make_order(8, "AAAA-BBBB", product_id=tea, created_at=NOW))
        await uow.commit()
    clock = FixedClock(NOW)
    back = BackInStock(db, clock)
    assert (await back.watch(7, tea)).state.value == "started"

    async with db.uow() as uow:
        order = await uow.orders.get_by_number("AAAA-BBBB")
        assert order is not None
        await ORDER_FLOW.step(uow, order, "expire", actor="job:payments", at=NOW)
        await uow.commit()
    async with db.uow(readonly=True) as uow:
        rows = (
            await uow.session.scalars(
                select(OutboxRow).where(OutboxRow.template == BACK_IN_STOCK_TEMPLATE)
            )
        ).all()
        assert [(r.chat_id, r.params["name"], r.language) for r in rows] == [
            (7, "Product TEA", "en")
        ]
    assert not await back.is_watching(7, tea)


MARKETING_TABLES = {"back_in_stock_subscriptions", "broadcast_recipients", "broadcasts"}


async def test_the_hook_and_the_outcome_counts_read_by_index(db: Database) -> None:
    """The restock hook costs the product's waiting subscribers (the partial index), and a
    broadcast's outcome, finish and card read by key: none reads a marketing table in full."""
    ids = await seed_catalog(db, *(draft(f"P{n}", stock=0) for n in range(3)))
    for customer_id in range(10, 40):
        await add_customer(db, customer_id)
    clock = FixedClock(NOW)
    back = BackInStock(db, clock)
    for customer_id in range(10, 40):
        await back.watch(customer_id, ids[f"P{customer_id % 3}"])
    broadcasts = Broadcasts(db, clock, currency="USD", admin_chat_id=ADMIN_CHAT, batch_size=10)
    await broadcasts.start(ADMIN_CHAT, 1, "all")
    await broadcasts.give_message(ADMIN_CHAT, 1, "Hi", 2, None)
    dialog = await broadcasts.skip_product(ADMIN_CHAT, 1, (await _token(db)))
    sent = await broadcasts.send(ADMIN_CHAT, 1, dialog.token, Language.EN)
    await broadcasts.fan_out()
    assert sent.id is not None

    with capture(db.engine) as captured:
        async with db.uow() as uow:  # rolled back: the plans are what matters
            await uow.products.restock(ids["P0"], 1)
            await uow.stock_watchers.take_waiting([ids["P0"]], NOW)
            await uow.broadcasts.record_outcome(sent.id, 10, Outcome.SENT)
            await uow.broadcasts.finish(sent.id, NOW)
            await uow.broadcasts.get(sent.id)
            await uow.broadcasts.unfinished()
            await uow.broadcasts.customer_ids_after(20, 10)
    prelude = ["SET enable_seqscan = off"] if db.engine.dialect.name == "postgresql" else []
    plans = await explain(db.engine, captured, MARKETING_TABLES, prelude=prelude)
    assert len(plans) >= 6
    read_in_full = [p for p in plans if p.full_scans]
    assert not read_in_full, "\n\n".join(
        " ".join(p.statement.split())[:300] + "\n" + "\n".join(p.lines) for p in read_in_full
    )


async def _token(db: Database) -> str:
    async with db.uow(readonly=True) as uow:
        dialog = await uow.dialogs.get(ADMIN_CHAT, 1)
    assert dialog is not None
    return dialog.token
