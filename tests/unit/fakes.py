"""In-memory fakes of the domain's ports (domain/ports.py), so service tests need no database.

All state lives in one `FakeStore`. A `FakeUnitOfWork` snapshots the store when it opens and
puts the snapshot back when it closes without a commit, so uncommitted work is discarded as in
a real transaction. Repositories hand out and keep copies: a change a service makes to an
entity reaches the store only through a repository call, as with the SQLAlchemy repositories.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from domain.after_sales.records import (
    AfterSalesEvent,
    AfterSalesRepository,
    AfterSalesRequest,
    Draft,
    RequestStatus,
)
from domain.cart.model import Cart, CartLine, CartRepository
from domain.catalog.importing import ProductDraft
from domain.catalog.model import (
    Category,
    InventoryEntry,
    InventoryRepository,
    Product,
    ProductRepository,
)
from domain.catalog.watch import StockWatchRepository, Watcher
from domain.channels.ports import ChannelRepository
from domain.checkout.flow import Checkout
from domain.checkout.model import Address, AddressRepository, CheckoutRepository
from domain.marketing.records import (
    Broadcast,
    BroadcastRepository,
    BroadcastStatus,
    Outcome,
    Recipient,
)
from domain.orders.backoffice import BackofficeRepository
from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import Order, OrderEvent, OrderRepository, PaymentMethod
from domain.orders.sweeps import SweepRepository
from domain.payments import records as payment_records
from domain.privacy.ports import Erasure, OrderSearch, PersonalData
from domain.promotions.model import PromoCode, PromoRepository, PromoStats, Redemption
from domain.reviews.records import (
    ProductComment,
    Review,
    ReviewEntry,
    ReviewRepository,
)
from domain.shared.audit import AuditEntry, AuditFilter, AuditLog
from domain.shared.customers import Customer, CustomerRepository, Language, has_chat
from domain.shared.dialogs import Dialog, DialogRepository
from domain.shared.errors import CatalogImportError, DuplicateError
from domain.shared.money import Money
from domain.shared.notifications import Notification, OutboxRepository
from domain.shared.paging import Page, Paged, Toward, keyset_page
from domain.shipping.carriers import Shipment, ShipmentRepository
from domain.shipping.tracking_records import (
    Checkpoint,
    StoredCheckpoint,
    TrackedShipment,
    TrackingRepository,
    TrackingState,
    TrackingStatus,
)
from storage.api import (
    ApiKey,
    ApiKeyRepository,
    IdempotencyRepository,
    RateWindowRepository,
    StoredAnswer,
)
from storage.crypto import name_words, phone_digits, phone_key, username_key


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
    jobs: JobsStore = field(default_factory=lambda: JobsStore())  # jobs and tracking
    after_sales: AfterSalesStore = field(default_factory=lambda: AfterSalesStore())
    marketing: MarketingStore = field(default_factory=lambda: MarketingStore())
    audit: list[AuditEntry] = field(default_factory=list)  # privacy: the audit log
    api: ApiStore = field(default_factory=lambda: ApiStore())  # the HTTP API (bot/api/)
    # channels: the phone each customer shared as their own contact, in the order verified
    verified_phones: dict[int, str] = field(default_factory=dict)
    promos: dict[int, PromoCode] = field(default_factory=dict)  # promo codes
    redemptions: dict[int, Redemption] = field(default_factory=dict)  # by order id
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


def _now() -> datetime:
    """What the SQL repositories stamp when a caller gives no time."""
    return datetime.now(UTC)


class _Repository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def store(self) -> FakeStore:
        return self._uow.store

    def _write(self) -> None:
        self._uow.note_write()

    def _refused(self) -> DuplicateError:
        """A duplicate that a unique constraint refuses; as on SQL (where the INSERT runs in a
        SAVEPOINT), the rest of the unit of work goes on."""
        return DuplicateError()


class FakeCustomerRepository(_Repository):
    async def get(self, customer_id: int) -> Customer | None:
        found = copy.deepcopy(self.store.customers.get(customer_id))
        if found is not None:  # kept apart, as its own columns are: upsert leaves it
            found.verified_phone = self.store.verified_phones.get(customer_id)
        return found

    async def upsert(self, customer: Customer) -> None:
        self._write()
        known = self.store.customers.get(customer.id)
        kept = replace(copy.deepcopy(customer), first_name=customer.first_name[:128])
        if known is None:
            self.store.customers[customer.id] = kept
        else:
            # Like the SQL repository: the chosen language and the choice of optional messages
            # are kept, everything else replaced.
            self.store.customers[customer.id] = replace(
                kept, language=known.language, optional_messages=known.optional_messages
            )

    async def set_language(self, customer_id: int, language: str | None) -> None:
        self._write()
        if customer_id in self.store.customers:
            self.store.customers[customer_id].language = Language(language) if language else None

    async def set_reachable(self, customer_id: int, reachable: bool) -> None:
        self._write()
        if customer_id in self.store.customers:
            self.store.customers[customer_id].reachable = reachable

    async def set_optional_messages(self, customer_id: int, wanted: bool) -> None:
        self._write()
        if customer_id in self.store.customers:
            self.store.customers[customer_id].optional_messages = wanted

    async def set_verified_phone(self, customer_id: int, phone: str) -> None:
        self._write()
        if customer_id in self.store.customers:
            # A number belongs to one account at a time: whoever verified it before loses it.
            for other in [c for c, p in self.store.verified_phones.items() if p == phone]:
                del self.store.verified_phones[other]
            self.store.verified_phones[customer_id] = phone


class FakeProductRepository(_Repository):
    async def get(self, product_id: int) -> Product | None:
        found = copy.deepcopy(self.store.products.get(product_id))
        if found is not None:
            # Like the SQL repository: a product is rated by the reviews of the orders that
            # contained it (one review per order line of it).
            ratings = [
                review.rating
                for review in self.store.after_sales.reviews.values()
                for line in getattr(self.store.orders.get(review.order_id), "lines", [])
                if line.product_id == product_id
            ]
            found.rating_count, found.rating_sum = len(ratings), sum(ratings)
        return found

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

    async def reserve_and_read(self, product_id: int, quantity: int) -> Product | None:
        if not await self.reserve(product_id, quantity):
            return None
        return copy.deepcopy(self.store.products[product_id])

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

    async def set_reorder_points(self, points: Mapping[int, tuple[int, int] | None]) -> None:
        self._write()
        for product_id, plan in points.items():
            if product_id in self.store.products:
                product = self.store.products[product_id]
                product.reorder_point, product.reorder_quantity = plan or (None, None)

    async def stock_by_sku(self, skus: Sequence[str]) -> dict[str, tuple[int, int]]:
        wanted = set(skus)
        return {p.sku: (p.id, p.stock) for p in self.store.products.values() if p.sku in wanted}

    async def upsert_drafts(
        self, drafts: Sequence[ProductDraft], *, set_stock: bool = False
    ) -> tuple[int, int]:
        self._write()
        by_sku = {p.sku: p for p in self.store.products.values()}
        created = updated = 0
        problems: list[tuple[int, str]] = []
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
                for column, value in draft.supply.items():
                    setattr(product, column, value)
                self.store.products[product.id] = product
                by_sku[product.sku] = product
                created += 1
            elif set_stock and draft.stock < known.reserved:
                problems.append(
                    (
                        draft.line,
                        f"stock {draft.stock} is below the {known.reserved} units "
                        "reserved by unpaid orders",
                    )
                )
            else:
                if known.photo != draft.photo:
                    known.photo_file_id = None
                known.name, known.category_id, known.category_name = (
                    draft.name,
                    shelf.id,
                    shelf.name,
                )
                known.price, known.description = draft.price, draft.description
                if set_stock:  # otherwise on-hand stock is the inventory log's, not the file's
                    known.stock = draft.stock
                known.photo, known.low_stock_threshold, known.active = (
                    draft.photo,
                    draft.low_stock_threshold,
                    draft.active,
                )
                for column, value in draft.supply.items():  # only the file's supply columns
                    setattr(known, column, value)
                updated += 1
        if problems:
            raise CatalogImportError(errors=problems)
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
        saved = copy.deepcopy(checkout)
        saved.updated_at = saved.updated_at or _now()
        self.store.checkouts[checkout.customer_id] = saved

    async def save_if_unchanged(self, checkout: Checkout, read: Checkout) -> bool:
        self._write()
        stored = self.store.checkouts.get(read.customer_id)
        if (
            stored is None
            or read.updated_at is None
            or checkout.customer_id != read.customer_id
            or (stored.token, stored.step, stored.updated_at)
            != (read.token, read.step, read.updated_at)
        ):
            return False
        await self.save(checkout)
        return True


class FakeOrderRepository(_Repository):
    async def add(self, order: Order) -> int:
        self._write()
        for known in self.store.orders.values():
            if known.number == order.number or (
                order.checkout_token is not None and known.checkout_token == order.checkout_token
            ):
                raise self._refused()
            mine = (order.channel, order.channel_reference)
            if (
                order.channel_reference is not None
                and (known.channel, known.channel_reference) == mine
            ):
                raise self._refused()
        order_id = self.store.new_id()
        for line in order.lines:  # stored lines get ids, as order_lines rows do
            line.id = line.id or self.store.new_id()
        self.store.orders[order_id] = replace(
            copy.deepcopy(order),
            id=order_id,
            events=[],
            updated_at=order.updated_at or order.created_at,
        )
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
        stored = self.store.orders.get(order.id or 0)
        if stored is None or (expected is not None and stored.status != expected):
            return False
        stored.status = order.status
        stored.updated_at = order.updated_at or _now()
        return True

    async def add_event(self, order_id: int, event: OrderEvent) -> None:
        self._write()
        self.store.order_events.setdefault(order_id, []).append(copy.deepcopy(event))

    async def change_after_sales_open(self, order_id: int, delta: int) -> None:
        self._write()
        stored = self.store.orders.get(order_id)
        if stored is not None:
            stored.after_sales_open = max(stored.after_sales_open + delta, 0)

    async def events(self, order_id: int) -> list[OrderEvent]:
        events = self.store.order_events.get(order_id, [])
        return copy.deepcopy(sorted(events, key=lambda e: e.at))  # stable: ties keep insertion


class FakePromoRepository(_Repository):
    # Paid orders (storage/promotions.py PAID): the statuses whose money was received.
    PAID = frozenset(
        {OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED}
    )

    async def add(self, promo: PromoCode) -> int:
        self._write()
        if any(known.code == promo.code for known in self.store.promos.values()):
            raise self._refused()
        promo_id = self.store.new_id()
        self.store.promos[promo_id] = replace(copy.deepcopy(promo), id=promo_id)
        return promo_id

    async def get(self, code: str) -> PromoCode | None:
        for promo in self.store.promos.values():
            if promo.code == code:
                return copy.deepcopy(promo)
        return None

    async def get_by_id(self, promo_id: int) -> PromoCode | None:
        return copy.deepcopy(self.store.promos.get(promo_id))

    async def list(self) -> list[PromoCode]:
        promos = sorted(
            self.store.promos.values(),
            key=lambda p: (p.created_at or datetime.min.replace(tzinfo=UTC), p.id or 0),
            reverse=True,
        )
        return copy.deepcopy(promos)

    async def set_paused(self, promo_id: int, paused: bool) -> bool:
        self._write()
        promo = self.store.promos.get(promo_id)
        if promo is None or promo.paused == paused:
            return False
        promo.paused = paused
        return True

    async def redeem(
        self,
        promo_id: int,
        order_id: int,
        customer_id: int,
        at: datetime,
        phone: str | None = None,
    ) -> bool:
        self._write()
        promo = self.store.promos.get(promo_id)
        if promo is None or (promo.max_uses is not None and promo.uses >= promo.max_uses):
            return False
        if order_id in self.store.redemptions:
            raise self._refused()
        promo.uses += 1
        self.store.redemptions[order_id] = Redemption(
            promo_id, order_id, customer_id, at, phone=phone
        )
        return True

    async def customer_uses(self, promo_id: int, customer_id: int, phone: str | None = None) -> int:
        return sum(
            1
            for r in self.store.redemptions.values()
            if r.promo_id == promo_id
            and not r.returned
            and (r.phone == phone if phone is not None else r.customer_id == customer_id)
        )

    async def give_back(self, order_id: int, at: datetime) -> bool:
        found = self.store.redemptions.get(order_id)
        if found is None or found.returned:
            return False
        self._write()
        self.store.redemptions[order_id] = replace(found, returned=True)
        promo = self.store.promos[found.promo_id]
        promo.uses = max(promo.uses - 1, 0)
        return True

    async def stats(self, promo_id: int) -> PromoStats:
        currency = self.store.promos[promo_id].currency if promo_id in self.store.promos else "XXX"
        orders = [
            self.store.orders[r.order_id]
            for r in self.store.redemptions.values()
            if r.promo_id == promo_id and r.order_id in self.store.orders
        ]
        paid = [o for o in orders if o.status in self.PAID]
        return PromoStats(
            orders=len(orders),
            paid_orders=len(paid),
            revenue=Money(sum(o.total.amount for o in paid), currency),
            discount=Money(sum(o.discount_minor for o in paid), currency),
        )


class FakeOutboxRepository(_Repository):
    async def add(self, notification: Notification, at: datetime) -> None:
        self._write()
        if not has_chat(notification.chat_id):
            return  # a channel's customer: no Telegram chat to tell
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

    def _claimable(self, now: datetime, exclude_chats: Collection[int] = ()) -> list[int]:
        """Like the SQL query: due, free, the oldest pending row of a reachable chat."""
        heads: dict[int, int] = {}
        for row_id, entry in sorted(self.store.outbox.items()):
            if entry.sent_at is None and entry.failed_at is None:
                heads.setdefault(entry.notification.chat_id, row_id)
        found = []
        for chat_id, row_id in sorted(heads.items(), key=lambda item: item[1]):
            entry = self.store.outbox[row_id]
            customer = self.store.customers.get(chat_id)
            if (
                entry.next_attempt_at <= now
                and (entry.claimed_until is None or entry.claimed_until < now)
                and chat_id not in exclude_chats
                and (customer is None or customer.reachable)
            ):
                found.append(row_id)
        return found

    async def claim_due(
        self,
        now: datetime,
        limit: int,
        lease_seconds: float,
        *,
        exclude_chats: Collection[int] = (),
    ) -> list[Notification]:
        self._write()
        due = [
            (row_id, self.store.outbox[row_id]) for row_id in self._claimable(now, exclude_chats)
        ][:limit]
        claimed = []
        for row_id, entry in due:
            entry.claimed_until = now + timedelta(seconds=lease_seconds)
            entry.attempts += 1
            claimed.append(
                replace(copy.deepcopy(entry.notification), id=row_id, attempts=entry.attempts)
            )
        return claimed

    def _row(self, notification_id: int) -> OutboxEntry:
        """The row to change; a detached stand-in for an unknown id (SQL changes no row)."""
        self._write()
        return self.store.outbox.get(notification_id) or OutboxEntry(
            Notification(0, ""), datetime.min, datetime.min
        )

    async def mark_sent(self, notification_id: int, at: datetime) -> None:
        entry = self._row(notification_id)
        entry.sent_at, entry.claimed_until, entry.last_error = at, None, None

    async def waiting_chats(self, now: datetime, chat_ids: Collection[int]) -> set[int]:
        wanted = set(chat_ids)
        return {
            self.store.outbox[row_id].notification.chat_id
            for row_id in self._claimable(now)
            if self.store.outbox[row_id].notification.chat_id in wanted
        }

    async def retry_later(
        self, notification_id: int, error: str, at: datetime, *, counted: bool = True
    ) -> None:
        entry = self._row(notification_id)
        entry.next_attempt_at, entry.claimed_until, entry.last_error = at, None, error[:1000]
        if not counted:
            entry.attempts -= 1

    async def give_up(self, notification_id: int, error: str, at: datetime) -> None:
        entry = self._row(notification_id)
        entry.failed_at, entry.claimed_until, entry.last_error = at, None, error[:1000]

    async def hold(self, notification_id: int, error: str) -> None:
        entry = self._row(notification_id)
        entry.claimed_until, entry.last_error = None, error[:1000]
        entry.attempts -= 1

    async def release_all_claims(self) -> int:
        self._write()
        freed = 0
        for entry in self.store.outbox.values():
            if entry.sent_at is None and entry.failed_at is None and entry.claimed_until:
                entry.claimed_until, freed = None, freed + 1
        return freed

    async def release(self, notification_id: int) -> None:
        entry = self._row(notification_id)
        if entry.sent_at is None:
            entry.claimed_until = None
            entry.attempts -= 1

    async def pending_count(self) -> int:
        return sum(
            1 for e in self.store.outbox.values() if e.sent_at is None and e.failed_at is None
        )

    async def forget_done(self, sent_before: datetime, failed_before: datetime, limit: int) -> int:
        self._write()
        old = [
            row_id
            for row_id, e in sorted(self.store.outbox.items())
            if (e.sent_at is not None and e.sent_at < sent_before)
            or (e.sent_at is None and e.failed_at is not None and e.failed_at < failed_before)
        ][:limit]
        for row_id in old:
            del self.store.outbox[row_id]
        return len(old)


class FakeUnitOfWork:
    """One fake transaction: rolls back on exit unless `commit()` was called."""

    def __init__(self, factory: FakeUnitOfWorkFactory, *, readonly: bool = False) -> None:
        self.factory = factory
        self.store = factory.store
        self.readonly = readonly
        self.committed = False
        self._snapshot: dict[str, Any] | None = None
        # Typed as the ports, so mypy checks each fake against its protocol.
        self.customers: CustomerRepository = FakeCustomerRepository(self)
        self.products: ProductRepository = FakeProductRepository(self)
        self.carts: CartRepository = FakeCartRepository(self)
        self.addresses: AddressRepository = FakeAddressRepository(self)
        self.checkouts: CheckoutRepository = FakeCheckoutRepository(self)
        self.orders: OrderRepository = FakeOrderRepository(self)
        self.promos: PromoRepository = FakePromoRepository(self)
        self.outbox: OutboxRepository = FakeOutboxRepository(self)
        self.shipments: ShipmentRepository = FakeShipmentRepository(self)
        self.dialogs: DialogRepository = FakeDialogRepository(self)
        self.inventory: InventoryRepository = FakeInventoryRepository(self)
        self.backoffice: BackofficeRepository = FakeBackofficeRepository(self)
        self.payments: payment_records.PaymentRepository = FakePaymentRepository(self)
        self.tracking: TrackingRepository = FakeTrackingRepository(self)  # jobs
        self.sweeps: SweepRepository = FakeSweepRepository(self)  # jobs
        self.after_sales: AfterSalesRepository = FakeAfterSalesRepository(self)
        self.reviews: ReviewRepository = FakeReviewRepository(self)
        self.stock_watchers: StockWatchRepository = FakeStockWatchRepository(self)
        self.broadcasts: BroadcastRepository = FakeBroadcastRepository(self)  # marketing
        self.audit: AuditLog = FakeAuditLog(self)  # privacy
        self.search: OrderSearch = FakeOrderSearch(self)  # privacy
        self.personal: PersonalData = FakePersonalData(self)  # privacy: /mydata
        # The HTTP API's records (storage/api.py: adapter ports, not the domain's).
        self.api_keys: ApiKeyRepository = FakeApiKeyRepository(self)
        self.idempotency: IdempotencyRepository = FakeIdempotencyRepository(self)
        self.api_rates: RateWindowRepository = FakeRateWindowRepository(self)
        self.channels: ChannelRepository = FakeChannelRepository(self)  # other sales channels

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
        if self.readonly:  # RuntimeError, as storage/db.py raises
            raise RuntimeError("commit in a read-only unit of work")
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
        saved = copy.deepcopy(dialog)
        saved.updated_at = saved.updated_at or _now()
        self.store.merchant.dialogs[(dialog.chat_id, dialog.user_id)] = saved

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
        self.store.merchant.inventory[entry_id] = replace(
            copy.deepcopy(entry), id=entry_id, reason=entry.reason[:200]
        )
        return entry_id

    async def for_product(self, product_id: int, limit: int) -> list[InventoryEntry]:
        mine = [e for e in self.store.merchant.inventory.values() if e.product_id == product_id]
        mine.sort(key=lambda e: (e.at, e.id or 0), reverse=True)
        return copy.deepcopy(mine[:limit])


class FakeBackofficeRepository(_Repository):
    async def orders(
        self, statuses: Collection[OrderStatus] | None, page: Page, *, oldest_first: bool
    ) -> Paged[Order]:
        found = [o for o in self.store.orders.values() if statuses is None or o.status in statuses]
        found.sort(key=lambda o: (o.created_at, o.id or 0), reverse=not oldest_first)
        items = found[page.offset : page.offset + page.size]
        return Paged(copy.deepcopy(items), len(found), page)

    async def recent_orders(self, limit: int) -> list[Order]:
        found = sorted(
            self.store.orders.values(), key=lambda o: (o.created_at, o.id or 0), reverse=True
        )
        return copy.deepcopy(found[:limit])

    def _listing(self) -> list[Product]:
        # Like the SQL repository: shelves in their position (the order they were created).
        position = {category_id: n for n, category_id in enumerate(self.store.categories)}
        products = copy.deepcopy(list(self.store.products.values()))
        for product in products:
            product.category_name = self.store.categories[product.category_id].name
        products.sort(key=lambda p: (position[p.category_id], p.category_name, p.name, p.id))
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
            raise self._refused()
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
        if any(
            (r.request_id, r.payment_id if r.request_id is None else None)
            == (refund.request_id, refund.payment_id if refund.request_id is None else None)
            for r in self.data.refunds.values()
        ):
            raise DuplicateError()
        refund_id = self.store.new_id()
        self.data.refunds[refund_id] = replace(copy.deepcopy(refund), id=refund_id)
        return refund_id

    async def refund_of(self, payment_id: int) -> payment_records.Refund | None:
        for refund in self.data.refunds.values():
            if refund.payment_id == payment_id and refund.request_id is None:
                return copy.deepcopy(refund)
        return None

    async def refund_for_request(self, request_id: int) -> payment_records.Refund | None:
        found = next((r for r in self.data.refunds.values() if r.request_id == request_id), None)
        return copy.deepcopy(found)

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
        return copy.deepcopy(sorted(mine, key=lambda o: (o.created_at, o.id or 0))[:20])

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


# --- jobs and tracking ---


@dataclass
class JobsStore:
    """What the jobs keep: shipments' tracking state and their checkpoints."""

    states: dict[int, TrackingState] = field(default_factory=dict)
    polls: dict[int, int] = field(default_factory=dict)  # shipment id -> polls
    # (shipment id, key) -> the stored checkpoint, in insertion order
    checkpoints: dict[tuple[int, str], StoredCheckpoint] = field(default_factory=dict)
    checkpoint_orders: dict[tuple[int, str], int] = field(default_factory=dict)


