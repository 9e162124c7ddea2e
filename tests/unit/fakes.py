"""In-memory fakes of the domain's ports (domain/ports.py), so service tests need no database.

All state lives in one `FakeStore`. A `FakeUnitOfWork` snapshots the store when it opens and
puts the snapshot back when it closes without a commit, so uncommitted work is discarded as in
a real transaction. Repositories hand out and keep copies: a change a service makes to an
entity reaches the store only through a repository call, as with the SQLAlchemy repositories.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self

from domain import payment_records, ports
from domain.catalog import ProductDraft
from domain.checkout import Checkout, PaymentMethod
from domain.dialogs import Dialog
from domain.errors import DuplicateError
from domain.inventory import InventoryEntry
from domain.lifecycle import OrderStatus
from domain.model import (
    Address,
    Cart,
    CartLine,
    Category,
    Customer,
    Language,
    Notification,
    Order,
    OrderEvent,
    Page,
    Paged,
    Product,
)
from domain.money import Money
from domain.shipping import Shipment


@dataclass
class OutboxEntry:
    """One outbox row as the SQL table keeps it."""

    notification: Notification
    created_at: datetime
    next_attempt_at: datetime
    attempts: int = 0
    claimed_until: datetime | None = None
    sent_at: datetime | None = None
    failed_at: datetime | None = None
    last_error: str | None = None


@dataclass
class FakeStore:
    """Everything the fake database holds."""

    customers: dict[int, Customer] = field(default_factory=dict)
    categories: dict[int, Category] = field(default_factory=dict)
    products: dict[int, Product] = field(default_factory=dict)
    # customer id -> product id -> quantity, in the order the lines were added
    cart_lines: dict[int, dict[int, int]] = field(default_factory=dict)
    addresses: dict[int, Address] = field(default_factory=dict)
    checkouts: dict[int, Checkout] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    order_events: dict[int, list[OrderEvent]] = field(default_factory=dict)
    outbox: dict[int, OutboxEntry] = field(default_factory=dict)
    merchant: MerchantStore = field(default_factory=lambda: MerchantStore())
    payments: PaymentsStore = field(default_factory=lambda: PaymentsStore())
    last_id: int = 0

    def new_id(self) -> int:
        """A fresh id; one sequence for all tables keeps ids unique across kinds."""
        self.last_id += 1
        return self.last_id

    def snapshot(self) -> dict[str, Any]:
        """A deep copy of the whole state."""
        return copy.deepcopy(vars(self))

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Put a snapshot back (in place, so repositories keep pointing at this store)."""
        vars(self).update(copy.deepcopy(snapshot))

    # -- seeding helpers for tests -----------------------------------------------------------

    def add_category(self, name: str) -> Category:
        """A category, created once per name."""
        for category in self.categories.values():
            if category.name == name:
                return category
        category = Category(id=self.new_id(), name=name)
        self.categories[category.id] = category
        return category

    def add_product(
        self,
        name: str,
        price: Money,
        stock: int,
        *,
        sku: str | None = None,
        category: str = "Tea",
        reserved: int = 0,
        active: bool = True,
    ) -> Product:
        """A product straight into the store (no unit of work)."""
        shelf = self.add_category(category)
        product = Product(
            id=self.new_id(),
            sku=sku or f"SKU-{self.last_id}",
            name=name,
            category_id=shelf.id,
            price=price,
            stock=stock,
            reserved=reserved,
            active=active,
            category_name=shelf.name,
        )
        self.products[product.id] = product
        return copy.deepcopy(product)

    def product(self, product_id: int) -> Product:
        """The stored product (a copy)."""
        return copy.deepcopy(self.products[product_id])


class _Repository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def store(self) -> FakeStore:
        return self._uow.store

    def _write(self) -> None:
        self._uow.note_write()


