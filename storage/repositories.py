"""SQLAlchemy implementations of the domain's repositories. They never commit."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.cart.model import Cart, CartLine
from domain.catalog.importing import ProductDraft
from domain.catalog.model import Category, Product
from domain.checkout.flow import Checkout, CheckoutDraft, CheckoutStep
from domain.checkout.model import Address
from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import Order, OrderEvent, OrderLine, PaymentMethod
from domain.shared.customers import Customer, Language
from domain.shared.errors import CatalogImportError, DuplicateError
from domain.shared.money import Money
from domain.shared.notifications import Notification
from domain.shared.paging import Page, Paged
from storage.tables import (
    AddressRow,
    CartLineRow,
    CategoryRow,
    CheckoutRow,
    CustomerRow,
    OrderEventRow,
    OrderLineRow,
    OrderRow,
    OutboxRow,
    ProductRow,
    ReviewRow,
)


def _now() -> datetime:
    return datetime.now(UTC)


def _like(words: str) -> str:
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SqlCustomerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    @staticmethod
    def _entity(row: CustomerRow) -> Customer:
        return Customer(
            id=row.id,
            first_name=row.first_name,
            username=row.username,
            language_code=row.language_code,
            language=Language(row.language) if row.language else None,
            reachable=row.reachable,
        )

    async def get(self, customer_id: int) -> Customer | None:
        row = await self.s.get(CustomerRow, customer_id)
        return self._entity(row) if row else None

    async def upsert(self, customer: Customer) -> None:
        row = await self.s.get(CustomerRow, customer.id)
        now = _now()
        if row is None:
            self.s.add(
                CustomerRow(
                    id=customer.id,
                    first_name=customer.first_name[:128],
                    username=customer.username,
                    language_code=customer.language_code,
                    language=customer.language.value if customer.language else None,
                    reachable=customer.reachable,
                    created_at=now,
                    updated_at=now,
                )
            )
        else:
            row.first_name = customer.first_name[:128]
            row.username = customer.username
            row.language_code = customer.language_code
            row.reachable = customer.reachable
            row.updated_at = now
        await self.s.flush()

    async def set_language(self, customer_id: int, language: str | None) -> None:
        await self.s.execute(
            update(CustomerRow)
            .where(CustomerRow.id == customer_id)
            .values(language=language, updated_at=_now())
        )

    async def set_reachable(self, customer_id: int, reachable: bool) -> None:
        await self.s.execute(
            update(CustomerRow)
            .where(CustomerRow.id == customer_id)
            .values(reachable=reachable, updated_at=_now())
        )


def _product(row: ProductRow, category_name: str = "") -> Product:
    return Product(
        id=row.id,
        sku=row.sku,
        name=row.name,
        category_id=row.category_id,
        price=Money(row.price_minor, row.currency),
        stock=row.stock,
        reserved=row.reserved,
        description=row.description or "",
        photo=row.photo,
        photo_file_id=row.photo_file_id,
        low_stock_threshold=row.low_stock_threshold,
        active=row.active,
        category_name=category_name,
    )


class SqlProductRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, product_id: int) -> Product | None:
        result = await self.s.execute(
            select(ProductRow, CategoryRow.name)
            .join(CategoryRow, CategoryRow.id == ProductRow.category_id)
            .where(ProductRow.id == product_id)
        )
        found = result.first()
        if not found:
            return None
        product = _product(found[0], found[1])
        # Reviews rate orders; a product's rating is that of the orders that contained it.
        rated = await self.s.execute(
            select(func.count(ReviewRow.id), func.coalesce(func.sum(ReviewRow.rating), 0))
            .join(OrderLineRow, OrderLineRow.order_id == ReviewRow.order_id)
            .where(OrderLineRow.product_id == product_id)
        )
        product.rating_count, product.rating_sum = (int(n or 0) for n in rated.one())
        return product

    async def categories(self) -> list[Category]:
        count = func.count(ProductRow.id)
        result = await self.s.execute(
            select(CategoryRow.id, CategoryRow.name, count)
            .join(ProductRow, and_(ProductRow.category_id == CategoryRow.id, ProductRow.active))
            .group_by(CategoryRow.id, CategoryRow.name, CategoryRow.position)
            .having(count > 0)
            .order_by(CategoryRow.position, CategoryRow.name)
        )
        return [Category(id=i, name=n, product_count=c) for i, n, c in result.all()]

    async def category(self, category_id: int) -> Category | None:
        row = await self.s.get(CategoryRow, category_id)
        return Category(id=row.id, name=row.name) if row else None

    async def _paged(self, where: Any, page: Page) -> Paged[Product]:
        total = await self.s.scalar(select(func.count()).select_from(ProductRow).where(where))
        result = await self.s.execute(
            select(ProductRow, CategoryRow.name)
            .join(CategoryRow, CategoryRow.id == ProductRow.category_id)
            .where(where)
            .order_by(ProductRow.name, ProductRow.id)
            .offset(page.offset)
            .limit(page.size)
        )
        items = [_product(row, name) for row, name in result.all()]
        return Paged(items, int(total or 0), page)

    async def in_category(self, category_id: int, page: Page) -> Paged[Product]:
        return await self._paged(
            and_(ProductRow.category_id == category_id, ProductRow.active), page
        )

    async def search(self, words: str, page: Page) -> Paged[Product]:
        pattern = _like(words)
        match = or_(
            ProductRow.name.ilike(pattern, escape="\\"),
            ProductRow.sku.ilike(pattern, escape="\\"),
            ProductRow.description.ilike(pattern, escape="\\"),
        )
        return await self._paged(and_(ProductRow.active, match), page)

    async def reserve(self, product_id: int, quantity: int) -> bool:
        # One conditional UPDATE: the check and the hold cannot be separated by another order.
        result = await self.s.execute(
            update(ProductRow)
            .where(
                ProductRow.id == product_id,
                ProductRow.active,
                ProductRow.stock - ProductRow.reserved >= quantity,
            )
            .values(reserved=ProductRow.reserved + quantity)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def release(self, product_id: int, quantity: int) -> None:
        await self.s.execute(
            update(ProductRow)
            .where(ProductRow.id == product_id, ProductRow.reserved >= quantity)
            .values(reserved=ProductRow.reserved - quantity)
            .execution_options(synchronize_session=False)
        )

    async def commit_reserved(self, product_id: int, quantity: int) -> None:
        await self.s.execute(
            update(ProductRow)
            .where(ProductRow.id == product_id, ProductRow.reserved >= quantity)
            .values(
                stock=ProductRow.stock - quantity,
                reserved=ProductRow.reserved - quantity,
                updated_at=_now(),
            )
            .execution_options(synchronize_session=False)
        )

    async def restock(self, product_id: int, quantity: int) -> None:
        await self.s.execute(
            update(ProductRow)
            .where(ProductRow.id == product_id)
            .values(stock=ProductRow.stock + quantity, updated_at=_now())
            .execution_options(synchronize_session=False)
        )

    async def set_photo_file_id(self, product_id: int, file_id: str) -> None:
        await self.s.execute(
            update(ProductRow)
            .where(ProductRow.id == product_id)
            .values(photo_file_id=file_id)
            .execution_options(synchronize_session=False)
        )

    async def upsert_drafts(self, drafts: Sequence[ProductDraft]) -> tuple[int, int]:
        now = _now()
        categories = {row.name: row for row in (await self.s.scalars(select(CategoryRow))).all()}
        next_position = max((c.position for c in categories.values()), default=0)
        existing = {
            row.sku: row
            for row in (
                await self.s.scalars(
                    select(ProductRow).where(ProductRow.sku.in_([d.sku for d in drafts]))
                )
            ).all()
        }
        created = updated = 0
        problems: list[tuple[int, str]] = []
        for draft in drafts:
            category = categories.get(draft.category)
            if category is None:
                next_position += 1
                category = CategoryRow(name=draft.category, position=next_position)
                self.s.add(category)
                await self.s.flush()
                categories[draft.category] = category
            row = existing.get(draft.sku)
            if row is None:
                self.s.add(
                    ProductRow(
                        sku=draft.sku,
                        name=draft.name,
                        category_id=category.id,
                        description=draft.description,
                        price_minor=draft.price.amount,
                        currency=draft.price.currency,
                        stock=draft.stock,
                        reserved=0,
                        low_stock_threshold=draft.low_stock_threshold,
                        photo=draft.photo,
                        active=draft.active,
                        created_at=now,
                        updated_at=now,
                    )
                )
                created += 1
                continue
            if draft.stock < row.reserved:
                problems.append(
                    (
                        draft.line,
                        f"stock {draft.stock} is below the {row.reserved} units "
                        "reserved by unpaid orders",
                    )
                )
                continue
            if row.photo != draft.photo:
                row.photo_file_id = None
            row.name = draft.name
            row.category_id = category.id
            row.description = draft.description
            row.price_minor = draft.price.amount
            row.currency = draft.price.currency
            row.stock = draft.stock
            row.low_stock_threshold = draft.low_stock_threshold
            row.photo = draft.photo
            row.active = draft.active
            row.updated_at = now
            updated += 1
        if problems:
            raise CatalogImportError(errors=problems)
        await self.s.flush()
        return created, updated


class SqlCartRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, customer_id: int) -> Cart:
        result = await self.s.execute(
            select(CartLineRow.quantity, ProductRow, CategoryRow.name)
            .join(ProductRow, ProductRow.id == CartLineRow.product_id)
            .join(CategoryRow, CategoryRow.id == ProductRow.category_id)
            .where(CartLineRow.customer_id == customer_id)
            .order_by(CartLineRow.added_at, CartLineRow.product_id)
        )
        lines = [CartLine(_product(p, c), q) for q, p, c in result.all()]
        return Cart(customer_id, lines)

    async def set_quantity(self, customer_id: int, product_id: int, quantity: int) -> None:
        row = await self.s.get(CartLineRow, (customer_id, product_id))
        if row is None:
            self.s.add(
                CartLineRow(
                    customer_id=customer_id,
                    product_id=product_id,
                    quantity=quantity,
                    added_at=_now(),
                )
            )
        else:
            row.quantity = quantity
        await self.s.flush()

    async def remove(self, customer_id: int, product_id: int) -> bool:
        result = await self.s.execute(
            delete(CartLineRow).where(
                CartLineRow.customer_id == customer_id, CartLineRow.product_id == product_id
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def clear(self, customer_id: int) -> None:
        await self.s.execute(delete(CartLineRow).where(CartLineRow.customer_id == customer_id))


class SqlAddressRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    @staticmethod
    def _entity(row: AddressRow) -> Address:
        return Address(row.id, row.customer_id, row.recipient, row.phone, row.text)

    async def list(self, customer_id: int) -> list[Address]:
        rows = await self.s.scalars(
            select(AddressRow)
            .where(AddressRow.customer_id == customer_id)
            .order_by(AddressRow.id.desc())
            .limit(5)
        )
        return [self._entity(r) for r in rows.all()]

    async def get(self, address_id: int) -> Address | None:
        row = await self.s.get(AddressRow, address_id)
        return self._entity(row) if row else None

    async def add(self, address: Address) -> int:
        existing = await self.s.scalar(
            select(AddressRow.id).where(
                AddressRow.customer_id == address.customer_id,
                AddressRow.recipient == address.recipient,
                AddressRow.phone == address.phone,
                AddressRow.text == address.text,
            )
        )
        if existing is not None:
            return int(existing)
        row = AddressRow(
            customer_id=address.customer_id,
            recipient=address.recipient,
            phone=address.phone,
            text=address.text,
            created_at=_now(),
        )
        self.s.add(row)
        await self.s.flush()
        return row.id

    async def count(self, customer_id: int) -> int:
        total = await self.s.scalar(
            select(func.count())
            .select_from(AddressRow)
            .where(AddressRow.customer_id == customer_id)
        )
        return int(total or 0)


class SqlCheckoutRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, customer_id: int, *, for_update: bool = False) -> Checkout | None:
        row = await self.s.get(CheckoutRow, customer_id, with_for_update=for_update or None)
        if row is None:
            return None
        saved = await self.s.scalar(
            select(func.count())
            .select_from(AddressRow)
            .where(AddressRow.customer_id == customer_id)
        )
        return Checkout(
            customer_id=row.customer_id,
            token=row.token,
            step=CheckoutStep(row.step),
            draft=CheckoutDraft.from_dict(row.draft),
            saved_address_count=int(saved or 0),
            order_id=row.order_id,
            updated_at=row.updated_at,
        )

    async def save(self, checkout: Checkout) -> None:
        row = await self.s.get(CheckoutRow, checkout.customer_id)
        values = {
            "token": checkout.token,
            "step": checkout.step.value,
            "draft": checkout.draft.to_dict(),
            "order_id": checkout.order_id,
            "updated_at": checkout.updated_at or _now(),
        }
        if row is None:
            self.s.add(CheckoutRow(customer_id=checkout.customer_id, **values))
        else:
            for key, value in values.items():
                setattr(row, key, value)
        await self.s.flush()


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
        row = OrderRow(
            number=order.number,
            customer_id=order.customer_id,
            checkout_token=order.checkout_token,
            status=order.status.value,
            currency=order.currency,
            subtotal_minor=order.subtotal.amount,
            shipping_minor=order.shipping.amount,
            total_minor=order.total.amount,
            payment_method=order.payment_method.value,
            recipient=order.recipient,
            phone=order.phone,
            address_text=order.address_text,
            created_at=order.created_at,
            updated_at=order.updated_at or order.created_at,
        )
        self.s.add(row)
        try:
            await self.s.flush()
        except IntegrityError as exc:
            raise DuplicateError() from exc
        line_rows = [
            OrderLineRow(
                order_id=row.id,
                product_id=line.product_id,
                sku=line.sku,
                name=line.name,
                unit_price_minor=line.unit_price.amount,
                quantity=line.quantity,
            )
            for line in order.lines
        ]
        self.s.add_all(line_rows)
        await self.s.flush()
        for line, line_row in zip(order.lines, line_rows, strict=True):
            line.id = line_row.id  # after-sales requests point at stored lines
        return row.id

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
                after_sales_open=r.after_sales_open,
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
        where = [OrderRow.id == order.id]
        if expected is not None:
            where.append(OrderRow.status == expected.value)
        result = await self.s.execute(
            update(OrderRow)
            .where(*where)
            .values(status=order.status.value, updated_at=order.updated_at or _now())
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def add_event(self, order_id: int, event: OrderEvent) -> None:
        self.s.add(
            OrderEventRow(
                order_id=order_id,
                type=event.type.value,
                actor=event.actor,
                from_status=event.from_status.value if event.from_status else None,
                to_status=event.to_status.value if event.to_status else None,
                note=event.note,
                params=event.params,
                created_at=event.at,
            )
        )
        await self.s.flush()

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


class SqlOutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session
        self.added = 0

    async def add(self, notification: Notification, at: datetime) -> None:
        values = {
            "chat_id": notification.chat_id,
            "template": notification.template,
            "params": notification.params,
            "language": notification.language.value if notification.language else None,
            "buttons": [[list(b) for b in row] for row in notification.buttons],
            "dedupe_key": notification.dedupe_key,
            "created_at": at,
            "next_attempt_at": at,
            "attempts": 0,
        }
        # A second notification with the same dedupe key is dropped, even when two
        # transactions add it at the same moment (INSERT ... ON CONFLICT DO NOTHING).
        dialect = self.s.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(OutboxRow).values(**values)
        if notification.dedupe_key is not None:
            statement = statement.on_conflict_do_nothing(index_elements=["dedupe_key"])
        result = await self.s.execute(statement)
        self.added += int(result.rowcount or 0)  # type: ignore[attr-defined]

    @staticmethod
    def _claimable(now: datetime, exclude_chats: Collection[int] = ()) -> list[Any]:
        """Due, free, the oldest pending row of its chat, and for a reachable chat."""
        earlier = aliased(OutboxRow)
        blocked = exists().where(
            earlier.chat_id == OutboxRow.chat_id,
            earlier.id < OutboxRow.id,
            earlier.sent_at.is_(None),
            earlier.failed_at.is_(None),
        )
        unreachable = exists().where(
            CustomerRow.id == OutboxRow.chat_id, CustomerRow.reachable.is_(False)
        )
        where = [
            OutboxRow.sent_at.is_(None),
            OutboxRow.failed_at.is_(None),
            OutboxRow.next_attempt_at <= now,
            or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until < now),
            ~blocked,
            ~unreachable,
        ]
        if exclude_chats:
            where.append(OutboxRow.chat_id.not_in(list(exclude_chats)))
        return where

    async def claim_due(
        self,
        now: datetime,
        limit: int,
        lease_seconds: float,
        *,
        exclude_chats: Collection[int] = (),
    ) -> list[Notification]:
        claimable = self._claimable(now, exclude_chats)
        # SKIP LOCKED (PostgreSQL; SQLite's writers take turns anyway): two runners claiming at
        # once take different rows instead of the second waiting and finding none.
        ids = list(
            await self.s.scalars(
                select(OutboxRow.id)
                .where(*claimable)
                .order_by(OutboxRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True, of=OutboxRow)
            )
        )
        if not ids:
            return []
        # One UPDATE that checks again and says which rows it took: of two runners claiming at
        # once, each gets only the rows its own statement changed.
        lease = now + timedelta(seconds=lease_seconds)
        result = await self.s.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(ids), *claimable)
            .values(claimed_until=lease, attempts=OutboxRow.attempts + 1)
            .returning(OutboxRow)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        rows = sorted(result.scalars().all(), key=lambda r: r.id)
        return [
            Notification(
                id=r.id,
                chat_id=r.chat_id,
                template=r.template,
                params=dict(r.params or {}),
                language=Language(r.language) if r.language else None,
                buttons=[[(b[0], b[1]) for b in row] for row in (r.buttons or [])],
                dedupe_key=r.dedupe_key,
                attempts=r.attempts,
            )
            for r in rows
        ]

    async def waiting_chats(self, now: datetime, chat_ids: Collection[int]) -> set[int]:
        if not chat_ids:
            return set()
        found = await self.s.scalars(
            select(OutboxRow.chat_id)
            .where(*self._claimable(now), OutboxRow.chat_id.in_(list(chat_ids)))
            .distinct()
        )
        return set(found.all())

    async def mark_sent(self, notification_id: int, at: datetime) -> None:
        await self.s.execute(
            update(OutboxRow)
            .where(OutboxRow.id == notification_id)
            .values(sent_at=at, claimed_until=None, last_error=None)
        )

    async def retry_later(
        self, notification_id: int, error: str, at: datetime, *, counted: bool = True
    ) -> None:
        attempts = OutboxRow.attempts if counted else OutboxRow.attempts - 1
        await self.s.execute(
            update(OutboxRow)
            .where(OutboxRow.id == notification_id)
            .values(
                next_attempt_at=at, claimed_until=None, last_error=error[:1000], attempts=attempts
            )
        )

    async def give_up(self, notification_id: int, error: str, at: datetime) -> None:
        await self.s.execute(
            update(OutboxRow)
            .where(OutboxRow.id == notification_id)
            .values(failed_at=at, claimed_until=None, last_error=error[:1000])
        )

    async def hold(self, notification_id: int, error: str) -> None:
        await self.s.execute(
            update(OutboxRow)
            .where(OutboxRow.id == notification_id)
            .values(claimed_until=None, last_error=error[:1000], attempts=OutboxRow.attempts - 1)
        )

    async def release(self, notification_id: int) -> None:
        await self.s.execute(
            update(OutboxRow)
            .where(OutboxRow.id == notification_id, OutboxRow.sent_at.is_(None))
            .values(claimed_until=None, attempts=OutboxRow.attempts - 1)
        )

    async def pending_count(self) -> int:
        total = await self.s.scalar(
            select(func.count())
            .select_from(OutboxRow)
            .where(OutboxRow.sent_at.is_(None), OutboxRow.failed_at.is_(None))
        )
        return int(total or 0)
