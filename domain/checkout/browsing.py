"""The customer browses and fills the cart: categories, products, search, and the cart's
changes (quantities checked against what is available)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from domain.cart.model import Cart
from domain.catalog.back_in_stock import queue_back_in_stock
from domain.catalog.importing import ProductDraft
from domain.catalog.model import Category, InventoryEntry, Product
from domain.checkout.shop_base import ShopBase
from domain.checkout.validation import check_quantity
from domain.shared.audit import NOTHING, record
from domain.shared.errors import (
    NotFoundError,
    NotInCartError,
    OutOfStockError,
    ProductUnavailableError,
)
from domain.shared.paging import Page, Paged


@dataclass
class CartChange:
    """A cart after a change, and the product concerned."""

    cart: Cart
    product: Product | None = None
    quantity: int = 0
    notes: list[str] = field(default_factory=list)


class Browsing(ShopBase):
    """The catalog and the cart."""

    async def categories(self) -> list[Category]:
        """Categories that have active products."""
        async with self._uow(readonly=True) as uow:
            return await uow.products.categories()

    async def category(self, category_id: int) -> Category:
        """One category, or NotFoundError."""
        async with self._uow(readonly=True) as uow:
            category = await uow.products.category(category_id)
        if category is None:
            raise NotFoundError()
        return category

    async def products_in(self, category_id: int, page: int) -> Paged[Product]:
        """A page of a category's active products."""
        async with self._uow(readonly=True) as uow:
            return await uow.products.in_category(
                category_id, Page(max(page, 0), self.config.page_size)
            )

    async def category_page(self, category_id: int, page: int) -> tuple[Category, Paged[Product]]:
        """A category and a page of its active products (the first page when `page` is past
        the last), in one read; NotFoundError when the category is gone."""
        async with self._uow(readonly=True) as uow:
            category = await uow.products.category(category_id)
            if category is None:
                raise NotFoundError()
            size = self.config.page_size
            paged = await uow.products.in_category(category_id, Page(max(page, 0), size))
            if not paged.items and page > 0:
                paged = await uow.products.in_category(category_id, Page(0, size))
        return category, paged

    async def search(self, words: str, page: int) -> Paged[Product]:
        """Active products whose name, SKU or description contains the words."""
        async with self._uow(readonly=True) as uow:
            return await uow.products.search(
                words.strip()[:64], Page(max(page, 0), self.config.page_size)
            )

    async def product(self, product_id: int) -> Product:
        """An active product, or ProductUnavailableError."""
        async with self._uow(readonly=True) as uow:
            product = await uow.products.get(product_id)
        if product is None or not product.active:
            raise ProductUnavailableError()
        return product

    async def product_with_cart(self, product_id: int, customer_id: int) -> CartChange:
        """An active product (or ProductUnavailableError) and the customer's cart, in one
        read: what a product card shows."""
        async with self._uow(readonly=True) as uow:
            product = await uow.products.get(product_id)
            if product is None or not product.active:
                raise ProductUnavailableError()
            cart = await uow.carts.get(customer_id)
        return CartChange(cart=cart, product=product)

    async def product_by_sku(self, sku: str) -> Product:
        """An active product by its SKU, case-insensitively (a shared link names it), or
        ProductUnavailableError."""
        wanted = sku.strip().casefold()
        if not wanted:
            raise ProductUnavailableError()
        async with self._uow(readonly=True) as uow:
            found = await uow.products.search(wanted[:64], Page(0, 50))
        for product in found.items:  # the SKU matches itself; names and descriptions may too
            if product.sku.casefold() == wanted:
                return product
        raise ProductUnavailableError()

    async def remember_photo(self, product_id: int, file_id: str) -> None:
        """Keep Telegram's file id of an uploaded product photo, so it is uploaded once."""
        async with self._uow() as uow:
            await uow.products.set_photo_file_id(product_id, file_id)
            await uow.commit()

    async def import_catalog(
        self,
        drafts: Sequence[ProductDraft],
        *,
        actor: str = "import",
        reason: str = "catalog import",
        set_stock: bool = False,
    ) -> tuple[int, int]:
        """Create or update all products in one transaction; returns (created, updated). The
        file's stock is a new product's starting stock; an existing product's stock changes
        only with `set_stock`. Every stock change is written to the inventory log."""
        async with self._uow() as uow:
            skus = [d.sku for d in drafts]
            before = await uow.products.stock_by_sku(skus)
            result = await uow.products.upsert_drafts(drafts, set_stock=set_stock)
            now = self._clock.now()
            back: list[int] = []
            for sku, (product_id, stock) in (await uow.products.stock_by_sku(skus)).items():
                delta = stock - before[sku][1] if sku in before else stock
                if sku in before and delta == 0:
                    continue
                if sku in before and delta > 0:
                    back.append(product_id)
                entry = InventoryEntry(product_id, delta, stock, reason[:200], actor, now)
                await uow.inventory.add(entry)
            await queue_back_in_stock(uow, back, now)  # issue 16
            created, updated = result
            details = {"reason": reason[:200], "created": created, "updated": updated}
            details["set_stock"] = set_stock
            await record(uow, actor, "catalog_import", NOTHING, details, at=now)
            await uow.commit()
        return result

    async def stock_differences(
        self, drafts: Sequence[ProductDraft]
    ) -> list[tuple[ProductDraft, int]]:
        """The drafts of existing products whose stock differs from the shop's, with the
        shop's on-hand stock: what `set_stock` would change."""
        async with self._uow(readonly=True) as uow:
            known = await uow.products.stock_by_sku([d.sku for d in drafts])
        return [
            (d, known[d.sku][1]) for d in drafts if d.sku in known and known[d.sku][1] != d.stock
        ]

    async def cart(self, customer_id: int) -> Cart:
        """The customer's cart with current prices."""
        async with self._uow(readonly=True) as uow:
            return await uow.carts.get(customer_id)

    async def add_to_cart(self, customer_id: int, product_id: int, quantity: int) -> CartChange:
        """Add units of a product; the cart's total for it may not exceed what is available."""
        check_quantity(quantity)
        async with self._uow() as uow:
            product = await uow.products.get(product_id)
            if product is None or not product.active:
                raise ProductUnavailableError()
            cart = await uow.carts.get(customer_id)
            wanted = cart.quantity_of(product_id) + quantity
            check_quantity(wanted)
            if wanted > product.available:
                raise OutOfStockError(name=product.name, available=product.available)
            await uow.carts.set_quantity(customer_id, product_id, wanted)
            cart = cart.with_quantity(product, wanted)
            await uow.commit()
        return CartChange(cart=cart, product=product, quantity=wanted)

    async def change_quantity(self, customer_id: int, product_id: int, delta: int) -> CartChange:
        """+1 / -1 on a cart line; going below one removes the line."""
        async with self._uow() as uow:
            cart = await uow.carts.get(customer_id)
            current = cart.quantity_of(product_id)
            if current == 0:
                raise NotInCartError()
            line = next(line for line in cart.lines if line.product.id == product_id)
            wanted = current + delta
            if wanted <= 0:
                await uow.carts.remove(customer_id, product_id)
            else:
                check_quantity(wanted)
                if not line.product.active:
                    raise ProductUnavailableError()
                if delta > 0 and wanted > line.product.available:
                    raise OutOfStockError(name=line.product.name, available=line.product.available)
                await uow.carts.set_quantity(customer_id, product_id, wanted)
            cart = cart.with_quantity(line.product, max(wanted, 0))
            await uow.commit()
        return CartChange(cart=cart, product=line.product, quantity=max(wanted, 0))

    async def remove_from_cart(self, customer_id: int, product_id: int) -> CartChange:
        """Drop a line from the cart."""
        async with self._uow() as uow:
            if not await uow.carts.remove(customer_id, product_id):
                raise NotInCartError()
            cart = await uow.carts.get(customer_id)
            await uow.commit()
        return CartChange(cart=cart)
