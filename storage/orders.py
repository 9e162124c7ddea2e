"""Orders, their lines and their timeline; the sweeps' queries over them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Table,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from domain.catalog.model import Product
from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import Order, OrderEvent, OrderLine, PaymentMethod
from domain.orders.shipping_choice import ShippingChoice
from domain.shared.errors import DuplicateError
from domain.shared.money import Money
from domain.shared.paging import Page, Paged
from storage import rollups
from storage.base import dialect_insert, utcnow
from storage.catalog import product_of
from storage.privacy import index_order
from storage.rollups import day_key
from storage.tables.catalog import CategoryRow, ProductRow
from storage.tables.customers import CustomerRow
from storage.tables.insight import ProductSalesDayRow
from storage.tables.orders import OrderEventRow, OrderLineRow, OrderRow

_ORDERS = cast(Table, OrderRow.__table__)
_LINES = cast(Table, OrderLineRow.__table__)
# Placing an order: its row and its lines, built once per dialect (the ON CONFLICT is the
# dialect's own).
_ADD_ORDER: dict[str, tuple[Any, Any]] = {}


def _order_inserts(session: AsyncSession) -> tuple[Any, Any]:
    order = dialect_insert(session)(_ORDERS).on_conflict_do_nothing().returning(_ORDERS.c.id)
    lines = insert(_LINES).returning(_LINES.c.id, sort_by_parameter_order=True)
    return order, lines


# An order's steps (every status change and its event), built once.
_STATUS_FOR_UPDATE = (
    select(_ORDERS.c.status).where(_ORDERS.c.id == bindparam("order_id")).with_for_update()
)
_SET_STATUS = (
    update(_ORDERS)
    .where(_ORDERS.c.id == bindparam("order_id"))
    .values(status=bindparam("to"), updated_at=bindparam("at", type_=_ORDERS.c.updated_at.type))
)
_MOVE_STATUS = (
    update(_ORDERS)
    .where(_ORDERS.c.id == bindparam("order_id"), _ORDERS.c.status == bindparam("from"))
    .values(status=bindparam("to"), updated_at=bindparam("at", type_=_ORDERS.c.updated_at.type))
)
_ADD_EVENT = insert(cast(Table, OrderEventRow.__table__))
_DELIVERED_AT = (
    update(_ORDERS)
    .where(_ORDERS.c.id == bindparam("order_id"))
    .values(delivered_at=bindparam("at", type_=_ORDERS.c.delivered_at.type))
)


def _event(row: OrderEventRow) -> OrderEvent:
    return OrderEvent(
        type=OrderEventType(row.type),
        actor=row.actor,
        at=row.created_at,
        from_status=OrderStatus(row.from_status) if row.from_status else None,
        to_status=OrderStatus(row.to_status) if row.to_status else None,
        note=row.note,
        params=dict(row.params or {}),
    )


class SqlOrderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add(self, order: Order) -> int:
        # Core statements built once (a Confirm's costliest storage step was the ORM's unit of
        # work for these rows, issue 13). A number, checkout or channel reference already taken
        # inserts nothing: no SAVEPOINT is needed to keep the rest of the unit of work intact.
        statements = _ADD_ORDER.get(self.s.get_bind().dialect.name)
        if statements is None:
            statements = _ADD_ORDER[self.s.get_bind().dialect.name] = _order_inserts(self.s)
        add_order, add_lines = statements
        order_id = await self.s.scalar(
            add_order,
            {
                "number": order.number,
                "customer_id": order.customer_id,
                "checkout_token": order.checkout_token,
                "channel": order.channel,
                "channel_reference": order.channel_reference,
                "status": order.status.value,
                "currency": order.currency,
                "subtotal_minor": order.subtotal.amount,
                "shipping_minor": order.shipping.amount,
                "shipping_method": (
                    order.shipping_method.to_dict() if order.shipping_method else None
                ),
                "total_minor": order.total.amount,
                "promo_code": order.promo_code,
                "discount_minor": order.discount_minor,
                "payment_method": order.payment_method.value,
                "recipient": order.recipient,
                "phone": order.phone,
                "address_text": order.address_text,
                "created_at": order.created_at,
                "updated_at": order.updated_at or order.created_at,
            },
        )
        if order_id is None:
            raise DuplicateError()
        if order.lines:
            # After-sales requests point at stored lines: the ids come back in the lines' order.
            line_ids = await self.s.scalars(
                add_lines,
                [
                    {
                        "order_id": order_id,
                        "product_id": line.product_id,
                        "sku": line.sku,
                        "name": line.name,
                        "unit_price_minor": line.unit_price.amount,
                        "quantity": line.quantity,
                        "discount_minor": line.discount_minor,
                    }
                    for line in order.lines
                ],
            )
            for line, line_id in zip(order.lines, line_ids.all(), strict=True):
                line.id = line_id
        # The blind index /find looks up (decision 13): names, phone, @username as keyed hashes.
        customer = await self.s.get(CustomerRow, order.customer_id)
        await index_order(
            self.s, order_id, recipient=order.recipient, phone=order.phone, customer=customer
        )
        await rollups.count_order(self.s, order, order.status, +1)  # the reports' rollups
        return int(order_id)

    async def _entities(self, rows: Sequence[OrderRow]) -> list[Order]:
        if not rows:
            return []
        lines = await self.s.scalars(
            select(OrderLineRow)
            .where(OrderLineRow.order_id.in_([r.id for r in rows]))
            .order_by(OrderLineRow.id)
        )
        by_order: dict[int, list[OrderLine]] = {}
        currency = {r.id: r.currency for r in rows}
        for line in lines.all():
            by_order.setdefault(line.order_id, []).append(
                OrderLine(
                    product_id=line.product_id,
                    sku=line.sku,
                    name=line.name,
                    unit_price=Money(line.unit_price_minor, currency[line.order_id]),
                    quantity=line.quantity,
                    id=line.id,
                    discount_minor=line.discount_minor,
                )
            )
        return [
            Order(
                id=r.id,
                number=r.number,
                customer_id=r.customer_id,
                status=OrderStatus(r.status),
                currency=r.currency,
                lines=by_order.get(r.id, []),
                shipping=Money(r.shipping_minor, r.currency),
                payment_method=PaymentMethod(r.payment_method),
                recipient=r.recipient,
                phone=r.phone,
                address_text=r.address_text,
                created_at=r.created_at,
                updated_at=r.updated_at,
                checkout_token=r.checkout_token,
                channel=r.channel,
                channel_reference=r.channel_reference,
                after_sales_open=r.after_sales_open,
                shipping_method=ShippingChoice.from_dict(r.shipping_method),
                promo_code=r.promo_code,
                discount_minor=r.discount_minor,
            )
            for r in rows
        ]

    async def get_by_number(self, number: str) -> Order | None:
        row = await self.s.scalar(select(OrderRow).where(OrderRow.number == number))
        return (await self._entities([row]))[0] if row else None

    async def get(self, order_id: int) -> Order | None:
        row = await self.s.get(OrderRow, order_id)
        return (await self._entities([row]))[0] if row else None

    async def number_taken(self, number: str) -> bool:
        return (
            await self.s.scalar(select(OrderRow.id).where(OrderRow.number == number))
        ) is not None

    async def list_for_customer(self, customer_id: int, page: Page) -> Paged[Order]:
        total = await self.s.scalar(
            select(func.count()).select_from(OrderRow).where(OrderRow.customer_id == customer_id)
        )
        rows = await self.s.scalars(
            select(OrderRow)
            .where(OrderRow.customer_id == customer_id)
            .order_by(OrderRow.created_at.desc(), OrderRow.id.desc())
            .offset(page.offset)
            .limit(page.size)
        )
        return Paged(await self._entities(rows.all()), int(total or 0), page)

    async def save_status(self, order: Order, expected: OrderStatus | None = None) -> bool:
        if expected is None:  # the rollups need the status it leaves
            found = await self.s.scalar(_STATUS_FOR_UPDATE, {"order_id": order.id})
            if found is None:
                return False
            before = OrderStatus(found)
        else:
            before = expected
        values = {
            "order_id": order.id,
            "to": order.status.value,
            "at": order.updated_at or utcnow(),
        }
        if expected is None:
            result = await self.s.execute(_SET_STATUS, values)
        else:  # compare-and-set: only from the status the caller saw
            result = await self.s.execute(_MOVE_STATUS, {**values, "from": expected.value})
        saved = bool(result.rowcount)  # type: ignore[attr-defined]
        if saved:
            # The reports' rollups follow the order to its new status, in this transaction.
            await rollups.move_order(self.s, order, before, order.status)
        return saved

    async def add_event(self, order_id: int, event: OrderEvent) -> None:
        await self.s.flush()  # what the unit of work added before goes first, as it did
        await self.s.execute(
            _ADD_EVENT,
            {
                "order_id": order_id,
                "type": event.type.value,
                "actor": event.actor,
                "from_status": event.from_status.value if event.from_status else None,
                "to_status": event.to_status.value if event.to_status else None,
                "note": event.note,
                "params": event.params,
                "created_at": event.at,
            },
        )
        if event.type == OrderEventType.DELIVERED:
            # Stored on the order, so auto-completion finds due orders by an index.
            await self.s.execute(_DELIVERED_AT, {"order_id": order_id, "at": event.at})

    async def change_after_sales_open(self, order_id: int, delta: int) -> None:
        await self.s.execute(
            update(OrderRow)
            .where(OrderRow.id == order_id)
            .values(
                after_sales_open=func.max(OrderRow.after_sales_open + delta, 0)
                if self.s.get_bind().dialect.name == "sqlite"
                else func.greatest(OrderRow.after_sales_open + delta, 0)
            )
            .execution_options(synchronize_session=False)
        )

    async def events(self, order_id: int) -> list[OrderEvent]:
        rows = await self.s.scalars(
            select(OrderEventRow)
            .where(OrderEventRow.order_id == order_id)
            .order_by(OrderEventRow.created_at, OrderEventRow.id)
        )
        return [_event(r) for r in rows.all()]


class SqlSweepRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def due_for_completion(self, delivered_before: datetime, limit: int) -> list[int]:
        # ix_orders_status_delivered: a range of delivered orders by delivery time, so the
        # sweep reads the due rows only, however long the history.
        delivered_at = OrderRow.delivered_at
        # SKIP LOCKED (PostgreSQL; nothing on SQLite, whose writers take turns anyway) lets two
        # sweeps at once work on different orders instead of waiting for each other.
        rows = await self.s.scalars(
            select(OrderRow.id)
            .where(
                OrderRow.status == OrderStatus.DELIVERED.value,
                OrderRow.after_sales_open <= 0,
                delivered_at <= delivered_before,
            )
            .order_by(delivered_at, OrderRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=OrderRow)
        )
        return list(rows.all())

    async def low_stock(self, sold_since: datetime, limit: int) -> list[tuple[Product, int]]:
        available = ProductRow.stock - ProductRow.reserved
        # The reorder point where known (stored by the restock check), else the threshold.
        mark = func.coalesce(ProductRow.reorder_point, ProductRow.low_stock_threshold)
        result = await self.s.execute(
            select(ProductRow, CategoryRow.name)
            .join(CategoryRow, CategoryRow.id == ProductRow.category_id)
            .where(ProductRow.active, mark > 0, available <= mark)
            .order_by(available - mark, ProductRow.name, ProductRow.id)
            .limit(limit)
        )
        low = result.all()
        if not low:
            return []
        # Units sold from the start of the UTC day of `sold_since`, for the low products only:
        # whole days of the sales rollup (storage/rollups.py), today's so far included, and
        # no order or order line at all, so the daily report reads about 30 days x statuses
        # rows per low product (ix_product_sales_days_product_day) however long the history
        # and however many other products there are (issue 13). The part of a day before
        # `sold_since` is counted too: the rollup has no finer grain per product (its hours
        # are per currency and status), and reading that part's orders cost 39-153 ms on
        # PostgreSQL at 1.2 M orders. The report says from which day it counts.
        ids = [row.id for row, _ in low]
        rolled = await self.s.execute(
            select(ProductSalesDayRow.product_id, func.sum(ProductSalesDayRow.units))
            .where(
                ProductSalesDayRow.day >= day_key(sold_since),
                ProductSalesDayRow.status != OrderStatus.CANCELLED.value,
                ProductSalesDayRow.product_id.in_(ids),
            )
            .group_by(ProductSalesDayRow.product_id)
        )
        sold: dict[int, int] = {pid: int(units or 0) for pid, units in rolled}
        return [(product_of(row, category), int(sold.get(row.id) or 0)) for row, category in low]