class FakeCustomerRepository(_Repository):
    async def get(self, customer_id: int) -> Customer | None:
        return copy.deepcopy(self.store.customers.get(customer_id))

    async def upsert(self, customer: Customer) -> None:
        self._write()
        known = self.store.customers.get(customer.id)
        if known is None:
            self.store.customers[customer.id] = copy.deepcopy(customer)
        else:
            # Like the SQL repository: the chosen language is kept, everything else replaced.
            self.store.customers[customer.id] = replace(
                copy.deepcopy(customer), language=known.language
            )

    async def set_language(self, customer_id: int, language: str | None) -> None:
        self._write()
        if customer_id in self.store.customers:
            self.store.customers[customer_id].language = Language(language) if language else None

    async def set_reachable(self, customer_id: int, reachable: bool) -> None:
        self._write()
        if customer_id in self.store.customers:
            self.store.customers[customer_id].reachable = reachable


class FakeProductRepository(_Repository):
    async def get(self, product_id: int) -> Product | None:
        return copy.deepcopy(self.store.products.get(product_id))

    async def categories(self) -> list[Category]:
        counts: dict[int, int] = {}
        for product in self.store.products.values():
            if product.active:
                counts[product.category_id] = counts.get(product.category_id, 0) + 1
        return [
            Category(id=c.id, name=c.name, product_count=counts[c.id])
            for c in self.store.categories.values()
            if counts.get(c.id)
        ]

    async def category(self, category_id: int) -> Category | None:
        found = self.store.categories.get(category_id)
        return Category(id=found.id, name=found.name) if found else None

    def _paged(self, products: list[Product], page: Page) -> Paged[Product]:
        products.sort(key=lambda p: (p.name, p.id))
        items = products[page.offset : page.offset + page.size]
        return Paged(copy.deepcopy(items), len(products), page)

    async def in_category(self, category_id: int, page: Page) -> Paged[Product]:
        found = [
            p for p in self.store.products.values() if p.active and p.category_id == category_id
        ]
        return self._paged(found, page)

    async def search(self, words: str, page: Page) -> Paged[Product]:
        needle = words.lower()
        found = [
            p
            for p in self.store.products.values()
            if p.active
            and (
                needle in p.name.lower()
                or needle in p.sku.lower()
                or needle in p.description.lower()
            )
        ]
        return self._paged(found, page)

    async def reserve(self, product_id: int, quantity: int) -> bool:
        self._write()
        product = self.store.products.get(product_id)
        # Check and hold in one step, with no await in between: atomic for the event loop.
        if product is None or not product.active or product.stock - product.reserved < quantity:
            return False
        product.reserved += quantity
        return True

    async def release(self, product_id: int, quantity: int) -> None:
        self._write()
        product = self.store.products.get(product_id)
        if product is not None and product.reserved >= quantity:
            product.reserved -= quantity

    async def commit_reserved(self, product_id: int, quantity: int) -> None:
        self._write()
        product = self.store.products.get(product_id)
        if product is not None and product.reserved >= quantity:
            product.reserved -= quantity
            product.stock -= quantity

    async def restock(self, product_id: int, quantity: int) -> None:
        self._write()
        product = self.store.products.get(product_id)
        if product is not None:
            product.stock += quantity

    async def set_photo_file_id(self, product_id: int, file_id: str) -> None:
        self._write()
        if product_id in self.store.products:
            self.store.products[product_id].photo_file_id = file_id

    async def upsert_drafts(self, drafts: Sequence[ProductDraft]) -> tuple[int, int]:
        self._write()
        by_sku = {p.sku: p for p in self.store.products.values()}
        created = updated = 0
        for draft in drafts:
            shelf = self.store.add_category(draft.category)
            known = by_sku.get(draft.sku)
            if known is None:
                product = Product(
                    id=self.store.new_id(),
                    sku=draft.sku,
                    name=draft.name,
                    category_id=shelf.id,
                    price=draft.price,
                    stock=draft.stock,
                    description=draft.description,
                    photo=draft.photo,
                    low_stock_threshold=draft.low_stock_threshold,
                    active=draft.active,
                    category_name=shelf.name,
                )
                self.store.products[product.id] = product
                by_sku[product.sku] = product
                created += 1
            else:
                known.name, known.category_id, known.category_name = (
                    draft.name,
                    shelf.id,
                    shelf.name,
                )
                known.price, known.stock, known.description = (
                    draft.price,
                    draft.stock,
                    draft.description,
                )
                known.photo, known.low_stock_threshold, known.active = (
                    draft.photo,
                    draft.low_stock_threshold,
                    draft.active,
                )
                updated += 1
        return created, updated