class FakeTrackingRepository(_Repository):
    @property
    def data(self) -> JobsStore:
        return self.store.jobs

    def _tracked(self, shipment: Shipment) -> TrackedShipment:
        order = self.store.orders[shipment.order_id]
        state = self.data.states.get(shipment.id or 0)
        return TrackedShipment(
            shipment_id=shipment.id or 0,
            order_id=shipment.order_id,
            order_number=order.number,
            carrier_code=shipment.carrier_code,
            carrier_name=shipment.carrier_name,
            tracking_number=shipment.tracking_number,
            shipped_at=shipment.shipped_at,
            status=state.status if state else None,
            streak=state.streak if state else 0,
        )

    async def claim_due(
        self, now: datetime, limit: int, lease_seconds: float
    ) -> list[TrackedShipment]:
        self._write()

        def due(shipment: Shipment) -> bool:
            order = self.store.orders.get(shipment.order_id)
            if order is None or order.status != OrderStatus.SHIPPED:
                return False
            state = self.data.states.get(shipment.id or 0)
            if state is None:
                return True
            if state.status == TrackingStatus.DELIVERED:
                return False
            return state.next_poll_at is None or state.next_poll_at <= now

        def when(shipment: Shipment) -> tuple[datetime, int]:
            state = self.data.states.get(shipment.id or 0)
            at = state.next_poll_at if state and state.next_poll_at else shipment.shipped_at
            return at, shipment.id or 0

        found = sorted(filter(due, self.store.merchant.shipments.values()), key=when)[:limit]
        lease = now + timedelta(seconds=lease_seconds)
        for shipment in found:
            state = self.data.states.setdefault(shipment.id or 0, TrackingState(shipment.id or 0))
            state.next_poll_at = lease
        return [self._tracked(s) for s in sorted(found, key=lambda s: (s.shipped_at, s.id or 0))]

    async def latest_shipment(self, order_id: int) -> TrackedShipment | None:
        mine = [s for s in self.store.merchant.shipments.values() if s.order_id == order_id]
        if not mine:
            return None
        return self._tracked(max(mine, key=lambda s: (s.shipped_at, s.id or 0)))

    async def add_checkpoint(
        self,
        shipment_id: int,
        order_id: int,
        checkpoint: Checkpoint,
        *,
        source: str,
        actor: str,
        at: datetime,
    ) -> bool:
        self._write()
        key = (shipment_id, checkpoint.key)
        if key in self.data.checkpoints:
            return False
        self.data.checkpoints[key] = StoredCheckpoint(checkpoint, shipment_id, source, actor, at)
        self.data.checkpoint_orders[key] = order_id
        return True

    async def save_state(self, state: TrackingState, at: datetime) -> None:
        self._write()
        kept = replace(copy.deepcopy(state), polled=False)
        if state.polled:
            self.data.polls[state.shipment_id] = self.data.polls.get(state.shipment_id, 0) + 1
        else:
            known = self.data.states.get(state.shipment_id)
            kept.last_polled_at = known.last_polled_at if known else None
        self.data.states[state.shipment_id] = kept

    async def checkpoints(self, order_id: int) -> list[StoredCheckpoint]:
        mine = [
            stored
            for key, stored in self.data.checkpoints.items()
            if self.data.checkpoint_orders[key] == order_id
        ]
        return copy.deepcopy(sorted(mine, key=lambda c: c.checkpoint.at))


