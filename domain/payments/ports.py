"""The payments' unit of work."""

from __future__ import annotations

from typing import Protocol

from domain.orders.ports import OrdersUnitOfWork
from domain.payments.records import PaymentRepository


class PaymentsUnitOfWork(OrdersUnitOfWork, Protocol):
    """The payments' unit of work."""

    @property
    def payments(self) -> PaymentRepository: ...