class FakeCartRepository(_Repository):
    async def get(self, customer_id: int) -> Cart:
        lines = [
            CartLine(copy.deepcopy(self.store.products[product_id]), quantity)
            for product_id, quantity in self.store.cart_lines.get(customer_id, {}).items()
            if product_id in self.store.products
        ]
        return Cart(customer_id, lines)

    async def set_quantity(self, customer_id: int, product_id: int, quantity: int) -> None:
        self._write()
        self.store.cart_lines.setdefault(customer_id, {})[product_id] = quantity

    async def remove(self, customer_id: int, product_id: int) -> bool:
        self._write()
        return self.store.cart_lines.get(customer_id, {}).pop(product_id, None) is not None

    async def clear(self, customer_id: int) -> None:
        self._write()
        self.store.cart_lines.pop(customer_id, None)


class FakeAddressRepository(_Repository):
    async def list(self, customer_id: int) -> list[Address]:
        mine = [a for a in self.store.addresses.values() if a.customer_id == customer_id]
        mine.sort(key=lambda a: a.id, reverse=True)
        return copy.deepcopy(mine[:5])

    async def get(self, address_id: int) -> Address | None:
        return copy.deepcopy(self.store.addresses.get(address_id))

    async def add(self, address: Address) -> int:
        self._write()
        for known in self.store.addresses.values():
            if (known.customer_id, known.recipient, known.phone, known.text) == (
                address.customer_id,
                address.recipient,
                address.phone,
                address.text,
            ):
                return known.id
        saved = replace(address, id=self.store.new_id())
        self.store.addresses[saved.id] = saved
        return saved.id

    async def count(self, customer_id: int) -> int:
        return sum(1 for a in self.store.addresses.values() if a.customer_id == customer_id)


class FakeCheckoutRepository(_Repository):
    async def get(self, customer_id: int, *, for_update: bool = False) -> Checkout | None:
        found = self.store.checkouts.get(customer_id)
        if found is None:
            return None
        checkout = copy.deepcopy(found)
        # Like the SQL repository: counted afresh on every load.
        checkout.saved_address_count = sum(
            1 for a in self.store.addresses.values() if a.customer_id == customer_id
        )
        return checkout

    async def save(self, checkout: Checkout) -> None:
        self._write()
        self.store.checkouts[checkout.customer_id] = copy.deepcopy(checkout)


class FakeOrderRepository(_Repository):
    async def add(self, order: Order) -> int:
        self._write()
        for known in self.store.orders.values():
            if known.number == order.number or (
                order.checkout_token is not None and known.checkout_token == order.checkout_token
            ):
                raise DuplicateError()
        order_id = self.store.new_id()
        self.store.orders[order_id] = replace(copy.deepcopy(order), id=order_id, events=[])
        self.store.order_events[order_id] = []
        return order_id

    async def get_by_number(self, number: str) -> Order | None:
        for order in self.store.orders.values():
            if order.number == number:
                return copy.deepcopy(order)
        return None

    async def get(self, order_id: int) -> Order | None:
        return copy.deepcopy(self.store.orders.get(order_id))

    async def number_taken(self, number: str) -> bool:
        return any(o.number == number for o in self.store.orders.values())

    async def list_for_customer(self, customer_id: int, page: Page) -> Paged[Order]:
        mine = [o for o in self.store.orders.values() if o.customer_id == customer_id]
        mine.sort(key=lambda o: (o.created_at, o.id or 0), reverse=True)
        return Paged(copy.deepcopy(mine[page.offset : page.offset + page.size]), len(mine), page)

    async def save_status(self, order: Order, expected: OrderStatus | None = None) -> bool:
        self._write()
        stored = self.store.orders[order.id or 0]
        if expected is not None and stored.status != expected:
            return False
        stored.status = order.status
        stored.updated_at = order.updated_at
        return True

    async def add_event(self, order_id: int, event: OrderEvent) -> None:
        self._write()
        self.store.order_events.setdefault(order_id, []).append(copy.deepcopy(event))

    async def change_after_sales_open(self, order_id: int, delta: int) -> None:
        self._write()
        stored = self.store.orders[order_id]
        stored.after_sales_open = max(stored.after_sales_open + delta, 0)

    async def events(self, order_id: int) -> list[OrderEvent]:
        events = self.store.order_events.get(order_id, [])
        return copy.deepcopy(sorted(events, key=lambda e: e.at))  # stable: ties keep insertion