class FakeSweepRepository(_Repository):
    async def due_for_completion(self, delivered_before: datetime, limit: int) -> list[int]:
        due: list[tuple[datetime, int]] = []
        for order_id, order in self.store.orders.items():
            delivered = [
                e.at
                for e in self.store.order_events.get(order_id, [])
                if e.type == OrderEventType.DELIVERED
            ]
            if (
                order.status == OrderStatus.DELIVERED
                and order.after_sales_open <= 0
                and delivered
                and max(delivered) <= delivered_before
            ):
                due.append((max(delivered), order_id))
        return [order_id for _, order_id in sorted(due)][:limit]

    async def low_stock(self, sold_since: datetime, limit: int) -> list[tuple[Product, int]]:
        sold: dict[int, int] = {}
        day = sold_since.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        for order in self.store.orders.values():
            if order.status == OrderStatus.CANCELLED or order.created_at < day:
                continue
            for line in order.lines:
                sold[line.product_id] = sold.get(line.product_id, 0) + line.quantity
        low = [
            p
            for p in self.store.products.values()
            if p.active and p.low_mark > 0 and p.stock - p.reserved <= p.low_mark
        ]
        low.sort(key=lambda p: (p.stock - p.reserved - p.low_mark, p.name, p.id))
        found = []
        for product in low[:limit]:
            shown = copy.deepcopy(product)
            shown.category_name = self.store.categories[product.category_id].name
            found.append((shown, sold.get(product.id, 0)))
        return found


