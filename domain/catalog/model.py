"""The catalog: categories and products, and what the domain needs to store them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from domain.catalog.importing import ProductDraft
from domain.shared.money import Money
from domain.shared.paging import Page, Paged

if TYPE_CHECKING:
    pass


@dataclass
class Category:
    """A shelf of the catalog."""

    id: int
    name: str
    product_count: int = 0


@dataclass(frozen=True)
class ProductComment:
    """A recent review comment on a product, for its card: the stars, the words, the first
    name of who wrote it (reviews keep them; the card shows the newest)."""

    rating: int
    comment: str
    customer: str
    at: datetime


@dataclass
class Product:
    """Something the shop sells; `reserved` units are held by unpaid orders."""

    id: int
    sku: str
    name: str
    category_id: int
    price: Money
    stock: int
    reserved: int = 0
    description: str = ""
    photo: str | None = None
    photo_file_id: str | None = None
    low_stock_threshold: int = 0
    active: bool = True
    category_name: str = ""
    # The stock plan's reorder point and EOQ (insight's restock check stores them); None while
    # unknown: no sales in the planning window.
    reorder_point: int | None = None
    reorder_quantity: int | None = None
    # Supply settings (None: the shop's defaults), kept by the catalog CSV and /supply.
    lead_time_days: float | None = None
    lead_time_max_days: float | None = None
    order_cost_minor: int | None = None
    holding_cost_minor: int | None = None
    # Reviews of the orders that contained it (filled by ProductRepository.get).
    rating_count: int = 0
    rating_sum: int = 0
    # The newest review comments, when a screen loaded them (bot/reviews/cards.py).
    comments: tuple[ProductComment, ...] = ()

    @property
    def rating_average(self) -> float | None:
        """The average rating, 1 to 5; None when nobody rated it yet."""
        return self.rating_sum / self.rating_count if self.rating_count else None

    @property
    def low_mark(self) -> int:
        """The availability at or below which the product is low: its reorder point where
        known, else its alert threshold (0: never low)."""
        return self.reorder_point if self.reorder_point is not None else self.low_stock_threshold

    @property
    def available(self) -> int:
        """Units that can still be ordered."""
        return max(self.stock - self.reserved, 0)

    @property
    def in_stock(self) -> bool:
        """Whether at least one unit can be ordered."""
        return self.available > 0


class ProductRepository(Protocol):
    async def get(self, product_id: int) -> Product | None: ...
    async def categories(self) -> list[Category]: ...
    async def category(self, category_id: int) -> Category | None: ...
    async def in_category(self, category_id: int, page: Page) -> Paged[Product]: ...
    async def search(self, words: str, page: Page) -> Paged[Product]: ...
    async def reserve(self, product_id: int, quantity: int) -> bool:
        """Atomically hold `quantity` units if that many are available; False if not."""

    async def reserve_and_read(self, product_id: int, quantity: int) -> Product | None:
        """`reserve`, returning the product as the reservation left it (its availability
        without the units held; `category_name` not read); None if not reserved."""

    async def release(self, product_id: int, quantity: int) -> None:
        """Give reserved units back to sale (order cancelled or expired before payment)."""

    async def commit_reserved(self, product_id: int, quantity: int) -> None:
        """Reserved units leave the shelf for good (order paid, or a COD order shipped)."""

    async def restock(self, product_id: int, quantity: int) -> None:
        """Units come back on the shelf (a paid order cancelled, or goods returned)."""

    async def set_photo_file_id(self, product_id: int, file_id: str) -> None: ...
    async def upsert_drafts(
        self, drafts: Sequence[ProductDraft], *, set_stock: bool = False
    ) -> tuple[int, int]:
        """Create or update products by SKU; returns (created, updated). A draft's stock is a
        new product's starting stock; an existing product's stock changes only with
        `set_stock` (never below what is reserved)."""

    async def stock_by_sku(self, skus: Sequence[str]) -> dict[str, tuple[int, int]]:
        """SKU -> (product id, on-hand stock) of the existing products among `skus`."""

    async def set_reorder_points(self, points: Mapping[int, tuple[int, int] | None]) -> None:
        """Store products' (reorder point, EOQ); None forgets them (unknown again). Products
        not in `points` keep theirs."""


@dataclass
class InventoryEntry:
    """One line of a product's inventory log."""

    product_id: int
    delta: int
    stock_after: int
    reason: str
    actor: str
    at: datetime
    id: int | None = None


class InventoryRepository(Protocol):
    async def add(self, entry: InventoryEntry) -> int: ...
    async def for_product(self, product_id: int, limit: int) -> list[InventoryEntry]:
        """The newest entries first."""