class FakeOutboxRepository(_Repository):
    async def add(self, notification: Notification, at: datetime) -> None:
        self._write()
        key = notification.dedupe_key
        if key is not None and any(
            e.notification.dedupe_key == key for e in self.store.outbox.values()
        ):
            return
        row_id = self.store.new_id()
        self.store.outbox[row_id] = OutboxEntry(
            notification=replace(copy.deepcopy(notification), id=row_id, attempts=0),
            created_at=at,
            next_attempt_at=at,
        )

    async def claim_due(
        self, now: datetime, limit: int, lease_seconds: float
    ) -> list[Notification]:
        self._write()
        due = [
            (row_id, entry)
            for row_id, entry in sorted(self.store.outbox.items())
            if entry.sent_at is None
            and entry.failed_at is None
            and entry.next_attempt_at <= now
            and (entry.claimed_until is None or entry.claimed_until < now)
        ][:limit]
        claimed = []
        for row_id, entry in due:
            entry.claimed_until = now + timedelta(seconds=lease_seconds)
            entry.attempts += 1
            claimed.append(
                replace(copy.deepcopy(entry.notification), id=row_id, attempts=entry.attempts)
            )
        return claimed

    async def mark_sent(self, notification_id: int, at: datetime) -> None:
        self._write()
        entry = self.store.outbox[notification_id]
        entry.sent_at, entry.claimed_until, entry.last_error = at, None, None

    async def retry_later(self, notification_id: int, error: str, at: datetime) -> None:
        self._write()
        entry = self.store.outbox[notification_id]
        entry.next_attempt_at, entry.claimed_until, entry.last_error = at, None, error[:1000]

    async def give_up(self, notification_id: int, error: str, at: datetime) -> None:
        self._write()
        entry = self.store.outbox[notification_id]
        entry.failed_at, entry.claimed_until, entry.last_error = at, None, error[:1000]

    async def pending_count(self) -> int:
        return sum(
            1 for e in self.store.outbox.values() if e.sent_at is None and e.failed_at is None
        )


class FakeUnitOfWork:
    """One fake transaction: rolls back on exit unless `commit()` was called."""

    def __init__(self, factory: FakeUnitOfWorkFactory, *, readonly: bool = False) -> None:
        self.factory = factory
        self.store = factory.store
        self.readonly = readonly
        self.committed = False
        self._snapshot: dict[str, Any] | None = None
        # Typed as the ports, so mypy checks each fake against its protocol.
        self.customers: ports.CustomerRepository = FakeCustomerRepository(self)
        self.products: ports.ProductRepository = FakeProductRepository(self)
        self.carts: ports.CartRepository = FakeCartRepository(self)
        self.addresses: ports.AddressRepository = FakeAddressRepository(self)
        self.checkouts: ports.CheckoutRepository = FakeCheckoutRepository(self)
        self.orders: ports.OrderRepository = FakeOrderRepository(self)
        self.outbox: ports.OutboxRepository = FakeOutboxRepository(self)
        self.shipments: ports.ShipmentRepository = FakeShipmentRepository(self)
        self.dialogs: ports.DialogRepository = FakeDialogRepository(self)
        self.inventory: ports.InventoryRepository = FakeInventoryRepository(self)
        self.backoffice: ports.BackofficeRepository = FakeBackofficeRepository(self)
        self.payments: payment_records.PaymentRepository = FakePaymentRepository(self)

    def note_write(self) -> None:
        """Called by every writing repository method."""
        if self._snapshot is None:
            raise AssertionError("repository used outside `async with` of its unit of work")
        if self.readonly:
            raise AssertionError("write in a unit of work opened with readonly=True")

    async def __aenter__(self) -> Self:
        if self.factory.open is not None:
            # The snapshot/restore scheme cannot isolate two open transactions from each other.
            raise AssertionError("a unit of work is already open (nested or interleaved)")
        self.factory.open = self
        self._snapshot = self.store.snapshot()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._snapshot is not None
        self.store.restore(self._snapshot)  # discards whatever was not committed
        self._snapshot = None
        self.factory.open = None

    async def commit(self) -> None:
        assert self._snapshot is not None, "commit outside `async with`"
        if self.readonly:
            raise AssertionError("commit of a unit of work opened with readonly=True")
        self._snapshot = self.store.snapshot()
        self.committed = True
        self.factory.commits += 1

    async def rollback(self) -> None:
        assert self._snapshot is not None, "rollback outside `async with`"
        self.store.restore(self._snapshot)


