"""The customer's own orders: the list, one order, cancelling it while that is allowed, and
putting a cancelled order's items back in the cart."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.cart.model import MAX_QUANTITY, Cart
from domain.checkout.shop_base import ShopBase
from domain.orders import lifecycle
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order
from domain.shared.customers import customer_actor
from domain.shared.errors import (
    IllegalTransitionError,
    NotFoundError,
)
from domain.shared.numbers import normalize_order_number
from domain.shared.paging import Page, Paged


@dataclass
class PutBack:
    """The cart after a cancelled order's items were put back, and what it could not take."""

    order: Order
    cart: Cart
    short: list[tuple[str, int]] = field(default_factory=list)  # (name, units not on sale)

    @property
    def complete(self) -> bool:
        """Every unit of the order is in the cart."""
        return not self.short


class MyOrders(ShopBase):
    """The customer's own orders."""

    async def put_back_in_cart(self, customer_id: int, number: str) -> PutBack:
        """Put the items of the customer's cancelled order (an unpaid order that expired, say)
        back in the cart, as far as they are on sale. Each line raises the cart's quantity of
        its product to the order's, never above what is available: putting back twice changes
        nothing."""
        normalized = normalize_order_number(number)
        if normalized is None:
            raise NotFoundError()
        async with self._uow() as uow:
            order = await uow.orders.get_by_number(normalized)
            if order is None or order.customer_id != customer_id:
                raise NotFoundError()
            if order.status != OrderStatus.CANCELLED:
                raise IllegalTransitionError(status=order.status.value, action="put_back")
            cart = await uow.carts.get(customer_id)
            wanted: dict[int, tuple[str, int]] = {}
            for line in order.lines:
                name, units = wanted.get(line.product_id, (line.name, 0))
                wanted[line.product_id] = (name, units + line.quantity)
            short: list[tuple[str, int]] = []
            for product_id, (name, units) in wanted.items():
                product = await uow.products.get(product_id)
                have = cart.quantity_of(product_id)
                on_sale = product.available if product is not None and product.active else 0
                target = min(max(have, units), MAX_QUANTITY, max(on_sale, have))
                if target > have:
                    await uow.carts.set_quantity(customer_id, product_id, target)
                if max(have, target) < units:
                    short.append((name, units - max(have, target)))
            cart = await uow.carts.get(customer_id)
            await uow.commit()
        return PutBack(order, cart, short)

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
