"""Finding orders and people, and the audit log, for the admin chat (issue 12).

`find_orders` looks an order up by its number, and otherwise asks the blind index (tracking
number, phone, @username, name words); `audit` lists the latest entries of the audit log,
optionally about one order or product, or by one admin."""

from __future__ import annotations

from dataclasses import dataclass

from domain.orders.model import Order
from domain.privacy.ports import PrivacyUnitOfWork
from domain.shared.audit import AuditEntry, AuditFilter
from domain.shared.clock import Clock
from domain.shared.customers import admin_actor
from domain.shared.errors import NotFoundError
from domain.shared.numbers import normalize_order_number
from domain.shared.paging import Page, Paged, Seek
from domain.shared.ports import UnitOfWorkFactory

FIND_MIN = 2  # characters: a two-character Chinese name is a name
FIND_MAX = 100  # orders one search lists at most (newest first)


class FindTooShortError(ValueError):
    """Too little text to search for."""


@dataclass(frozen=True)
class AuditQuery:
    """What /audit was asked for: everything, or one order, product (by SKU) or admin."""

    order_number: str | None = None
    sku: str | None = None
    admin_id: int | None = None


class Privacy:
    """The admin chat's search and audit log."""

    def __init__(
        self, uow: UnitOfWorkFactory[PrivacyUnitOfWork], clock: Clock, page_size: int = 6
    ) -> None:
        self._uow = uow
        self._clock = clock
        self.page_size = page_size

    async def find_orders(self, text: str, page: int) -> Paged[Order]:
        """A page of the orders `text` finds, newest first."""
        text = " ".join(text.split())
        if len(text) < FIND_MIN:
            raise FindTooShortError(text)
        where = Page(max(page, 0), self.page_size)
        async with self._uow(readonly=True) as uow:
            ids: list[int] = []
            number = normalize_order_number(text)
            if number is not None:
                order = await uow.orders.get_by_number(number)
                if order is not None and order.id is not None:
                    ids.append(order.id)
            ids += [i for i in await uow.search.orders(text, FIND_MAX) if i not in ids]
            ids = ids[:FIND_MAX]
            if where.offset >= len(ids) and where.number > 0:
                where = Page(0, self.page_size)
            found = []
            for order_id in ids[where.offset : where.offset + where.size]:
                order = await uow.orders.get(order_id)
                if order is not None:
                    found.append(order)
        return Paged(found, len(ids), where)

    async def audit(
        self, query: AuditQuery, page: int, seek: Seek | None = None
    ) -> Paged[AuditEntry]:
        """A page of the latest audit entries `query` selects: the first, or (`seek`) the one
        next to an entry of the page shown, called page `page` (keyset paging: as cheap deep
        in a long log as at its start). NotFoundError for an unknown order or SKU."""
        where = Page(max(page, 0), self.page_size, seek)
        async with self._uow(readonly=True) as uow:
            which = AuditFilter()
            if query.order_number is not None:
                number = normalize_order_number(query.order_number)
                order = await uow.orders.get_by_number(number) if number else None
                if order is None or order.id is None:
                    raise NotFoundError()
                which = AuditFilter(order_id=order.id)
            elif query.sku is not None:
                sku = query.sku.strip()
                known = await uow.products.stock_by_sku([sku, sku.upper()])
                product = known.get(sku) or known.get(sku.upper())
                if product is None:
                    raise NotFoundError()
                which = AuditFilter(product_id=product[0])
            elif query.admin_id is not None:
                which = AuditFilter(actor=admin_actor(query.admin_id))
            return await uow.audit.latest(where, which)
