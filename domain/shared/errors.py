"""Domain errors. Each carries a message key from the locale catalogs and its parameters,
so the bot can tell the user what went wrong in their language."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the shop refused the request; nothing was changed."""

    key = "error.generic"

    def __init__(self, key: str | None = None, **params: Any) -> None:
        self.key = key or type(self).key
        self.params = params
        super().__init__(f"{self.key} {params}" if params else self.key)


class NotFoundError(DomainError):
    """The thing asked for does not exist, or is not the asker's to see."""

    key = "error.not_found"


class ProductUnavailableError(DomainError):
    """The product was removed or deactivated."""

    key = "error.product_unavailable"


class OutOfStockError(DomainError):
    """Not enough units left (params: name, available)."""

    key = "error.out_of_stock"


class InvalidQuantityError(DomainError):
    """A quantity outside 1..99 (params: min, max)."""

    key = "error.invalid_quantity"


class InvalidInputError(DomainError):
    """Text the customer typed does not fit (key says which field)."""

    key = "error.invalid_input"


class CartEmptyError(DomainError):
    """Checkout of an empty cart."""

    key = "error.cart_empty"


class NotInCartError(DomainError):
    """A cart button for a line that is no longer in the cart."""

    key = "error.not_in_cart"


class StaleCheckoutError(DomainError):
    """A checkout button from an earlier or finished checkout."""

    key = "error.stale_checkout"


class PriceChangedError(DomainError):
    """The cart's total changed after the customer reviewed it (params: total)."""

    key = "error.prices_changed"


class IllegalTransitionError(DomainError):
    """The order (or request) cannot take that step from its current state."""

    key = "error.illegal_transition"


class DuplicateError(DomainError):
    """A unique key was taken (the action already happened)."""

    key = "error.duplicate"


class CatalogImportError(DomainError):
    """A catalog file with bad rows (params: errors = [(line, message)])."""

    key = "error.import"
