"""What the domain needs from persistence. `storage/` implements these; tests may fake them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from domain.after_sales_records import AfterSalesRepository
from domain.backoffice import BackofficeRepository
from domain.catalog import ProductDraft
from domain.checkout import Checkout
from domain.dialogs import DialogRepository
from domain.inventory import InventoryRepository
from domain.lifecycle import OrderStatus
from domain.model import (
    Address,
    Cart,
    Category,
    Customer,
    Notification,
    Order,
    OrderEvent,
    Page,
    Paged,
    Product,
)
from domain.payment_records import PaymentRepository
from domain.reviews import ReviewRepository
from domain.shipping import ShipmentRepository
from domain.sweeps import SweepRepository
from domain.tracking_records import TrackingRepository


class CustomerRepository(Protocol):
    async def get(self, customer_id: int) -> Customer | None: ...
    async def upsert(self, customer: Customer) -> None: ...
    async def set_language(self, customer_id: int, language: str | None) -> None: ...
    async def set_reachable(self, customer_id: int, reachable: bool) -> None: ...


class ProductRepository(Protocol):
    async def get(self, product_id: int) -> Product | None: ...
    async def categories(self) -> list[Category]: ...
    async def category(self, category_id: int) -> Category | None: ...
    async def in_category(self, category_id: int, page: Page) -> Paged[Product]: ...
    async def search(self, words: str, page: Page) -> Paged[Product]: ...
    async def reserve(self, product_id: int, quantity: int) -> bool:
        """Atomically hold `quantity` units if that many are available; False if not."""

    async def release(self, product_id: int, quantity: int) -> None:
        """Give reserved units back to sale (order cancelled or expired before payment)."""

    async def commit_reserved(self, product_id: int, quantity: int) -> None:
        """Reserved units leave the shelf for good (order paid, or a COD order shipped)."""

    async def restock(self, product_id: int, quantity: int) -> None:
        """Units come back on the shelf (a paid order cancelled, or goods returned)."""

    async def set_photo_file_id(self, product_id: int, file_id: str) -> None: ...
    async def upsert_drafts(self, drafts: Sequence[ProductDraft]) -> tuple[int, int]:
        """Create or update products by SKU; returns (created, updated)."""


class CartRepository(Protocol):
    async def get(self, customer_id: int) -> Cart: ...
    async def set_quantity(self, customer_id: int, product_id: int, quantity: int) -> None: ...
    async def remove(self, customer_id: int, product_id: int) -> bool: ...
    async def clear(self, customer_id: int) -> None: ...


class AddressRepository(Protocol):
    async def list(self, customer_id: int) -> list[Address]: ...
    async def get(self, address_id: int) -> Address | None: ...
    async def add(self, address: Address) -> int: ...
    async def count(self, customer_id: int) -> int: ...


class CheckoutRepository(Protocol):
    async def get(self, customer_id: int, *, for_update: bool = False) -> Checkout | None:
        """The customer's checkout; `for_update` locks the row until the transaction ends."""

    async def save(self, checkout: Checkout) -> None: ...


class OrderRepository(Protocol):
    async def add(self, order: Order) -> int:
        """Insert the order with its lines; raises DuplicateError if its checkout token is used."""

    async def get_by_number(self, number: str) -> Order | None: ...
    async def get(self, order_id: int) -> Order | None: ...
    async def number_taken(self, number: str) -> bool: ...
    async def list_for_customer(self, customer_id: int, page: Page) -> Paged[Order]: ...
    async def save_status(self, order: Order, expected: OrderStatus | None = None) -> bool:
        """Store the order's status; with `expected`, only if the stored one still equals it."""

    async def add_event(self, order_id: int, event: OrderEvent) -> None: ...
    async def change_after_sales_open(self, order_id: int, delta: int) -> None:
        """Count an after-sales request opened (+1) or closed (-1) on the order."""

    async def events(self, order_id: int) -> list[OrderEvent]: ...


class OutboxRepository(Protocol):
    async def add(self, notification: Notification, at: datetime) -> None: ...
    async def claim_due(
        self,
        now: datetime,
        limit: int,
        lease_seconds: float,
        *,
        exclude_chats: Collection[int] = (),
    ) -> list[Notification]:
        """Take up to `limit` due rows for this runner, oldest first, leased so no other runner
        sends them meanwhile. Per chat only its oldest pending row can be taken (a chat's rows
        go out in order), never for an unreachable customer or a chat in `exclude_chats`."""

    async def waiting_chats(self, now: datetime, chat_ids: Collection[int]) -> set[int]:
        """Those of `chat_ids` whose oldest pending row is due and free (the dispatcher skipped
        them for pacing and asks whether to wait for them)."""

    async def mark_sent(self, notification_id: int, at: datetime) -> None: ...
    async def retry_later(
        self, notification_id: int, error: str, at: datetime, *, counted: bool = True
    ) -> None:
        """Send again at `at`; `counted=False` does not count the attempt (Telegram said to
        wait: a flood limit is not the message's fault)."""

    async def give_up(self, notification_id: int, error: str, at: datetime) -> None: ...
    async def hold(self, notification_id: int, error: str) -> None:
        """Put a claimed row back, uncounted, until its chat is reachable again."""

    async def release(self, notification_id: int) -> None:
        """Put a claimed row back, uncounted (it was not sent: the runner stopped)."""

    async def pending_count(self) -> int: ...


class UnitOfWork(Protocol):
    """One transaction. Rolls back unless `commit()` is called; repositories never commit."""

    customers: CustomerRepository
    products: ProductRepository
    carts: CartRepository
    addresses: AddressRepository
    checkouts: CheckoutRepository
    orders: OrderRepository
    outbox: OutboxRepository
    shipments: ShipmentRepository  # merchant (admin chat)
    dialogs: DialogRepository  # merchant (admin chat)
    inventory: InventoryRepository  # merchant (admin chat)
    backoffice: BackofficeRepository  # merchant (admin chat)
    payments: PaymentRepository  # payments (domain/payments.py)
    tracking: TrackingRepository  # jobs and tracking (domain/tracking.py)
    sweeps: SweepRepository  # jobs and tracking (domain/completion.py, stock_report.py)
    after_sales: AfterSalesRepository  # after-sales (domain/after_sales.py)
    reviews: ReviewRepository  # reviews (domain/reviews.py)

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    """Opens units of work; `readonly=True` promises no writes (lets SQLite read concurrently)."""

    def __call__(self, *, readonly: bool = False) -> UnitOfWork: ...
