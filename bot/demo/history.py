"""A deterministic order history for tests, benchmarks and the demo.

`seed_history` writes customers, orders, lines, order events, payments and refunds as the real
use cases would have left them, with weekly and yearly seasonality, a realistic mix of
statuses and payment methods, and plausible timings between steps. The same seed gives the
same history; a seed already written is not written again. Rows go in with SQLAlchemy Core
executemany in chunks, so a million orders is a matter of minutes, not hours.

Each order's recipient is its customer's name and its phone the customer's own number, and
its blind index terms (`order_search_terms`, what /find looks up) are written with it by the
same function the shop uses (`storage.crypto.order_terms`), computed once per customer."""

from __future__ import annotations

import logging
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, text

from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import PaymentMethod
from domain.payments.records import PaymentStatus, RefundStatus
from domain.shared.customers import admin_actor, customer_actor
from storage import rollups
from storage.crypto import keys_of, order_terms
from storage.db import Database
from storage.tables.catalog import CategoryRow, ProductRow
from storage.tables.customers import CustomerRow
from storage.tables.orders import OrderEventRow, OrderLineRow, OrderRow, OrderSearchTermRow
from storage.tables.payments import PaymentRow, RefundRow

log = logging.getLogger(__name__)

CHUNK = 5_000
CUSTOMER_ID_BASE = 8_000_000_000  # far above real Telegram user ids in tests
ADMIN = admin_actor(1)
WEEKDAY_FACTOR = (0.85, 0.9, 0.95, 1.0, 1.15, 1.3, 1.2)  # Monday .. Sunday
E = OrderEventType
S = OrderStatus


@dataclass(frozen=True)
class HistoryStats:
    """What a seed wrote (or had written before)."""

    seed: int
    orders: int
    lines: int
    events: int
    payments: int
    refunds: int
    customers: int
    products: int
    created: bool  # False: this seed was already in the database


def customer_name(index: int) -> str:
    """The generated customer's first name (also the recipient of their orders)."""
    return f"Customer {index}"


def customer_phone(customer_id: int) -> str:
    """The generated customer's phone: its last 8 digits are the customer id's, so each
    customer of a seed has a number of their own."""
    return f"+86 139{customer_id % 100_000_000:08d}"


SHIPPING_ROUNDS = (10, 16)  # the merchant packs and ships twice a day, for about an hour


def _shipping_round(ready: datetime, rng: random.Random) -> datetime:
    """The first shipping round after `ready` (UTC clock), a moment within its hour."""
    day = ready.replace(hour=0, minute=0, second=0, microsecond=0)
    while True:
        for hour in SHIPPING_ROUNDS:
            at = day + timedelta(hours=hour, seconds=rng.uniform(0, 3_600))
            if at >= ready:
                return at
        day += timedelta(days=1)


def _prefix(seed: int) -> str:
    return f"H{seed}-"


