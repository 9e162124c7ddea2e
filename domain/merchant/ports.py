"""The merchant's unit of work: everything the admin chat acts on."""

from __future__ import annotations

from typing import Protocol

from domain.after_sales.ports import AfterSalesUnitOfWork


class MerchantUnitOfWork(AfterSalesUnitOfWork, Protocol):
    """The merchant's unit of work."""