# --- after-sales and reviews ---


@dataclass
class AfterSalesStore:
    """What the after-sales feature and reviews keep."""

    requests: dict[int, AfterSalesRequest] = field(default_factory=dict)
    events: dict[int, list[AfterSalesEvent]] = field(default_factory=dict)
    drafts: dict[int, Draft] = field(default_factory=dict)
    reviews: dict[int, Review] = field(default_factory=dict)
    locks: list[int] = field(default_factory=list)  # order ids locked, in order


class FakeAfterSalesRepository(_Repository):
    @property
    def data(self) -> AfterSalesStore:
        return self.store.after_sales

    async def lock_order(self, order_id: int) -> None:
        self._write()
        self.data.locks.append(order_id)

    async def covered(self, order_id: int) -> dict[int, int]:
        found: dict[int, int] = {}
        for request in self.data.requests.values():
            if request.order_id != order_id or request.status == RequestStatus.DECLINED:
                continue
            for line in request.lines:
                found[line.order_line_id] = found.get(line.order_line_id, 0) + line.quantity
        return found

    async def number_taken(self, number: str) -> bool:
        return any(r.number == number for r in self.data.requests.values())

    async def add(self, request: AfterSalesRequest) -> int:
        self._write()
        if await self.number_taken(request.number):
            raise self._refused()
        request_id = self.store.new_id()
        stored = replace(
            copy.deepcopy(request),
            id=request_id,
            events=[],
            updated_at=request.updated_at or request.created_at,
        )
        order = self.store.orders.get(request.order_id)
        if order is not None:
            # Like the SQL repository: lines are described by the order lines they point at.
            sold = {line.id: line for line in order.lines}
            stored.order_number, stored.currency = order.number, order.currency
            stored.lines = [
                replace(
                    line,
                    product_id=sold[line.order_line_id].product_id,
                    sku=sold[line.order_line_id].sku,
                    name=sold[line.order_line_id].name,
                    unit_price=sold[line.order_line_id].unit_price,
                )
                if line.order_line_id in sold
                else line
                for line in stored.lines
            ]
        self.data.requests[request_id] = stored
        self.data.events[request_id] = []
        return request_id

    async def get(self, request_id: int) -> AfterSalesRequest | None:
        return copy.deepcopy(self.data.requests.get(request_id))

    async def get_by_number(self, number: str) -> AfterSalesRequest | None:
        found = next((r for r in self.data.requests.values() if r.number == number), None)
        return copy.deepcopy(found)

    async def for_order(self, order_id: int) -> list[AfterSalesRequest]:
        found = [r for r in self.data.requests.values() if r.order_id == order_id]
        return copy.deepcopy(sorted(found, key=lambda r: (r.created_at, r.id or 0)))

    async def for_customer(self, customer_id: int, page: Page) -> Paged[AfterSalesRequest]:
        found = [r for r in self.data.requests.values() if r.customer_id == customer_id]
        found.sort(key=lambda r: (r.created_at, r.id or 0), reverse=True)
        return Paged(copy.deepcopy(found[page.offset : page.offset + page.size]), len(found), page)

    async def listing(
        self, statuses: Collection[RequestStatus], page: Page
    ) -> Paged[AfterSalesRequest]:
        found = [r for r in self.data.requests.values() if r.status in statuses]
        found.sort(key=lambda r: (r.created_at, r.id or 0))
        return Paged(copy.deepcopy(found[page.offset : page.offset + page.size]), len(found), page)

    async def count_by_status(
        self, statuses: Collection[RequestStatus]
    ) -> dict[RequestStatus, int]:
        counts: dict[RequestStatus, int] = {}
        for request in self.data.requests.values():
            if request.status in statuses:
                counts[request.status] = counts.get(request.status, 0) + 1
        return counts

    async def save(self, request: AfterSalesRequest, expected: RequestStatus) -> bool:
        self._write()
        stored = self.data.requests.get(request.id or 0)
        if stored is None or stored.status != expected:
            return False
        for name in ("status", "decline_reason", "disposition", "returned", "shipped"):
            setattr(stored, name, copy.deepcopy(getattr(request, name)))
        stored.updated_at = request.updated_at or _now()
        return True

    async def add_event(self, request_id: int, event: AfterSalesEvent) -> None:
        self._write()
        self.data.events.setdefault(request_id, []).append(copy.deepcopy(event))

    async def events(self, request_id: int) -> list[AfterSalesEvent]:
        events = self.data.events.get(request_id, [])
        return copy.deepcopy(sorted(events, key=lambda e: e.at))

    async def orders_with_open(self, page: Page) -> Paged[Order]:
        found = [o for o in self.store.orders.values() if o.after_sales_open > 0]
        found.sort(key=lambda o: (o.created_at, o.id or 0))
        return Paged(copy.deepcopy(found[page.offset : page.offset + page.size]), len(found), page)

    async def get_draft(self, customer_id: int, *, for_update: bool = False) -> Draft | None:
        if for_update:
            self._write()
        return copy.deepcopy(self.data.drafts.get(customer_id))

    async def save_draft(self, draft: Draft) -> None:
        self._write()
        saved = copy.deepcopy(draft)
        saved.updated_at = saved.updated_at or _now()
        self.data.drafts[draft.customer_id] = saved

    async def delete_draft(self, customer_id: int, token: str | None = None) -> bool:
        self._write()
        known = self.data.drafts.get(customer_id)
        if known is None or (token is not None and known.token != token):
            return False
        del self.data.drafts[customer_id]
        return True


