"""Scale bench (issue 13): every screen and every sweep with a large order history.

    .venv/bin/python -m bench.scale --orders 200000 [--url postgresql+asyncpg://...] [--plans]
        [--only /audit /reviews comments]

Seeds (once per database) `--orders` orders over 180 days with `--orders / 10` customers,
their lines, events, payments, refunds and blind-index terms (bot/demo/history.py, Core
executemany in chunks), plus one outbox row per order, already sent, half of them to the
admin chat (what a shop's outbox holds after that many orders; INSERT ... SELECT), and a few
rows still owed; and what the features of issues 16 and 17 keep beside that history
(seed_marketing): 40 promo codes, WELCOME10 redeemed by every 10th order; 30 finished
broadcasts, the newest three to every customer; a back-in-stock subscription per customer
(every 100th still waiting); an HTTP API Idempotency-Key per 10th order; and what /reviews and
/audit read (seed_reviews_and_audit): a review per 7th completed order, and about 1.5 audit
entries an order by four admins; and an after-sales request per 40th completed order, about
one in 170 of them still open (seed_after_sales). Then it times, as the repositories run
them for the bot and the HTTP API:

- the customer's screens (product card and its review comments, a rarely sold product's
  comments, a sold-out card with Notify me, category page, My orders, /order N, cart, My
  requests), the
  admin's (/orders all, page 500, the orders to ship, an order, /find by phone, /audit: the
  latest, page 500, an order's, the best seller's, one admin's and its page 500; /reviews:
  all, low, the best seller's and a rarely sold product's, each first and deep by key;
  /aftersales with its counts, the orders with a request open, an order's requests;
  /promo WELCOME10, /promos, /broadcasts, a broadcast's card) and the HTTP
  API's (GET /orders first and mid-book page, GET /products with and without q): p50 and p95
  beside the target (< 20 ms);
- every sweep the jobs table runs over the history (auto-complete, payment expiry and
  reminders, outbox claim and retention, the low-stock report, tracking claim, forgetting
  handled updates, unfinished broadcasts and their recipients' retention, a restock's
  back-in-stock subscribers, the API's Idempotency-Keys and rate windows retention): p50
  beside the target (O(due rows): a few ms);
- `/report month` and `/customers` (targets 2 s and 5 s, issue 18), and /broadcast's audience
  sizes (the same scoring of every customer as /customers).

With `--plans` it prints the plan of every statement each of them sent (storage/explain.py)
and names the history tables read in full. A SQLite file under /tmp is used unless --url
names a database; an existing seed is reused. `--only WORD...` times only the screens and
sweeps whose name has one of the words (no checkout, no insight). Checkout throughput on
this database: run bench/checkout_vs_echo.py with --database-url set to the same URL."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Table, bindparam, func, insert, select, text, update

from bench.insight import BENCH_KEYS
from bot.demo.history import seed_history
from bot.settings import Settings
from domain.after_sales.records import OPEN as AFTER_SALES_OPEN
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import PaymentMethod
from domain.reviews.desk import COMMENTS_ON_CARD, REVIEWS_PAGE
from domain.shared.audit import AuditFilter
from domain.shared.paging import Page, Seek, Toward
from storage.db import Database
from storage.explain import capture, explain
from storage.migrate import upgrade
from storage.tables.audit import AuditRow
from storage.tables.catalog import CategoryRow, ProductRow
from storage.tables.marketing import BroadcastRow
from storage.tables.orders import OrderLineRow, OrderRow
from storage.tables.outbox import OutboxRow
from storage.tables.promotions import PromoCodeRow
from storage.tables.reviews import ReviewRow

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # the API's changed_since when not given
POPULAR_CODE = "WELCOME10"  # redeemed by every 10th order of the history
ADMIN_CHAT = -1001000
SCREEN_TARGET_MS = 20.0
SWEEP_TARGET_MS = 20.0

Call = Callable[[Any], Awaitable[object]]


async def seed(db: Database, orders: int) -> None:
    started = time.perf_counter()
    stats = await seed_history(
        db,
        days=180,
        customers=max(300, orders // 10),
        seed=1,
        now=NOW,
        orders_per_day=orders / 180,
        products=200,
    )
    async with db.uow() as uow:
        s = uow.session
        if not await s.scalar(select(func.count()).select_from(text("outbox"))):
            token = BENCH_KEYS.encrypt("{}")
            chat = f"CASE WHEN id % 2 = 0 THEN {ADMIN_CHAT} ELSE customer_id END"
            await s.execute(
                text(
                    "INSERT INTO outbox (chat_id, template, params, language, buttons, "
                    "dedupe_key, created_at, next_attempt_at, attempts, sent_at) "
                    f"SELECT {chat}, 'bench', :token, NULL, '[]', 'bench:' || id, created_at, "
                    "created_at, 1, created_at FROM orders"
                ),
                {"token": token},
            )
            # a few rows still owed: the admin chat's and ten customers'
            owed = [ADMIN_CHAT] * 5 + [8_001_000_000 + i for i in range(10)]
            connection = await s.connection()
            await connection.execute(
                insert(cast(Table, OutboxRow.__table__)),
                [
                    {
                        "chat_id": chat_id,
                        "template": "bench",
                        "params": {},
                        "buttons": [],
                        "dedupe_key": f"owed:{n}",
                        "created_at": NOW,
                        "next_attempt_at": NOW,
                        "attempts": 0,
                    }
                    for n, chat_id in enumerate(owed)
                ],
            )
            await uow.commit()
    await seed_marketing(db)
    await seed_reviews_and_audit(db)
    await seed_after_sales(db)
    # Tables as a live shop has them: PostgreSQL's autovacuum vacuums and analyzes after
    # inserts (statistics, and the visibility map index-only scans need); the bot never runs
    # ANALYZE on SQLite, so a SQLite shop plans without sqlite_stat1.
    if db.engine.dialect.name == "postgresql":
        async with db.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
    else:
        async with db.engine.connect() as conn:
            await conn.execute(text("DROP TABLE IF EXISTS sqlite_stat1"))
            await conn.commit()
    print(
        f"seed: {stats.orders} orders ({'written' if stats.created else 'reused'}) "
        f"in {time.perf_counter() - started:.1f} s  [{db.engine.dialect.name}]",
        flush=True,
    )


async def seed_marketing(db: Database) -> None:
    """What the features added since the history seeder have over that history (once per
    database): 40 promo codes, the first redeemed by every 10th order; 30 finished
    broadcasts, the newest three to every customer; a back-in-stock subscription per
    customer, notified, and a waiting one per 100th; one HTTP API Idempotency-Key per 10th
    order, kept from the day it was placed (as if the retention job had never run)."""
    started = time.perf_counter()
    async with db.uow() as uow:
        s = uow.session
        seeded = bool(await s.scalar(select(func.count()).select_from(PromoCodeRow)))
    if seeded:
        await _orders_carry_their_codes(db)  # a seed from before promo_sales
        return
    async with db.uow() as uow:
        s = uow.session
        connection = await s.connection()
        await connection.execute(
            insert(cast(Table, PromoCodeRow.__table__)),
            [
                {
                    "code": POPULAR_CODE if n == 0 else f"BENCH{n:02}",
                    "kind": "percent",
                    "value": 10,
                    "currency": "USD",
                    "min_subtotal_minor": 0,
                    "product_ids": "" if n % 4 else "1,2,3",
                    "category_ids": "",
                    "free_shipping": False,
                    "paused": False,
                    "uses": 0,
                    "created_at": NOW - timedelta(days=180 - n),
                }
                for n in range(40)
            ],
        )
        popular = await s.scalar(select(PromoCodeRow.id).where(PromoCodeRow.code == POPULAR_CODE))
        await s.execute(
            text(
                "INSERT INTO promo_redemptions (promo_id, order_id, customer_id, created_at) "
                "SELECT :promo, id, customer_id, created_at FROM orders WHERE id % 10 = 0"
            ),
            {"promo": popular},
        )
        await s.execute(
            text(
                "UPDATE promo_codes SET uses = "
                "(SELECT count(*) FROM promo_redemptions WHERE promo_id = :promo) "
                "WHERE id = :promo"
            ),
            {"promo": popular},
        )
        await connection.execute(
            insert(cast(Table, BroadcastRow.__table__)),
            [
                {
                    "audience": "all",
                    "text_html": f"News {n}",
                    "created_by": 1,
                    "created_at": NOW - timedelta(days=6 * (30 - n)),
                    "status": "done",
                    "audience_count": 0,
                    "cursor": 0,
                    "fanned_out_at": NOW - timedelta(days=6 * (30 - n)),
                    "finished_at": NOW - timedelta(days=6 * (30 - n), hours=-1),
                    "queued": 0,
                    "sent": 0,
                    "failed": 0,
                    "blocked": 0,
                    "skipped": 0,
                }
                for n in range(30)
            ],
        )
        # the newest three (finished 5, 11 and 17 days ago: inside the retention) to everyone
        await s.execute(
            text(
                "INSERT INTO broadcast_recipients (broadcast_id, customer_id, outcome) "
                "SELECT b.id, c.id, 'sent' FROM broadcasts b CROSS JOIN customers c "
                "WHERE b.id > (SELECT max(id) - 3 FROM broadcasts)"
            )
        )
        await s.execute(
            text(
                "INSERT INTO back_in_stock_subscriptions "
                "(customer_id, product_id, created_at, notified_at) "
                "SELECT id, 11 + id % 20, created_at, "
                "CASE WHEN id % 100 = 0 THEN NULL ELSE created_at END FROM customers"
            )
        )
        await s.execute(
            text(
                "INSERT INTO api_idempotency (key_name, idempotency_key, request_hash, "
                "status, created_at) SELECT 'webshop', 'order-' || id, '', 201, created_at "
                "FROM orders WHERE id % 10 = 1"
            )
        )
        await uow.commit()
    await _orders_carry_their_codes(db)
    print(f"seed: marketing, codes and API keys in {time.perf_counter() - started:.1f} s")


AUDIT_ADMINS = 3  # admin:1..3 ship, track and note orders; admin:4 keeps the stock


async def seed_reviews_and_audit(db: Database) -> None:
    """What the admin's /reviews and /audit read beside that history (once per database, each
    one INSERT ... SELECT over it, in time order so ids follow the clock as a shop's do):

    - reviews: one per 7th completed order (about one in 9 orders), rated mostly 4-5 (every
      5th rating 1-2: /reviews low), half with a comment, every 4th answered; orders lean on
      the popular products (the history's Zipf picks), so their reviews do too. The products'
      rating aggregates are set from them, as the bot keeps them.
    - the audit log, about 1.5 entries an order: each shipped order's order_ship and
      order_track by one of three admins, a note on every 5th completed order, each refund,
      and a stock change by a fourth admin for every 40th order line (so on the popular
      products most). Details are one encrypted token (what a page decrypts is the same)."""
    started = time.perf_counter()
    async with db.uow() as uow:
        s = uow.session
        have_reviews = await s.scalar(select(ReviewRow.id).limit(1))
        have_audit = await s.scalar(
            select(AuditRow.id).where(AuditRow.action == "order_ship").limit(1)
        )
        if have_reviews is None:
            await s.execute(
                text(
                    "INSERT INTO reviews (order_id, customer_id, rating, comment, created_at, "
                    "updated_at, reply, replied_at, replied_by) "
                    "SELECT id, customer_id, CASE id % 10 WHEN 0 THEN 1 WHEN 1 THEN 2 "
                    "WHEN 2 THEN 3 WHEN 3 THEN 4 WHEN 4 THEN 4 WHEN 5 THEN 4 ELSE 5 END, "
                    "CASE WHEN id % 2 = 0 THEN :comment END, updated_at, updated_at, "
                    "CASE WHEN id % 4 = 0 THEN :reply END, "
                    "CASE WHEN id % 4 = 0 THEN updated_at END, "
                    "CASE WHEN id % 4 = 0 THEN 'admin:1' END "
                    "FROM orders WHERE status = 'completed' AND id % 7 = 0 "
                    "ORDER BY updated_at, id"
                ),
                {
                    "comment": BENCH_KEYS.encrypt("Arrived quickly, tastes as described."),
                    "reply": BENCH_KEYS.encrypt("Thank you for your review!"),
                },
            )
            await s.execute(  # each listed under its order's products, as the bot lists it
                text(
                    "INSERT INTO review_products (product_id, created_at, review_id) "
                    "SELECT DISTINCT l.product_id, r.created_at, r.id FROM reviews r "
                    "JOIN order_lines l ON l.order_id = r.order_id"
                )
            )
            rated = await s.execute(
                text(
                    "SELECT l.product_id, count(*), sum(r.rating) FROM reviews r "
                    "JOIN order_lines l ON l.order_id = r.order_id GROUP BY l.product_id"
                )
            )
            connection = await s.connection()
            products = cast(Table, ProductRow.__table__)
            await connection.execute(
                update(products)
                .where(products.c.id == bindparam("pid"))
                .values(rating_count=bindparam("n"), rating_sum=bindparam("total")),
                [{"pid": pid, "n": n, "total": total} for pid, n, total in rated.all()],
            )
        if have_audit is None:
            admin = f"'admin:' || (1 + {{}} % {AUDIT_ADMINS})"
            none = "CAST(NULL AS BIGINT)"
            await s.execute(
                text(
                    "INSERT INTO audit_log (actor, action, order_id, product_id, customer_id, "
                    "details, created_at) "
                    "SELECT actor, action, order_id, product_id, NULL, :details, created_at "
                    "FROM ("
                    f"SELECT {admin.format('order_id')} AS actor, 'order_ship' AS action, "
                    f"order_id, {none} AS product_id, created_at, 0 AS n "
                    "FROM order_events WHERE type = 'shipped' "
                    f"UNION ALL SELECT {admin.format('order_id')}, 'order_track', order_id, "
                    f"{none}, created_at, 1 FROM order_events WHERE type = 'shipped' "
                    f"UNION ALL SELECT {admin.format('order_id')}, 'order_note', order_id, "
                    f"{none}, created_at, 2 FROM order_events "
                    "WHERE type = 'completed' AND order_id % 5 = 0 "
                    f"UNION ALL SELECT actor, 'refund', order_id, {none}, created_at, 3 "
                    "FROM refunds "
                    "UNION ALL SELECT 'admin:4', 'product_stock', NULL, l.product_id, "
                    "o.created_at, 4 FROM order_lines l JOIN orders o ON o.id = l.order_id "
                    "WHERE l.id % 40 = 0"
                    ") AS entries ORDER BY created_at, n, order_id"
                ),
                {"details": BENCH_KEYS.encrypt("{}")},
            )
        await uow.commit()
        reviews = await s.scalar(select(func.count()).select_from(ReviewRow))
        entries = await s.scalar(select(func.count()).select_from(AuditRow))
    if have_reviews is None or have_audit is None:
        print(
            f"seed: {reviews:,} reviews, {entries:,} audit entries "
            f"in {time.perf_counter() - started:.1f} s"
        )


async def seed_after_sales(db: Database) -> None:
    """What /aftersales and a customer's requests read beside that history (once per database,
    one INSERT ... SELECT over it, in time order): a request for every 40th completed order,
    of one unit of its first line; nearly all of them settled long ago (closed, every fifth
    declined) and about one in 170 still open (requested, approved, goods received), as a
    shop's requests are. Orders with a request open carry their count, as the bot keeps it."""
    started = time.perf_counter()
    n = "(id / 40)"
    async with db.uow() as uow:
        s = uow.session
        if await s.scalar(text("SELECT id FROM after_sales_requests LIMIT 1")) is not None:
            return
        await s.execute(
            text(
                "INSERT INTO after_sales_requests (number, order_id, customer_id, kind, status, "
                "reason, details, photos, created_at, updated_at) "
                "SELECT 'R-' || id, id, customer_id, "
                f"CASE {n} % 3 WHEN 0 THEN 'return' WHEN 1 THEN 'exchange' ELSE 'repair' END, "
                f"CASE {n} % 500 WHEN 0 THEN 'requested' WHEN 1 THEN 'approved' "
                f"WHEN 2 THEN 'goods_received' ELSE CASE WHEN {n} % 5 = 3 THEN 'declined' "
                "ELSE 'closed' END END, 'defect', :details, '[]', updated_at, updated_at "
                "FROM orders WHERE status = 'completed' AND id % 40 = 0 ORDER BY updated_at, id"
            ),
            {"details": BENCH_KEYS.encrypt("The tin arrived dented.")},
        )
        await s.execute(
            text(
                "INSERT INTO after_sales_lines (request_id, order_line_id, quantity) "
                "SELECT r.id, min(l.id), 1 FROM after_sales_requests r "
                "JOIN order_lines l ON l.order_id = r.order_id GROUP BY r.id"
            )
        )
        open_statuses = "('requested', 'approved', 'goods_received')"
        await s.execute(
            text(
                "UPDATE orders SET after_sales_open = 1 WHERE id IN (SELECT order_id FROM "
                f"after_sales_requests WHERE status IN {open_statuses})"
            )
        )
        await uow.commit()
        made = await s.scalar(text("SELECT count(*) FROM after_sales_requests"))
        still_open = await s.scalar(
            text(f"SELECT count(*) FROM after_sales_requests WHERE status IN {open_statuses}")
        )
    print(
        f"seed: {made:,} after-sales requests ({still_open:,} open) "
        f"in {time.perf_counter() - started:.1f} s"
    )