class FakeUnitOfWorkFactory:
    """Opens fake units of work over one store; counts commits."""

    def __init__(self, store: FakeStore | None = None) -> None:
        self.store = store or FakeStore()
        self.commits = 0
        self.opened: list[FakeUnitOfWork] = []
        self.open: FakeUnitOfWork | None = None

    def __call__(self, *, readonly: bool = False) -> FakeUnitOfWork:
        uow = FakeUnitOfWork(self, readonly=readonly)
        self.opened.append(uow)
        return uow


# --- merchant (admin chat) ---


@dataclass
class MerchantStore:
    """What the merchant features keep: shipments, dialogs and the inventory log."""

    shipments: dict[int, Shipment] = field(default_factory=dict)
    dialogs: dict[tuple[int, int], Dialog] = field(default_factory=dict)
    inventory: dict[int, InventoryEntry] = field(default_factory=dict)


class FakeShipmentRepository(_Repository):
    async def add(self, shipment: Shipment) -> int:
        self._write()
        if any(s.key == shipment.key for s in self.store.merchant.shipments.values()):
            raise DuplicateError()
        shipment_id = self.store.new_id()
        self.store.merchant.shipments[shipment_id] = replace(
            copy.deepcopy(shipment), id=shipment_id
        )
        return shipment_id

    async def for_orders(self, order_ids: list[int]) -> dict[int, list[Shipment]]:
        found: dict[int, list[Shipment]] = {}
        for shipment in sorted(
            self.store.merchant.shipments.values(), key=lambda s: (s.shipped_at, s.id or 0)
        ):
            if shipment.order_id in order_ids:
                found.setdefault(shipment.order_id, []).append(copy.deepcopy(shipment))
        return found


class FakeDialogRepository(_Repository):
    async def get(self, chat_id: int, user_id: int) -> Dialog | None:
        return copy.deepcopy(self.store.merchant.dialogs.get((chat_id, user_id)))

    async def save(self, dialog: Dialog) -> None:
        self._write()
        self.store.merchant.dialogs[(dialog.chat_id, dialog.user_id)] = copy.deepcopy(dialog)

    async def delete(self, chat_id: int, user_id: int, token: str | None = None) -> bool:
        self._write()
        known = self.store.merchant.dialogs.get((chat_id, user_id))
        if known is None or (token is not None and known.token != token):
            return False
        del self.store.merchant.dialogs[(chat_id, user_id)]
        return True


class FakeInventoryRepository(_Repository):
    async def add(self, entry: InventoryEntry) -> int:
        self._write()
        entry_id = self.store.new_id()
        self.store.merchant.inventory[entry_id] = replace(copy.deepcopy(entry), id=entry_id)
        return entry_id

    async def for_product(self, product_id: int, limit: int) -> list[InventoryEntry]:
        mine = [e for e in self.store.merchant.inventory.values() if e.product_id == product_id]
        mine.sort(key=lambda e: (e.at, e.id or 0), reverse=True)
        return copy.deepcopy(mine[:limit])


