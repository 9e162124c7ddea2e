"""Typed callback data of the catalog: categories, product lists and cards."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.callback_data import Callback, Words


@dataclass(frozen=True)
class Categories(Callback):
    """The list of categories."""

    prefix: ClassVar[str] = "cats"


@dataclass(frozen=True)
class ProductList(Callback):
    """A page of a category."""

    prefix: ClassVar[str] = "pl"
    category_id: int
    page: int


@dataclass(frozen=True)
class ProductCard(Callback):
    """A product with a chosen quantity; category 0 means it was opened from search."""

    prefix: ClassVar[str] = "pc"
    product_id: int
    qty: int
    category_id: int
    page: int


@dataclass(frozen=True)
class AddToCart(Callback):
    """Add `qty` of a product to the cart."""

    prefix: ClassVar[str] = "pa"
    product_id: int
    qty: int
    category_id: int
    page: int


@dataclass(frozen=True)
class SearchPage(Callback):
    """A page of search results (the words ride along, when they fit in the callback data)."""

    prefix: ClassVar[str] = "sp"
    page: int
    words: Words