async def _orders_carry_their_codes(db: Database) -> None:
    """The redeemed orders name their code, as checkout writes them, and the promo_sales
    rollup counts them (what migration 0007 does for a shop's existing orders)."""
    async with db.uow() as uow:
        s = uow.session
        if await s.scalar(text("SELECT count(*) FROM promo_sales")):
            return
        await s.execute(
            text(
                "UPDATE orders SET promo_code = (SELECT c.code FROM promo_redemptions r "
                "JOIN promo_codes c ON c.id = r.promo_id WHERE r.order_id = orders.id) "
                "WHERE id IN (SELECT order_id FROM promo_redemptions)"
            )
        )
        await s.execute(
            text(
                "INSERT INTO promo_sales (code, status, orders, total_minor, discount_minor) "
                "SELECT promo_code, status, count(*), sum(total_minor), sum(discount_minor) "
                "FROM orders WHERE promo_code IS NOT NULL GROUP BY promo_code, status"
            )
        )
        await uow.commit()


async def facts(db: Database) -> dict[str, Any]:
    """Ids the screens look at: the best-selling product, the busiest customer, an order.
    Ten products are brought below their low-stock mark, so the daily report has work."""
    async with db.uow() as uow:
        await uow.session.execute(
            text("UPDATE products SET stock = reserved + 2, low_stock_threshold = 5 WHERE id <= 10")
        )
        await uow.commit()
    async with db.uow(readonly=True) as uow:
        s = uow.session
        product = await s.scalar(
            select(OrderLineRow.product_id)
            .group_by(OrderLineRow.product_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        customer = await s.scalar(
            select(OrderRow.customer_id)
            .group_by(OrderRow.customer_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        order = (
            await s.execute(
                select(OrderRow.id, OrderRow.number, OrderRow.phone)
                .where(OrderRow.customer_id == customer)
                .order_by(OrderRow.id.desc())
                .limit(1)
            )
        ).one()
        category = await s.scalar(text(f"SELECT category_id FROM products WHERE id = {product}"))
        total = int(await s.scalar(select(func.count()).select_from(OrderRow)) or 0)
        middle = (
            await s.execute(
                select(OrderRow.updated_at, OrderRow.id)
                .order_by(OrderRow.updated_at, OrderRow.id)
                .offset(total // 2)
                .limit(1)
            )
        ).one()
        watched = await s.scalar(
            text(
                f"SELECT product_id FROM back_in_stock_subscriptions WHERE customer_id = {customer}"
            )
        )
        broadcast = await s.scalar(select(func.max(BroadcastRow.id)))
        # The last order of /orders all's page 499 (10 a page, newest first): page 500's Next
        # button names it (keyset paging); found once here, with OFFSET, not timed.
        page_499_last = await s.scalar(
            select(OrderRow.id)
            .order_by(OrderRow.created_at.desc(), OrderRow.id.desc())
            .offset(499 * 10 - 1)
            .limit(1)
        )
        audit = await _audit_facts(s)
        reviews = await _review_facts(s, product)
        # After-sales: the customer with most requests, and an order with one open.
        asker = await s.scalar(
            text(
                "SELECT customer_id FROM after_sales_requests GROUP BY customer_id "
                "ORDER BY count(*) DESC, customer_id LIMIT 1"
            )
        )
        asked = await s.scalar(
            text(
                "SELECT order_id FROM after_sales_requests WHERE status = 'requested' "
                "ORDER BY id LIMIT 1"
            )
        )
    async with db.uow() as uow:  # the product the busiest customer asked about is sold out
        await uow.session.execute(
            update(ProductRow).where(ProductRow.id == watched).values(stock=ProductRow.reserved)
        )
        await uow.commit()
    return {
        "product": product,
        "customer": customer,
        "order_id": order[0],
        "number": order[1],
        "phone": order[2],
        "category": category,
        "orders": total,
        "middle": (middle[0], middle[1]),
        "sold_out": watched,
        "broadcast": broadcast,
        "page_499_last": page_499_last,
        "asker": asker,
        "asked_order": asked,
        **audit,
        **reviews,
    }


AUDIT_PAGE = int(Settings.model_fields["page_size"].default)  # /audit's entries a page
DEEP = 500  # the deep pages: the 500th (its key found untimed, with OFFSET)


async def _key_of(session: Any, query: Any, size: int, page: int = DEEP) -> tuple[int, int]:
    """(page number, id) that the Next button of the page before the `page`th (1-based) names:
    its last row. The page is taken nearer when the list is shorter."""
    rows = int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    page = max(2, min(page, (rows - 1) // size + 1))
    key = await session.scalar(query.offset((page - 1) * size - 1).limit(1))
    return page - 1, int(key or 0)


async def _audit_facts(s: Any) -> dict[str, Any]:
    """What /audit is asked: an order with most kinds of entries (a refunded one), the
    best-selling product's SKU, the admin with a third of the log, and the deep pages' keys."""
    refunded = await s.scalar(
        select(AuditRow.order_id).where(AuditRow.action == "refund").order_by(AuditRow.id.desc())
    )
    number = await s.scalar(select(OrderRow.number).where(OrderRow.id == refunded))
    newest = select(AuditRow.id).order_by(AuditRow.id.desc())
    actor = "admin:2"
    return {
        "audit_number": number,
        "audit_actor": actor,
        "audit_deep": await _key_of(s, newest, AUDIT_PAGE),
        "audit_actor_deep": await _key_of(s, newest.where(AuditRow.actor == actor), AUDIT_PAGE),
    }


async def _review_facts(s: Any, product: Any) -> dict[str, Any]:
    """The best-selling product's SKU (most reviews), one rarely sold (the 150th of 200 by
    lines), and the deep pages' keys of /reviews, /reviews low and /reviews SKU."""
    from domain.reviews.records import LOW_RATING

    newest = select(ReviewRow.id).order_by(ReviewRow.created_at.desc(), ReviewRow.id.desc())
    rare = await s.scalar(
        select(OrderLineRow.product_id)
        .group_by(OrderLineRow.product_id)
        .order_by(func.count().desc(), OrderLineRow.product_id)
        .offset(149)
        .limit(1)
    )

    def of(pid: Any) -> Any:
        lines = select(OrderLineRow.order_id).where(OrderLineRow.product_id == pid)
        return newest.where(ReviewRow.order_id.in_(lines))

    skus = dict((await s.execute(select(ProductRow.id, ProductRow.sku))).all())
    return {
        "sku": skus[product],
        "rare_product": rare,
        "rare_sku": skus[rare],
        "reviews_deep": await _key_of(s, newest, REVIEWS_PAGE),
        "reviews_low_deep": await _key_of(
            s, newest.where(ReviewRow.rating <= LOW_RATING), REVIEWS_PAGE
        ),
        "reviews_product_deep": await _key_of(s, of(product), REVIEWS_PAGE),
        "reviews_rare_deep": await _key_of(s, of(rare), REVIEWS_PAGE),
    }


def screens(f: dict[str, Any]) -> list[tuple[str, Call]]:
    to_ship = [OrderStatus.PAID, OrderStatus.CONFIRMED]

    async def order_screen(uow: Any) -> None:
        order = await uow.orders.get_by_number(f["number"])
        await uow.orders.events(order.id)

    async def after_sales_queue(uow: Any) -> None:
        # what /aftersales reads (domain/after_sales/desk.py: queue, counts)
        await uow.after_sales.listing(AFTER_SALES_OPEN, Page(0, 10))
        await uow.after_sales.count_by_status(AFTER_SALES_OPEN)

    async def order_requests(uow: Any) -> None:
        await uow.after_sales.for_order(f["asked_order"])

    async def sold_out_card(uow: Any) -> None:
        await uow.products.get(f["sold_out"])
        await uow.stock_watchers.is_watching(f["customer"], f["sold_out"])

    async def promo_card(uow: Any) -> None:
        # what Promotions.card reads: the code, its figures, the names of its products
        promo = await uow.promos.get(POPULAR_CODE)
        await uow.promos.stats(promo.id)
        for product_id in promo.product_ids:
            await uow.products.get(product_id)

    async def admin_order(uow: Any) -> None:
        order = await uow.orders.get_by_number(f["number"])
        await uow.orders.events(order.id)
        await uow.customers.get(order.customer_id)
        await uow.payments.for_order(order.id)

    return [
        ("customer: product card", lambda uow: uow.products.get(f["product"])),
        (
            "customer: product card's comments",
            lambda uow: uow.reviews.product_comments(f["product"], COMMENTS_ON_CARD),
        ),
        (
            "customer: a rarely sold product's comments",
            lambda uow: uow.reviews.product_comments(f["rare_product"], COMMENTS_ON_CARD),
        ),
        (
            "customer: category page",
            lambda uow: uow.products.in_category(f["category"], Page(0, 8)),
        ),
        (
            "customer: My orders (busiest customer)",
            lambda uow: uow.orders.list_for_customer(f["customer"], Page(0, 5)),
        ),
        ("customer: /order N", order_screen),
        ("customer: cart", lambda uow: uow.carts.get(f["customer"])),
        (
            "admin: /orders all",
            lambda uow: uow.backoffice.orders(None, Page(0, 10), oldest_first=False),
        ),
        (
            "admin: /orders all, page 500",  # its ▶ tapped on page 499, as the bot asks
            lambda uow: uow.backoffice.orders(
                None, Page(499, 10, Seek(f["page_499_last"], Toward.AFTER)), oldest_first=False
            ),
        ),
        (
            "admin: orders to ship",
            lambda uow: uow.backoffice.orders(to_ship, Page(0, 10), oldest_first=True),
        ),
        ("admin: an order", admin_order),
        ("admin: /find by phone", lambda uow: uow.search.orders(f["phone"], 20)),
        ("admin: /aftersales (the open queue, its counts)", after_sales_queue),
        (
            "admin: orders with after-sales open",
            lambda uow: uow.backoffice.orders_with_open(Page(0, 10)),
        ),
        ("admin: an order's after-sales requests", order_requests),
        (
            "customer: My requests (most requests)",
            lambda uow: uow.after_sales.for_customer(f["asker"], Page(0, 5)),
        ),
        ("customer: sold-out card (Notify me)", sold_out_card),
        (f"admin: /promo {POPULAR_CODE} (10 % of orders)", promo_card),
        ("admin: /promos", lambda uow: uow.promos.list()),
        ("admin: /broadcasts", lambda uow: uow.broadcasts.recent(10)),
        ("admin: a broadcast's card", lambda uow: uow.broadcasts.get(f["broadcast"])),
        (
            "API: GET /orders, first page",
            lambda uow: uow.channels.changed_since(EPOCH, None, 100),
        ),
        (
            "API: GET /orders, mid-book page",
            lambda uow: uow.channels.changed_since(EPOCH, f["middle"], 100),
        ),
        *audit_screens(f),
        *review_screens(f),
        ("API: GET /products", lambda uow: uow.products.search("", Page(0, 6))),
        ("API: GET /products?q=", lambda uow: uow.products.search("product", Page(1, 6))),
    ]


def audit_screens(f: dict[str, Any]) -> list[tuple[str, Call]]:
    """/audit as Privacy.audit reads it: the subject looked up, then one page of the log;
    the deep pages as their Next button asks (by the key of the page before's last entry)."""
    everything, of_actor = AuditFilter(), AuditFilter(actor=f["audit_actor"])

    def deep(which: AuditFilter, at: tuple[int, int]) -> Call:
        page = Page(at[0], AUDIT_PAGE, Seek(at[1], Toward.AFTER))
        return lambda uow: uow.audit.latest(page, which)

    async def of_order(uow: Any) -> None:
        order = await uow.orders.get_by_number(f["audit_number"])
        await uow.audit.latest(Page(0, AUDIT_PAGE), AuditFilter(order_id=order.id))

    async def of_product(uow: Any) -> None:
        known = await uow.products.stock_by_sku([f["sku"], f["sku"].upper()])
        product = known[f["sku"]][0]
        await uow.audit.latest(Page(0, AUDIT_PAGE), AuditFilter(product_id=product))

    return [
        ("admin: /audit", lambda uow: uow.audit.latest(Page(0, AUDIT_PAGE), everything)),
        (f"admin: /audit, page {f['audit_deep'][0] + 1}", deep(everything, f["audit_deep"])),
        ("admin: /audit order N", of_order),
        ("admin: /audit product SKU (best seller)", of_product),
        (
            f"admin: /audit admin ID ({f['audit_actor']})",
            lambda uow: uow.audit.latest(Page(0, AUDIT_PAGE), of_actor),
        ),
        (
            f"admin: /audit admin ID, page {f['audit_actor_deep'][0] + 1}",
            deep(of_actor, f["audit_actor_deep"]),
        ),
    ]


def review_screens(f: dict[str, Any]) -> list[tuple[str, Call]]:
    """/reviews as ReviewDesk.review_entries reads it: all, the low ones, the best seller's
    (its SKU looked up as the command does), the first page and a deep one by key."""
    from domain.reviews.records import LOW_RATING

    def first(sku: str | None, low: bool) -> Call:
        async def call(uow: Any) -> None:
            pid = (await uow.products.stock_by_sku([sku]))[sku][0] if sku else None
            await uow.reviews.entries(
                product_id=pid,
                max_rating=LOW_RATING if low else None,
                offset=0,
                limit=REVIEWS_PAGE,
            )

        return call

    def deep(at: tuple[int, int], pid: int | None, low: bool) -> Call:
        page = Page(at[0], REVIEWS_PAGE, Seek(at[1], Toward.AFTER))
        return lambda uow: uow.reviews.entries_near(
            product_id=pid, max_rating=LOW_RATING if low else None, page=page
        )

    result: list[tuple[str, Call]] = []
    for name, sku, pid, low, at in (
        ("/reviews", None, None, False, f["reviews_deep"]),
        ("/reviews low", None, None, True, f["reviews_low_deep"]),
        ("/reviews SKU (best seller)", f["sku"], f["product"], False, f["reviews_product_deep"]),
        (
            "/reviews SKU (rarely sold)",
            f["rare_sku"],
            f["rare_product"],
            False,
            f["reviews_rare_deep"],
        ),
    ):
        result.append((f"admin: {name}", first(sku, low)))
        result.append((f"admin: {name}, page {at[0] + 1}", deep(at, pid, low)))
    return result


def sweeps(f: dict[str, Any]) -> list[tuple[str, Call]]:
    from storage.updates import forget_handled_before

    unpaid = [PaymentMethod.CARD, PaymentMethod.BANK_TRANSFER]
    restocked = 12 if f["sold_out"] != 12 else 13  # on sale, about 50 customers waiting
    result: list[tuple[str, Call]] = [
        (
            "auto-complete: due orders",
            lambda uow: uow.sweeps.due_for_completion(NOW - timedelta(days=7), 50),
        ),
        (
            "payments: due for expiry",
            lambda uow: uow.payments.due_for_expiry(unpaid, NOW - timedelta(hours=24), 50),
        ),
        (
            "payments: due for a reminder",
            lambda uow: uow.payments.due_for_reminder(unpaid, NOW - timedelta(hours=12), 50),
        ),
        ("outbox: claim", lambda uow: uow.outbox.claim_due(NOW, 50, 120.0)),
        ("low-stock report", lambda uow: uow.sweeps.low_stock(NOW - timedelta(days=30), 20)),
        ("tracking: claim", lambda uow: uow.tracking.claim_due(NOW, 50, 60.0)),
        ("broadcasts: unfinished", lambda uow: uow.broadcasts.unfinished()),
        (
            "broadcasts: retention (a batch of 1,000)",
            lambda uow: uow.broadcasts.forget_recipients(NOW - timedelta(days=30), 1000),
        ),
        (
            "back in stock: a restock's waiting",
            lambda uow: uow.stock_watchers.take_waiting([restocked], NOW),
        ),
        (
            "API retention: keys (a batch of 1,000)",
            lambda uow: uow.idempotency.forget_before(NOW - timedelta(hours=24), 1000),
        ),
        (
            "API retention: rate windows",
            lambda uow: uow.api_rates.forget_before(NOW - timedelta(hours=1), 1000),
        ),
        (
            "handled updates: forget",
            lambda uow: forget_handled_before(uow.session, NOW - timedelta(days=2)),
        ),
    ]
    if hasattr(sys.modules["storage.outbox"].SqlOutboxRepository, "forget_done"):
        from jobs.outbox import RETENTION_BATCH  # the job's batch, one transaction each

        result.append(
            (
                f"outbox: retention (a batch of {RETENTION_BATCH:,})",
                lambda uow: uow.outbox.forget_done(
                    NOW - timedelta(days=14), NOW - timedelta(days=30), RETENTION_BATCH
                ),
            )
        )
    return result


async def checkout_journeys(db: Database, product_id: int, runs: int, base: int) -> list[float]:
    """Milliseconds of a customer's whole checkout as its use cases run it (8 transactions:
    the customer, the cart, the checkout's steps, placing the order with its admin alert and
    rollups), each journey by a new customer."""
    from domain.checkout.shop import Shop
    from domain.checkout.shop_base import ShopConfig
    from domain.orders.model import PaymentMethod
    from domain.reactions import ORDER_FLOW
    from domain.shared.clock import SystemClock
    from domain.shared.money import Money

    shop = Shop(
        cast(Any, db),
        SystemClock(),
        ShopConfig(currency="USD", shipping_fee=Money(500, "USD"), admin_chat_id=ADMIN_CHAT),
        flow=ORDER_FLOW,
    )
    timings = []
    for i in range(runs):
        customer = base + i
        started = time.perf_counter()
        await shop.touch_customer(customer, f"Customer {customer}", None, "en")
        await shop.add_to_cart(customer, product_id, 1)
        view = await shop.start_checkout(customer)
        await shop.give_recipient(customer, f"Recipient {customer}")
        await shop.give_phone(customer, "+14155552671", from_contact=False)
        await shop.give_address(customer, f"{customer} Main Street, Springfield")
        await shop.choose_payment(
            customer, view.checkout.token, PaymentMethod.CASH_ON_DELIVERY.value
        )
        await shop.place_order(customer, view.checkout.token)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def timed(db: Database, call: Call, runs: int) -> list[float]:
    """Milliseconds of each run, each in a unit of work that is rolled back (nothing sticks)."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        async with db.uow() as uow:
            await call(uow)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def plans_of(db: Database, call: Call) -> list[Any]:
    with capture(db.engine) as captured:
        async with db.uow() as uow:
            await call(uow)
    return await explain(db.engine, captured)


async def _stocked_product(db: Database, blank: bool = False) -> int:
    """A product with stock to sell: the last one (in a blank shop, one made for the bench)."""
    async with db.uow() as uow:
        s = uow.session
        if blank and not await s.scalar(select(func.count()).select_from(ProductRow)):
            category = await s.scalar(
                insert(CategoryRow).values(name="Bench", position=1).returning(CategoryRow.id)
            )
            await s.execute(
                insert(ProductRow).values(
                    sku="BENCH-1",
                    name="Bench product",
                    category_id=category,
                    description="",
                    price_minor=1500,
                    currency="USD",
                    stock=0,
                    reserved=0,
                    low_stock_threshold=0,
                    active=True,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
        pid = int(await s.scalar(select(func.max(ProductRow.id))) or 0)
        await s.execute(
            update(ProductRow)
            .where(ProductRow.id == pid)
            .values(stock=ProductRow.reserved + 1_000_000)
        )
        await uow.commit()
    return pid


async def main(
    orders: int,
    url: str | None,
    runs: int,
    show_plans: bool,
    empty: str | None = None,
    only: list[str] | None = None,
) -> None:
    url = url or f"sqlite+aiosqlite:////tmp/orderbot_bench_scale_{orders}.db"
    await upgrade(url)
    db = Database(url, keys=BENCH_KEYS)
    await seed(db, orders)
    f = await facts(db)
    print(f"{f['orders']} orders in the database; screens and sweeps, {runs} runs each")
    groups = (("screens", screens(f), SCREEN_TARGET_MS), ("sweeps", sweeps(f), SWEEP_TARGET_MS))
    for title, calls, target in groups:
        if only:
            calls = [(name, call) for name, call in calls if any(w in name for w in only)]
            if not calls:
                continue
        print(f"\n{title}: p50 / p95 ms (target < {target:.0f} ms)")
        for name, call in calls:
            timings = await timed(db, call, runs)
            p50 = statistics.median(timings)
            p95 = sorted(timings)[max(0, round(0.95 * len(timings)) - 1)]
            mark = "ok " if p95 < target else "SLOW"
            line = f"  {mark} {name:<44} {p50:9.1f} / {p95:9.1f}"
            if show_plans or p95 >= target:
                plans = await plans_of(db, call)
                scans = sorted({t for p in plans for t in p.full_scans})
                line += f"   full scans: {', '.join(scans) or 'none'}"
                print(line, flush=True)
                if show_plans:
                    for plan in plans:
                        print("      " + " ".join(plan.statement.split())[:160])
                        for step in plan.lines:
                            print("        " + step)
            else:
                print(line, flush=True)
    if only:
        await db.dispose()
        return
    print("\ncheckout: a whole journey, p50 / p95 ms, beside the same on an empty database")
    empty_url = empty or "sqlite+aiosqlite:////tmp/orderbot_bench_scale_empty.db"
    await upgrade(empty_url)
    blank = Database(empty_url, keys=BENCH_KEYS)
    try:
        shops = {"empty": (blank, await _stocked_product(blank, blank=True))}
        shops["history"] = (db, await _stocked_product(db))
        journeys: dict[str, list[float]] = {name: [] for name in shops}
        base = 8_900_000_000 + int(time.time()) % 100_000 * 1000
        for name, (where, pid) in shops.items():  # warm up: caches, connections
            await checkout_journeys(where, pid, 2, base - 10 - len(name))
        for round_ in range(4):  # alternating, so the machine's noise hits both alike
            for name, (where, pid) in shops.items():
                journeys[name] += await checkout_journeys(
                    where, pid, max(1, runs // 4), base + round_ * 100 + len(journeys[name])
                )
        for name, timings in journeys.items():
            p50 = statistics.median(timings)
            p95 = sorted(timings)[max(0, round(0.95 * len(timings)) - 1)]
            print(f"  {name:<10} {p50:9.1f} / {p95:9.1f}")
        ratio = statistics.median(journeys["empty"]) / statistics.median(journeys["history"])
        print(f"  with the history: {100 * ratio:.0f} % of the empty shop's rate (target >= 90 %)")
    finally:
        await blank.dispose()

    from domain.insight.service import Insight
    from domain.marketing.broadcasts import Broadcasts
    from domain.shared.clock import FixedClock

    insight = Insight(db, FixedClock(NOW), ZoneInfo("UTC"))
    # /broadcast's audience picker scores every customer as /customers does (issue 16)
    broadcasts = Broadcasts(cast(Any, db.uow), FixedClock(NOW), currency="USD", admin_chat_id=None)
    print("\ninsight (issue 18): best / worst of 3, s")
    for name, target_s, run in (
        ("/report month", 2.0, lambda: insight.report(["month"])),
        ("/customers", 5.0, insight.customers),
        ("/broadcast (sizes)", 5.0, broadcasts.audiences),
    ):
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            await run()
            timings.append(time.perf_counter() - started)
        print(
            f"  {name:<18} {min(timings):6.2f} / {max(timings):6.2f}   (target < {target_s:.0f} s)"
        )
    await db.dispose()


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--url")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--plans", action="store_true", help="print every statement's plan")
    parser.add_argument(
        "--empty-url",
        help="an empty database for the checkout's comparison (default: a SQLite file)",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="WORD",
        help="time only the screens and sweeps whose name has one of these words "
        "(e.g. --only /audit /reviews comments); no checkout or insight",
    )
    args = parser.parse_args()
    asyncio.run(main(args.orders, args.url, args.runs, args.plans, args.empty_url, args.only))


if __name__ == "__main__":
    cli()