class FakeBackofficeRepository(_Repository):
    async def orders(
        self, statuses: Collection[OrderStatus] | None, page: Page, *, oldest_first: bool
    ) -> Paged[Order]:
        found = [
            o for o in self.store.orders.values() if statuses is None or o.status in statuses
        ]
        found.sort(key=lambda o: (o.created_at, o.id or 0), reverse=not oldest_first)
        items = found[page.offset : page.offset + page.size]
        return Paged(copy.deepcopy(items), len(found), page)

    async def recent_orders(self, limit: int) -> list[Order]:
        found = sorted(
            self.store.orders.values(), key=lambda o: (o.created_at, o.id or 0), reverse=True
        )
        return copy.deepcopy(found[:limit])

    def _listing(self) -> list[Product]:
        products = copy.deepcopy(list(self.store.products.values()))
        for product in products:
            product.category_name = self.store.categories[product.category_id].name
        products.sort(key=lambda p: (p.category_name, p.name, p.id))
        return products

    async def products(self, page: Page) -> Paged[Product]:
        listing = self._listing()
        return Paged(listing[page.offset : page.offset + page.size], len(listing), page)

    async def all_products(self) -> list[Product]:
        return self._listing()

    async def product_id_by_sku(self, sku: str) -> int | None:
        return next((p.id for p in self.store.products.values() if p.sku == sku), None)

    async def update_product(
        self,
        product_id: int,
        *,
        name: str | None = None,
        price: Money | None = None,
        description: str | None = None,
        low_stock_threshold: int | None = None,
        active: bool | None = None,
        photo_file_id: str | None = None,
    ) -> bool:
        self._write()
        product = self.store.products.get(product_id)
        if product is None:
            return False
        changes = {
            "name": name,
            "price": price,
            "description": description,
            "low_stock_threshold": low_stock_threshold,
            "active": active,
            "photo_file_id": photo_file_id,
        }
        for attribute, value in changes.items():
            if value is not None:
                setattr(product, attribute, value)
        return True

    async def adjust_stock(self, product_id: int, delta: int) -> int | None:
        self._write()
        product = self.store.products.get(product_id)
        if product is None or product.stock + delta < max(product.reserved, 0):
            return None
        product.stock += delta
        return product.stock


# --- payments ---


@dataclass
class PaymentsStore:
    """What the payments feature keeps: payments, refunds, transfer receipts, reminders."""

    payments: dict[int, payment_records.Payment] = field(default_factory=dict)
    refunds: dict[int, payment_records.Refund] = field(default_factory=dict)
    receipts: dict[int, payment_records.TransferReceipt] = field(default_factory=dict)
    reminded: dict[int, datetime] = field(default_factory=dict)  # order id -> sent at