class FakeReviewRepository(_Repository):
    async def get(self, order_id: int, customer_id: int) -> Review | None:
        found = next(
            (
                r
                for r in self.store.after_sales.reviews.values()
                if (r.order_id, r.customer_id) == (order_id, customer_id)
            ),
            None,
        )
        return copy.deepcopy(found)

    async def save(self, review: Review) -> int:
        self._write()
        known = await self.get(review.order_id, review.customer_id)
        if known is not None and known.id is not None:
            stored = self.store.after_sales.reviews[known.id]
            stored.rating, stored.comment = review.rating, review.comment
            stored.updated_at = review.updated_at
            return known.id
        review_id = self.store.new_id()
        self.store.after_sales.reviews[review_id] = replace(copy.deepcopy(review), id=review_id)
        return review_id

    def _entry(self, review: Review) -> ReviewEntry:
        order = self.store.orders[review.order_id]
        customer = self.store.customers.get(review.customer_id)
        return ReviewEntry(
            id=review.id or 0,
            number=order.number,
            customer_id=review.customer_id,
            customer=customer.first_name if customer else str(review.customer_id),
            rating=review.rating,
            comment=review.comment,
            reply=review.reply,
            created_at=review.created_at,
            products=[line.name for line in order.lines],
        )

    def _newest(self, product_id: int | None) -> list[Review]:
        found = [
            r
            for r in self.store.after_sales.reviews.values()
            if product_id is None
            or any(line.product_id == product_id for line in self.store.orders[r.order_id].lines)
        ]
        return sorted(found, key=lambda r: (r.created_at, r.id or 0), reverse=True)

    async def entries(
        self, *, product_id: int | None, max_rating: int | None, offset: int, limit: int
    ) -> tuple[list[ReviewEntry], int]:
        found = [
            r for r in self._newest(product_id) if max_rating is None or r.rating <= max_rating
        ]
        return [self._entry(r) for r in found[offset : offset + limit]], len(found)

    async def entries_near(
        self, *, product_id: int | None, max_rating: int | None, page: Page
    ) -> Paged[ReviewEntry]:
        """The keyset page as storage/reviews.py finds it, over the list in memory."""
        assert page.seek is not None
        found = [
            r for r in self._newest(product_id) if max_rating is None or r.rating <= max_rating
        ]
        size, total = page.size, len(found)

        def paged(rows: list[Review], before: bool, after: bool) -> Paged[ReviewEntry]:
            entries = [self._entry(r) for r in rows]
            return keyset_page(entries, total, page, before=before, after=after)

        key = self.store.after_sales.reviews.get(page.seek.key)
        if key is None:
            return paged(found[:size], False, total > size)
        place = (key.created_at, key.id or 0)
        newer = [r for r in found if (r.created_at, r.id or 0) > place]
        older = [r for r in found if (r.created_at, r.id or 0) < place]
        listed = key in found
        if page.seek.toward == Toward.BEFORE:
            if len(newer) <= size:
                return paged(found[:size], False, total > size)
            return paged(newer[-size:], True, listed or bool(older))
        before = bool(newer) or (listed and page.seek.toward == Toward.AFTER)
        if page.seek.toward == Toward.FROM and listed:
            older = [key, *older]
        if not older and before:
            return paged(found[-size:], total > size, False)
        return paged(older[:size], before, len(older) > size)

    async def entry(self, review_id: int) -> ReviewEntry | None:
        review = self.store.after_sales.reviews.get(review_id)
        return self._entry(review) if review is not None else None

    async def set_reply(self, review_id: int, text: str, at: datetime, actor: str) -> bool:
        self._write()
        review = self.store.after_sales.reviews.get(review_id)
        if review is None or review.reply is not None:
            return False
        review.reply, review.replied_at = text, at
        return True

    async def product_comments(self, product_id: int, limit: int) -> list[ProductComment]:
        found = []
        for review in self._newest(product_id):
            if review.comment:
                customer = self.store.customers.get(review.customer_id)
                name = customer.first_name if customer else ""
                found.append(ProductComment(review.rating, review.comment, name, review.created_at))
        return found[:limit]


