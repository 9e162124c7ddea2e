"""The after-sales unit of work: requests refund payments and ship replacements."""

from __future__ import annotations

from typing import Protocol

from domain.after_sales.records import AfterSalesRepository
from domain.checkout.ports import CheckoutUnitOfWork
from domain.payments.ports import PaymentsUnitOfWork
from domain.shipping.ports import ShippingUnitOfWork


class AfterSalesUnitOfWork(PaymentsUnitOfWork, ShippingUnitOfWork, Protocol):
    """The after-sales unit of work."""

    @property
    def after_sales(self) -> AfterSalesRepository: ...


class WaitingUnitOfWork(AfterSalesUnitOfWork, CheckoutUnitOfWork, Protocol):
    """What a typed message may answer: the after-sales drafts, the dialogs of the chats
    (shared) and the checkouts."""