class FakePaymentRepository(_Repository):
    @property
    def data(self) -> PaymentsStore:
        return self.store.payments

    async def add(self, payment: payment_records.Payment) -> int:
        self._write()
        charge = payment.telegram_charge_id
        if charge is not None and any(
            p.telegram_charge_id == charge for p in self.data.payments.values()
        ):
            raise DuplicateError()
        payment_id = self.store.new_id()
        self.data.payments[payment_id] = replace(copy.deepcopy(payment), id=payment_id)
        return payment_id

    async def get(self, payment_id: int) -> payment_records.Payment | None:
        return copy.deepcopy(self.data.payments.get(payment_id))

    async def by_charge_id(self, telegram_charge_id: str) -> payment_records.Payment | None:
        for payment in self.data.payments.values():
            if payment.telegram_charge_id == telegram_charge_id:
                return copy.deepcopy(payment)
        return None

    async def for_order(self, order_id: int) -> list[payment_records.Payment]:
        mine = [p for p in self.data.payments.values() if p.order_id == order_id]
        return copy.deepcopy(sorted(mine, key=lambda p: p.id or 0))

    async def set_status(
        self,
        payment_id: int,
        status: payment_records.PaymentStatus,
        expected: payment_records.PaymentStatus,
    ) -> bool:
        self._write()
        stored = self.data.payments.get(payment_id)
        if stored is None or stored.status != expected:
            return False
        stored.status = status
        return True

    async def add_refund(self, refund: payment_records.Refund) -> int:
        self._write()
        if any(r.payment_id == refund.payment_id for r in self.data.refunds.values()):
            raise DuplicateError()
        refund_id = self.store.new_id()
        self.data.refunds[refund_id] = replace(copy.deepcopy(refund), id=refund_id)
        return refund_id

    async def refund_of(self, payment_id: int) -> payment_records.Refund | None:
        for refund in self.data.refunds.values():
            if refund.payment_id == payment_id:
                return copy.deepcopy(refund)
        return None

    async def save_refund(
        self, refund: payment_records.Refund, expected: payment_records.RefundStatus
    ) -> bool:
        self._write()
        stored = self.data.refunds.get(refund.id or 0)
        if stored is None or stored.status != expected:
            return False
        stored.status, stored.note = refund.status, refund.note
        stored.error, stored.completed_at = refund.error, refund.completed_at
        return True

    async def add_receipt(self, receipt: payment_records.TransferReceipt) -> int:
        self._write()
        receipt_id = self.store.new_id()
        self.data.receipts[receipt_id] = replace(copy.deepcopy(receipt), id=receipt_id)
        return receipt_id

    async def receipt(self, receipt_id: int) -> payment_records.TransferReceipt | None:
        return copy.deepcopy(self.data.receipts.get(receipt_id))

    async def receipts_for_order(self, order_id: int) -> list[payment_records.TransferReceipt]:
        mine = [r for r in self.data.receipts.values() if r.order_id == order_id]
        return copy.deepcopy(sorted(mine, key=lambda r: r.id or 0))

    async def review_receipt(
        self, receipt: payment_records.TransferReceipt, expected: payment_records.ReceiptStatus
    ) -> bool:
        self._write()
        stored = self.data.receipts.get(receipt.id or 0)
        if stored is None or stored.status != expected:
            return False
        stored.status, stored.reason = receipt.status, receipt.reason
        stored.reviewer, stored.reviewed_at = receipt.reviewer, receipt.reviewed_at
        return True

    async def awaiting_transfer(self, customer_id: int) -> list[Order]:
        mine = [
            o
            for o in self.store.orders.values()
            if o.customer_id == customer_id
            and o.status == OrderStatus.PENDING_PAYMENT
            and o.payment_method == PaymentMethod.BANK_TRANSFER
        ]
        return copy.deepcopy(sorted(mine, key=lambda o: (o.created_at, o.id or 0)))

    def _due(self, methods: Collection[PaymentMethod], cutoff: datetime) -> list[Order]:
        def paused_or_restarted(order_id: int) -> bool:
            return any(
                r.order_id == order_id
                and (
                    r.status == payment_records.ReceiptStatus.SUBMITTED
                    or (
                        r.status == payment_records.ReceiptStatus.REJECTED
                        and r.reviewed_at is not None
                        and r.reviewed_at > cutoff
                    )
                )
                for r in self.data.receipts.values()
            )

        due = [
            o
            for o in self.store.orders.values()
            if o.status == OrderStatus.PENDING_PAYMENT
            and o.payment_method in methods
            and o.created_at <= cutoff
            and not paused_or_restarted(o.id or 0)
        ]
        return sorted(due, key=lambda o: (o.created_at, o.id or 0))

    async def due_for_expiry(
        self, methods: Collection[PaymentMethod], cutoff: datetime, limit: int
    ) -> list[int]:
        return [o.id or 0 for o in self._due(methods, cutoff)][:limit]

    async def due_for_reminder(
        self, methods: Collection[PaymentMethod], cutoff: datetime, limit: int
    ) -> list[int]:
        due = [o.id or 0 for o in self._due(methods, cutoff) if o.id not in self.data.reminded]
        return due[:limit]

    async def claim_reminder(self, order_id: int, at: datetime) -> bool:
        self._write()
        if order_id in self.data.reminded:
            return False
        self.data.reminded[order_id] = at
        return True