# --- privacy: the audit log and finding orders ---


class FakeAuditLog(_Repository):
    async def append(self, entry: AuditEntry) -> None:
        self._write()
        self.store.audit.append(copy.deepcopy(entry))

    async def latest(self, page: Page, which: AuditFilter) -> Paged[AuditEntry]:
        found = [
            e
            for e in reversed(self.store.audit)
            if (which.order_id is None or e.order_id == which.order_id)
            and (which.product_id is None or e.product_id == which.product_id)
            and (which.actor is None or e.actor == which.actor)
        ]
        items = found[page.offset : page.offset + page.size]
        return Paged(copy.deepcopy(items), len(found), page)


class FakeOrderSearch(_Repository):
    """What the blind index finds, computed from the stored orders (storage/privacy.py)."""

    async def orders(self, text: str, limit: int) -> list[int]:
        text = text.strip()
        found = {o.id for o in self.store.orders.values() if o.number == text.upper()}
        found |= {
            s.order_id for s in self.store.merchant.shipments.values() if s.tracking_number == text
        }
        for order in self.store.orders.values():
            customer = self.store.customers.get(order.customer_id)
            if self._matches(text, order, customer):
                found.add(order.id)
        return sorted((i for i in found if i is not None), reverse=True)[:limit]

    @staticmethod
    def _matches(text: str, order: Order, customer: Customer | None) -> bool:
        if set(text) <= set("+-() .0123456789０１２３４５６７８９") and phone_key(text):
            wanted, digits = phone_digits(text), phone_digits(order.phone or "")
            if not phone_key(digits) or phone_key(digits) != phone_key(wanted):
                return False
            shorter = min(len(digits), len(wanted))
            return digits[-shorter:] == wanted[-shorter:]
        if text.startswith("@") and len(text) > 1:
            name = customer.username if customer else None
            return bool(name) and username_key(name or "") == username_key(text)
        words = name_words(text)
        if len(words) > 1:
            words.discard(max(words, key=len))
        if not words:
            return False
        have = name_words(order.recipient or "") | name_words(
            customer.first_name if customer else ""
        )
        return words <= have


