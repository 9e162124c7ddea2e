"""Saved delivery addresses, and the repositories the checkout needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from domain.checkout.flow import Checkout


@dataclass
class Address:
    """A saved delivery address."""

    id: int
    customer_id: int
    recipient: str
    phone: str
    text: str


class AddressRepository(Protocol):
    async def list(self, customer_id: int) -> list[Address]: ...
    async def get(self, address_id: int) -> Address | None: ...
    async def add(self, address: Address) -> int: ...
    async def count(self, customer_id: int) -> int: ...


class CheckoutRepository(Protocol):
    async def get(self, customer_id: int, *, for_update: bool = False) -> Checkout | None:
        """The customer's checkout; `for_update` locks the row until the transaction ends."""

    async def save(self, checkout: Checkout) -> None: ...

    async def save_if_unchanged(self, checkout: Checkout, read: Checkout) -> bool:
        """Save `checkout` over the stored one only if that is still `read` (same token, step
        and time); False, and nothing written, when another update changed it since."""
