"""A sold-out Confirm answered from a read (issue 13).

In a flash sale most Confirms come after the last unit went: 900 of 1,000 buyers for 100 units.
Placing an order takes SQLite's write lock (one writer at a time) and, on PostgreSQL, locks the
checkout row; a Confirm that can only fail would queue for the lock behind every other one, do
its writes and roll them back. Read first instead: when the checkout waits on its review screen
and a line of the cart is short of stock, the answer is the same OutOfStockError the
reservation would raise, with no lock taken and nothing written.

Only that case is answered here. Anything else (another token or step, an empty cart, a product
taken off sale, enough stock) goes on to `_place_order`, which checks everything again under its
locks, so a unit that was free when read and is taken before the reservation still fails
there: the read can only say "sold out" early, never "placed".
"""

from __future__ import annotations

from domain.cart.model import Cart
from domain.checkout.flow import CheckoutStep
from domain.checkout.ports import CheckoutUnitOfWork
from domain.shared.errors import OutOfStockError
from domain.shared.ports import UnitOfWorkFactory


class SoldOutError(OutOfStockError):
    """OutOfStockError from the read, with the cart it read: the screen that says so shows
    that cart instead of reading it again."""

    def __init__(self, cart: Cart, *, name: str, available: int) -> None:
        super().__init__(name=name, available=available)
        self.cart = cart


async def refuse_if_sold_out(
    uow: UnitOfWorkFactory[CheckoutUnitOfWork], customer_id: int, token: str
) -> None:
    """Raise OutOfStockError, as the reservation would, when a line of the cart of a checkout
    on its review screen is short of stock; otherwise return (place the order as usual)."""
    async with uow(readonly=True) as work:
        checkout = await work.checkouts.get(customer_id)
        if checkout is None or checkout.token != token or checkout.step != CheckoutStep.REVIEW:
            return
        cart = await work.carts.get(customer_id)
    # The lines in the order reserve_lines takes them: a product off sale before a short one
    # is ProductUnavailableError there, so it is left to the transaction.
    for line in cart.lines:
        product = line.product
        if not product.active:
            return
        if product.available < line.quantity:
            raise SoldOutError(cart, name=product.name, available=product.available)