class FakePersonalData(_Repository):
    """A customer's data as a whole, as storage/privacy.py's SqlPersonalData."""

    async def addresses(self, customer_id: int) -> list[Address]:
        mine = [a for a in self.store.addresses.values() if a.customer_id == customer_id]
        return copy.deepcopy(sorted(mine, key=lambda a: a.id, reverse=True))

    async def erase(self, customer_id: int, placeholder: str, at: datetime) -> Erasure:
        self._write()
        store = self.store
        customer = store.customers.get(customer_id)
        if customer is not None:
            customer.first_name, customer.username = placeholder, None
        addresses = [i for i, a in store.addresses.items() if a.customer_id == customer_id]
        for address_id in addresses:
            del store.addresses[address_id]
        store.checkouts.pop(customer_id, None)
        store.verified_phones.pop(customer_id, None)
        for key in [k for k in store.marketing.watchers if k[0] == customer_id]:
            del store.marketing.watchers[key]
        store.after_sales.drafts.pop(customer_id, None)
        orders = [o for o in store.orders.values() if o.customer_id == customer_id]
        for order in orders:  # the blind index is computed from these (FakeOrderSearch)
            order.recipient = order.phone = order.address_text = placeholder
        requests = [r for r in store.after_sales.requests.values() if r.customer_id == customer_id]
        for request in requests:
            request.details, request.photos = None, []
        reviews = [r for r in store.after_sales.reviews.values() if r.customer_id == customer_id]
        for review in reviews:
            review.comment = review.reply = None
        messages = [e for e in store.outbox.values() if e.notification.chat_id == customer_id]
        for entry in messages:
            entry.notification = replace(entry.notification, params={})
            if entry.sent_at is None and entry.failed_at is None:
                entry.failed_at, entry.claimed_until = at, None
                entry.last_error = "personal data erased"
        return Erasure(
            orders=len(orders),
            addresses=len(addresses),
            requests=len(requests),
            reviews=len(reviews),
            messages=len(messages),
        )


# --- other sales channels ---


class FakeChannelRepository(_Repository):
    async def by_reference(self, channel: str, reference: str) -> Order | None:
        for order in self.store.orders.values():
            if (order.channel, order.channel_reference) == (channel, reference):
                return copy.deepcopy(order)
        return None

    async def changed_since(
        self, since: datetime, after: tuple[datetime, int] | None, limit: int
    ) -> list[Order]:
        def key(order: Order) -> tuple[datetime, int]:
            return (order.updated_at or order.created_at, order.id or 0)

        found = sorted(
            (
                o
                for o in self.store.orders.values()
                if key(o)[0] >= since and (after is None or key(o) > after)
            ),
            key=key,
        )
        return copy.deepcopy(found[:limit])

    async def customer_with_phone(self, phone: str) -> int | None:
        found = [c for c, verified in self.store.verified_phones.items() if verified == phone]
        return found[0] if found else None

    async def ensure_channel_customer(self, customer_id: int, name: str) -> None:
        self._write()
        if customer_id not in self.store.customers:
            self.store.customers[customer_id] = Customer(
                id=customer_id, first_name=name, reachable=False, optional_messages=False
            )


# --- marketing (issue 16) ---


@dataclass
class Subscription:
    """A back-in-stock subscription as the SQL table keeps it."""

    id: int
    created_at: datetime
    notified_at: datetime | None = None


@dataclass
class MarketingStore:
    """Back-in-stock subscriptions by (customer, product); broadcasts; their recipients."""

    watchers: dict[tuple[int, int], Subscription] = field(default_factory=dict)
    broadcasts: dict[int, Broadcast] = field(default_factory=dict)
    recipients: dict[tuple[int, int], Outcome] = field(default_factory=dict)


class FakeStockWatchRepository(_Repository):
    async def watch(self, customer_id: int, product_id: int, at: datetime) -> bool:
        self._write()
        found = self.store.marketing.watchers.get((customer_id, product_id))
        if found is not None and found.notified_at is None:
            return False
        sub_id = found.id if found is not None else self.store.new_id()
        self.store.marketing.watchers[(customer_id, product_id)] = Subscription(sub_id, at)
        return True

    async def unwatch(self, customer_id: int, product_id: int) -> bool:
        self._write()
        found = self.store.marketing.watchers.get((customer_id, product_id))
        if found is None or found.notified_at is not None:
            return False
        del self.store.marketing.watchers[(customer_id, product_id)]
        return True

    async def is_watching(self, customer_id: int, product_id: int) -> bool:
        found = self.store.marketing.watchers.get((customer_id, product_id))
        return found is not None and found.notified_at is None

    async def take_waiting(self, product_ids: Collection[int], at: datetime) -> list[Watcher]:
        self._write()
        taken = []
        for (customer_id, product_id), sub in self.store.marketing.watchers.items():
            product = self.store.products.get(product_id)
            if (
                product_id in product_ids
                and sub.notified_at is None
                and product is not None
                and product.active
                and product.stock > product.reserved
            ):
                sub.notified_at = at
                customer = self.store.customers.get(customer_id)
                language = customer.effective_language if customer else Language.EN
                taken.append(
                    (product_id, sub.id, Watcher(customer_id, product_id, sub.created_at, language))
                )
        return [watcher for _, _, watcher in sorted(taken, key=lambda t: (t[0], t[1]))]