async def _products(db: Database, count: int, currency: str) -> list[tuple[int, str, str, int]]:
    """(id, sku, name, price) of the active products; demo products are added when none."""
    async with db.uow() as uow:
        s = uow.session
        rows = (
            await s.execute(
                select(ProductRow.id, ProductRow.sku, ProductRow.name, ProductRow.price_minor)
                .where(ProductRow.active)
                .order_by(ProductRow.id)
            )
        ).all()
        if rows:
            return [tuple(r) for r in rows]  # type: ignore[misc]
        now = datetime.now(UTC)
        category = await s.scalar(
            insert(CategoryRow).values(name="History", position=99).returning(CategoryRow.id)
        )
        rng = random.Random(count)
        await s.execute(
            insert(ProductRow),
            [
                {
                    "sku": f"HIST-{i:04d}",
                    "name": f"Product {i:04d}",
                    "category_id": category,
                    "description": "",
                    "price_minor": rng.randrange(500, 20_000, 50),
                    "currency": currency,
                    "stock": 1_000,
                    "reserved": 0,
                    "low_stock_threshold": 5,
                    "active": True,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(1, count + 1)
            ],
        )
        await uow.commit()
    return await _products(db, count, currency)


async def _next_id(session: Any, column: Any) -> int:
    return int(await session.scalar(select(func.coalesce(func.max(column), 0)))) + 1


async def seed_history(
    db: Database,
    *,
    days: int = 180,
    customers: int = 300,
    seed: int = 7,
    now: datetime,
    orders_per_day: float = 40.0,
    products: int = 12,
    currency: str = "USD",
    payment_timeout: timedelta = timedelta(minutes=30),
) -> HistoryStats:
    """Write `days` of orders ending at `now` (idempotent per seed). `products` demo products
    are created only when the shop has none; the shop's own products are used otherwise.
    An order that is not paid within `payment_timeout` (the shop's PAYMENT_TIMEOUT_MINUTES)
    expires at its deadline, as the payment sweep would have done, so the only orders left
    waiting for payment were placed less than that before `now`."""
    prefix = _prefix(seed)
    async with db.uow(readonly=True) as uow:
        existing = await uow.session.scalar(
            select(func.count()).where(OrderRow.number.like(f"{prefix}%"))
        )
    catalog = await _products(db, products, currency)
    if existing:
        log.info("history seed %d already written (%d orders)", seed, existing)
        return HistoryStats(seed, int(existing), 0, 0, 0, 0, customers, len(catalog), False)

    rng = random.Random(seed)
    customer_base = CUSTOMER_ID_BASE + seed * 1_000_000
    # cumulative weights, computed once: random.choices would rebuild them on every call
    popularity = list(accumulate(1 / (rank + 1) ** 0.8 for rank in range(len(catalog))))
    loyalty = list(accumulate(rng.paretovariate(1.5) for _ in range(customers)))
    customer_ids = range(customers)
    picks = range(len(catalog))
    start_day = (now - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    counts = dict.fromkeys(("orders", "lines", "events", "payments", "refunds"), 0)

    async with db.uow() as uow:
        s = uow.session
        cust_rows = [
            {
                "id": customer_base + i,
                "first_name": customer_name(i),
                "username": None,
                "language_code": "zh" if i % 4 == 0 else "en",
                "language": None,
                "reachable": True,
                "created_at": start_day,
                "updated_at": start_day,
            }
            for i in range(customers)
        ]
        known = set(
            (
                await s.scalars(
                    select(CustomerRow.id).where(
                        CustomerRow.id.between(customer_base, customer_base + customers)
                    )
                )
            ).all()
        )
        new = [c for c in cust_rows if c["id"] not in known]
        for i in range(0, len(new), CHUNK):
            await s.execute(insert(CustomerRow), new[i : i + CHUNK])
        order_id = await _next_id(s, OrderRow.id)
        line_id = await _next_id(s, OrderLineRow.id)
        event_id = await _next_id(s, OrderEventRow.id)
        payment_id = await _next_id(s, PaymentRow.id)
        refund_id = await _next_id(s, RefundRow.id)
        batch: dict[str, list[dict[str, Any]]] = {k: [] for k in counts}
        batch["terms"] = []
        keys = keys_of(s)
        terms_of: dict[int, list[str]] = {}  # customer id -> the terms of their orders

        def terms(customer: int) -> list[str]:
            if customer not in terms_of:
                name = customer_name(customer - customer_base)
                terms_of[customer] = sorted(
                    order_terms(
                        keys, names=[name, name], phone=customer_phone(customer), username=None
                    )
                )
            return terms_of[customer]

        async def flush() -> None:
            for name, table in (
                ("orders", OrderRow),
                ("terms", OrderSearchTermRow),
                ("lines", OrderLineRow),
                ("events", OrderEventRow),
                ("payments", PaymentRow),
                ("refunds", RefundRow),
            ):
                if batch[name]:
                    # Core executemany on the connection: one statement per chunk (the ORM's
                    # bulk insert sent one statement per row here, 4x slower overall).
                    connection = await s.connection()
                    await connection.execute(insert(cast(Table, table.__table__)), batch[name])
                    if name in counts:
                        counts[name] += len(batch[name])
                    batch[name].clear()

        number = 0
        for day in range(days):
            day_start = start_day + timedelta(days=day)
            yearly = 1 + 0.25 * math.sin(2 * math.pi * day_start.timetuple().tm_yday / 365)
            mean = orders_per_day * WEEKDAY_FACTOR[day_start.weekday()] * yearly
            # a normal approximation of a Poisson count keeps a million orders fast
            n = max(round(rng.gauss(mean, math.sqrt(mean))), 0)
            for _ in range(n):
                placed = day_start + timedelta(seconds=rng.uniform(7 * 3600, 23 * 3600))
                if placed >= now:
                    continue
                number += 1
                customer = customer_base + rng.choices(customer_ids, cum_weights=loyalty)[0]
                method = rng.choices(
                    (
                        PaymentMethod.CARD,
                        PaymentMethod.CASH_ON_DELIVERY,
                        PaymentMethod.BANK_TRANSFER,
                    ),
                    (0.55, 0.25, 0.20),
                )[0]
                subtotal = 0
                lines_wanted = rng.randint(1, 3)
                for pick in set(rng.choices(picks, cum_weights=popularity, k=lines_wanted)):
                    pid, sku, name, price = catalog[pick]
                    qty = rng.choices((1, 2, 3), (0.7, 0.2, 0.1))[0]
                    subtotal += price * qty
                    batch["lines"].append(
                        {
                            "id": line_id,
                            "order_id": order_id,
                            "product_id": pid,
                            "sku": sku,
                            "name": name,
                            "unit_price_minor": price,
                            "quantity": qty,
                        }
                    )
                    line_id += 1
                shipping = 500 if subtotal < 5_000 else 0
                total = subtotal + shipping
                who = customer_actor(customer)
                events: list[tuple[E, S | None, S | None, datetime, str]] = [
                    (E.PLACED, None, S.PENDING_PAYMENT, placed, who)
                ]
                status = S.PENDING_PAYMENT
                paid_at: datetime | None = None

                def step(kind: E, to: S, at: datetime, actor: str) -> bool:
                    nonlocal status
                    if at >= now:
                        return False
                    # called only within this iteration, so the loop's `events` is the right one
                    events.append((kind, status, to, at, actor))  # noqa: B023
                    status = to
                    return True

                fate = rng.random()
                if method == PaymentMethod.CASH_ON_DELIVERY:
                    step(E.CONFIRMED, S.CONFIRMED, placed, who)
                    moving = fate > 0.04
                    if not moving:
                        step(E.CANCELLED, S.CANCELLED, placed + timedelta(hours=2), who)
                else:
                    moving = fate > 0.12
                    deadline = placed + payment_timeout
                    if not moving:
                        if fate < 0.08:
                            step(E.EXPIRED, S.CANCELLED, deadline, "system")
                        else:
                            cancel = min(placed + timedelta(minutes=20), deadline)
                            step(E.CANCELLED, S.CANCELLED, cancel, who)
                    else:
                        paid_at = placed + timedelta(minutes=rng.lognormvariate(3.0, 1.0))
                        if paid_at >= deadline:  # too late: the sweep cancelled it first
                            step(E.EXPIRED, S.CANCELLED, deadline, "system")
                            moving, paid_at = False, None
                        else:
                            moving = step(E.PAID, S.PAID, paid_at, who)
                            if not moving:
                                paid_at = None
                if moving:
                    ready = paid_at or placed
                    shipped = _shipping_round(ready + timedelta(hours=1), rng)
                    if step(E.SHIPPED, S.SHIPPED, shipped, ADMIN):
                        delivered = shipped + timedelta(hours=rng.uniform(20, 110))
                        if step(E.DELIVERED, S.DELIVERED, delivered, "carrier"):
                            if method == PaymentMethod.CASH_ON_DELIVERY:
                                paid_at = delivered
                            step(E.COMPLETED, S.COMPLETED, delivered + timedelta(days=7), "system")
                for kind, before, after, at, actor in events:
                    batch["events"].append(
                        {
                            "id": event_id,
                            "order_id": order_id,
                            "type": kind.value,
                            "actor": actor,
                            "from_status": before.value if before else None,
                            "to_status": after.value if after else None,
                            "note": None,
                            "params": {},
                            "created_at": at,
                        }
                    )
                    event_id += 1
                batch["orders"].append(
                    {
                        "id": order_id,
                        "number": f"{prefix}{number:08d}",
                        "customer_id": customer,
                        "checkout_token": None,
                        "status": status.value,
                        "currency": currency,
                        "subtotal_minor": subtotal,
                        "shipping_minor": shipping,
                        "total_minor": total,
                        "payment_method": method.value,
                        "recipient": customer_name(customer - customer_base),
                        "phone": customer_phone(customer),
                        "address_text": "1 History Street",
                        "after_sales_open": 0,
                        "delivered_at": max(
                            (at for kind, _, _, at, _ in events if kind == E.DELIVERED),
                            default=None,
                        ),
                        "created_at": placed,
                        "updated_at": events[-1][3],
                    }
                )
                if paid_at is not None:
                    refunded = status == S.COMPLETED and rng.random() < 0.03
                    batch["payments"].append(
                        {
                            "id": payment_id,
                            "order_id": order_id,
                            "customer_id": customer,
                            "method": method.value,
                            "amount_minor": total,
                            "currency": currency,
                            "status": (
                                PaymentStatus.REFUNDED if refunded else PaymentStatus.APPLIED
                            ).value,
                            "flag_reason": None,
                            "telegram_charge_id": None,
                            "provider_charge_id": None,
                            "payload": {},
                            "received_at": paid_at,
                        }
                    )
                    if refunded:
                        batch["refunds"].append(
                            {
                                "id": refund_id,
                                "payment_id": payment_id,
                                "order_id": order_id,
                                "request_id": None,
                                "method": method.value,
                                "amount_minor": total,
                                "currency": currency,
                                "status": RefundStatus.DONE.value,
                                "actor": ADMIN,
                                "note": None,
                                "error": None,
                                "created_at": events[-1][3],
                                "completed_at": events[-1][3],
                            }
                        )
                        refund_id += 1
                    payment_id += 1
                batch["terms"].extend(
                    {"term": term, "order_id": order_id} for term in terms(customer)
                )
                order_id += 1
                if len(batch["orders"]) >= CHUNK:
                    await flush()
        await flush()
        if s.get_bind().dialect.name == "postgresql":
            for table in ("orders", "order_lines", "order_events", "payments", "refunds"):
                await s.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                    )
                )
        # The orders went in around the repository: the reports' rollups are computed again.
        await rollups.rebuild(s)
        await uow.commit()
    log.info("history seed %d written: %s", seed, counts)
    return HistoryStats(
        seed,
        counts["orders"],
        counts["lines"],
        counts["events"],
        counts["payments"],
        counts["refunds"],
        customers,
        len(catalog),
        True,
    )
