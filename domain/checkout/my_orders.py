"""The customer's own orders: the list, one order, and cancelling it while that is allowed."""

from __future__ import annotations

from domain.checkout.shop_base import ShopBase
from domain.orders import lifecycle
from domain.orders.model import Order
from domain.shared.customers import customer_actor
from domain.shared.errors import (
    IllegalTransitionError,
    NotFoundError,
)
from domain.shared.numbers import normalize_order_number
from domain.shared.paging import Page, Paged


class MyOrders(ShopBase):
    """The customer's own orders."""

    async def my_orders(self, customer_id: int, page: int) -> Paged[Order]:
        """The customer's orders, newest first."""
        async with self._uow(readonly=True) as uow:
            return await uow.orders.list_for_customer(
                customer_id, Page(max(page, 0), self.config.page_size)
            )

    async def my_order(self, customer_id: int, number: str) -> Order:
        """One of the customer's orders with its timeline; someone else's is 'not found'."""
        normalized = normalize_order_number(number)
        if normalized is None:
            raise NotFoundError()
        async with self._uow(readonly=True) as uow:
            order = await uow.orders.get_by_number(normalized)
            if order is None or order.customer_id != customer_id:
                raise NotFoundError()
            assert order.id is not None
            order.events = await uow.orders.events(order.id)
        return order

    async def cancel_my_order(self, customer_id: int, number: str) -> Order:
        """Cancel an unpaid order: release its stock, record the event, tell the merchant."""
        normalized = normalize_order_number(number)
        if normalized is None:
            raise NotFoundError()
        now = self._clock.now()
        async with self._uow() as uow:
            order = await uow.orders.get_by_number(normalized)
            if order is None or order.customer_id != customer_id:
                raise NotFoundError()
            assert order.id is not None
            if order.status not in lifecycle.CANCELLABLE_BY_CUSTOMER:
                raise IllegalTransitionError(status=str(order.status), action="cancel")
            order.events = await uow.orders.events(order.id)
            await self._flow.step(
                uow,
                order,
                "cancel",
                actor=customer_actor(customer_id),
                at=now,
                note="cancelled by customer",
            )
            customer = await uow.customers.get(customer_id)
            await self._alert_admin(uow, "admin.order_cancelled", order, customer, now)
            await uow.commit()
        return order
