"""The unit of work: one transaction over every repository. `storage/` implements it."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from domain.after_sales.records import AfterSalesRepository
from domain.cart.model import CartRepository
from domain.catalog.model import ProductRepository
from domain.catalog.stock import InventoryRepository
from domain.checkout.model import AddressRepository, CheckoutRepository
from domain.merchant.backoffice import BackofficeRepository
from domain.orders.model import OrderRepository
from domain.orders.sweeps import SweepRepository
from domain.payments.records import PaymentRepository
from domain.reviews.service import ReviewRepository
from domain.shared.customers import CustomerRepository
from domain.shared.dialogs import DialogRepository
from domain.shared.notifications import OutboxRepository
from domain.shipping.carriers import ShipmentRepository
from domain.shipping.tracking_records import TrackingRepository


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