class FakeBroadcastRepository(_Repository):
    async def add(self, broadcast: Broadcast) -> int:
        self._write()
        broadcast_id = self.store.new_id()
        self.store.marketing.broadcasts[broadcast_id] = replace(
            copy.deepcopy(broadcast),
            id=broadcast_id,
            queued=0,
            sent=0,
            failed=0,
            blocked=0,
            skipped=0,
        )
        return broadcast_id

    async def get(self, broadcast_id: int) -> Broadcast | None:
        return copy.deepcopy(self.store.marketing.broadcasts.get(broadcast_id))

    async def set_card(self, broadcast_id: int, chat_id: int, message_id: int) -> None:
        self._write()
        found = self.store.marketing.broadcasts.get(broadcast_id)
        if found is not None:
            found.card_chat_id, found.card_message_id = chat_id, message_id

    async def recent(self, limit: int) -> list[Broadcast]:
        found = sorted(self.store.marketing.broadcasts.values(), key=lambda b: -(b.id or 0))
        return copy.deepcopy(found[:limit])

    async def unfinished(self) -> list[Broadcast]:
        found = sorted(
            (
                b
                for b in self.store.marketing.broadcasts.values()
                if b.status != BroadcastStatus.DONE
            ),
            key=lambda b: b.id or 0,
        )
        return copy.deepcopy(found)

    async def customer_count(self) -> int:
        return len(self.store.customers)

    async def customer_ids_after(self, cursor: int, limit: int) -> list[int]:
        return sorted(c for c in self.store.customers if c > cursor)[:limit]

    async def recipients(self, customer_ids: Sequence[int]) -> list[Recipient]:
        return [
            Recipient(c.id, c.effective_language, c.optional_messages, c.reachable)
            for c in sorted(self.store.customers.values(), key=lambda c: c.id)
            if c.id in set(customer_ids)
        ]

    async def add_recipients(self, broadcast_id: int, outcomes: Mapping[int, Outcome]) -> set[int]:
        self._write()
        new = set()
        for customer_id, outcome in outcomes.items():
            if (broadcast_id, customer_id) not in self.store.marketing.recipients:
                self.store.marketing.recipients[(broadcast_id, customer_id)] = outcome
                new.add(customer_id)
        return new

    async def advance(
        self,
        broadcast_id: int,
        cursor_from: int,
        cursor_to: int,
        counts: Mapping[Outcome, int],
        fanned_out_at: datetime | None,
    ) -> bool:
        self._write()
        found = self.store.marketing.broadcasts.get(broadcast_id)
        if (
            found is None
            or found.status != BroadcastStatus.FANNING_OUT
            or found.cursor != cursor_from
        ):
            return False
        found.cursor = cursor_to
        for outcome, n in counts.items():
            setattr(found, outcome.value, getattr(found, outcome.value) + n)
        if fanned_out_at is not None:
            found.fanned_out_at, found.status = fanned_out_at, BroadcastStatus.DELIVERING
        return True

    async def record_outcome(self, broadcast_id: int, customer_id: int, outcome: Outcome) -> bool:
        self._write()
        key = (broadcast_id, customer_id)
        if self.store.marketing.recipients.get(key) != Outcome.QUEUED:
            return False
        self.store.marketing.recipients[key] = outcome
        found = self.store.marketing.broadcasts[broadcast_id]
        setattr(found, outcome.value, getattr(found, outcome.value) + 1)
        return True

    async def settle_stalled(self, broadcast_id: int, at: datetime) -> dict[Outcome, int]:
        self._write()
        rows = {
            e.notification.dedupe_key: e
            for e in self.store.outbox.values()
            if e.notification.dedupe_key is not None
        }
        settled: dict[Outcome, int] = {}
        for (b, customer_id), outcome in list(self.store.marketing.recipients.items()):
            if b != broadcast_id or outcome != Outcome.QUEUED:
                continue
            row = rows.get(f"broadcast:{broadcast_id}:{customer_id}")
            customer = self.store.customers.get(customer_id)
            if row is not None and row.sent_at is not None:
                decided = Outcome.SENT
            elif row is None or row.failed_at is not None:
                decided = Outcome.FAILED
            elif customer is not None and not customer.reachable:
                decided = Outcome.BLOCKED
                row.failed_at, row.claimed_until = at, None
                row.last_error = "blocked: broadcast not held"
            else:
                continue
            self.store.marketing.recipients[(broadcast_id, customer_id)] = decided
            found = self.store.marketing.broadcasts[broadcast_id]
            setattr(found, decided.value, getattr(found, decided.value) + 1)
            settled[decided] = settled.get(decided, 0) + 1
        return settled

    async def forget_recipients(self, finished_before: datetime, limit: int) -> int:
        self._write()
        done = {
            b.id
            for b in self.store.marketing.broadcasts.values()
            if b.status == BroadcastStatus.DONE
            and b.finished_at is not None
            and b.finished_at < finished_before
        }
        gone = [key for key in self.store.marketing.recipients if key[0] in done][:limit]
        for key in gone:
            del self.store.marketing.recipients[key]
        return len(gone)

    async def finish(self, broadcast_id: int, at: datetime) -> bool:
        self._write()
        found = self.store.marketing.broadcasts.get(broadcast_id)
        pending = any(
            b == broadcast_id and o == Outcome.QUEUED
            for (b, _), o in self.store.marketing.recipients.items()
        )
        if found is None or found.status != BroadcastStatus.DELIVERING or pending:
            return False
        found.status, found.finished_at = BroadcastStatus.DONE, at
        return True


# --- the HTTP API's records (storage/api.py) ---


@dataclass
class ApiStore:
    """API keys (name -> (key, hash)), Idempotency-Keys and rate windows."""

    keys: dict[str, tuple[ApiKey, str]] = field(default_factory=dict)
    answers: dict[tuple[str, str], StoredAnswer] = field(default_factory=dict)
    windows: dict[tuple[str, datetime], int] = field(default_factory=dict)


class FakeApiKeyRepository(_Repository):
    async def add(self, key: ApiKey, key_hash: str) -> bool:
        self._write()
        if key.name in self.store.api.keys:
            return False
        self.store.api.keys[key.name] = (key, key_hash)
        return True

    async def by_hash(self, key_hash: str) -> ApiKey | None:
        return next((k for k, h in self.store.api.keys.values() if h == key_hash), None)

    async def revoke(self, name: str, at: datetime) -> bool:
        self._write()
        found = self.store.api.keys.get(name)
        if found is None or found[0].revoked_at is not None:
            return False
        self.store.api.keys[name] = (replace(found[0], revoked_at=at), found[1])
        return True

    async def listed(self) -> list[ApiKey]:
        return [self.store.api.keys[name][0] for name in sorted(self.store.api.keys)]

    async def touch(self, name: str, at: datetime) -> None:
        self._write()
        found = self.store.api.keys.get(name)
        if found is not None:
            self.store.api.keys[name] = (replace(found[0], last_used_at=at), found[1])


class FakeIdempotencyRepository(_Repository):
    async def claim(
        self,
        key_name: str,
        idempotency_key: str,
        request_hash: str,
        at: datetime,
        stale_before: datetime,
    ) -> StoredAnswer | None:
        self._write()
        found = self.store.api.answers.get((key_name, idempotency_key))
        abandoned = (
            found is not None
            and found.status is None
            and found.request_hash == request_hash
            and found.created_at < stale_before
        )
        if found is not None and not abandoned:
            return copy.deepcopy(found)
        self.store.api.answers[(key_name, idempotency_key)] = StoredAnswer(
            request_hash, None, None, at
        )
        return None

    async def finish(
        self, key_name: str, idempotency_key: str, status: int, response: dict[str, Any]
    ) -> None:
        self._write()
        found = self.store.api.answers.get((key_name, idempotency_key))
        if found is not None:
            kept = replace(found, status=status, response=copy.deepcopy(response))
            self.store.api.answers[(key_name, idempotency_key)] = kept

    async def release(self, key_name: str, idempotency_key: str) -> None:
        self._write()
        self.store.api.answers.pop((key_name, idempotency_key), None)

    async def forget_before(self, before: datetime, limit: int) -> int:
        self._write()
        old = sorted(
            (a.created_at, k) for k, a in self.store.api.answers.items() if a.created_at < before
        )[:limit]
        for _, key in old:
            del self.store.api.answers[key]
        return len(old)


class FakeRateWindowRepository(_Repository):
    async def hit(self, key_name: str, window_start: datetime) -> int:
        self._write()
        windows = self.store.api.windows
        windows[(key_name, window_start)] = windows.get((key_name, window_start), 0) + 1
        return windows[(key_name, window_start)]

    async def forget_before(self, before: datetime, limit: int) -> int:
        self._write()
        old = sorted(k for k in self.store.api.windows if k[1] < before)[:limit]
        for key in old:
            del self.store.api.windows[key]
        return len(old)
