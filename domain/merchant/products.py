"""The merchant's products and stock: lists and files, on and off sale, export and import, and
what the product dialogs do once confirmed (add, edit, change stock through the inventory
log)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from domain.catalog.back_in_stock import queue_back_in_stock
from domain.catalog.importing import ProductDraft
from domain.catalog.model import Product
from domain.catalog.stock import queue_low_stock_alerts
from domain.merchant.base import MerchantBase
from domain.merchant.ports import MerchantUnitOfWork
from domain.merchant.rules import LOG_SHOWN, REASON_MAX, STOCK_MAX, ProductFile
from domain.shared.audit import NOTHING, Target, record
from domain.shared.customers import admin_actor
from domain.shared.dialogs import Dialog
from domain.shared.errors import (
    DuplicateError,
    InvalidInputError,
    ProductUnavailableError,
)
from domain.shared.money import Money
from domain.shared.paging import Page, Paged
from domain.shipping.carriers import DialogResult


class MerchantProducts(MerchantBase):
    """The merchant's products and stock."""

    async def _add_product(self, uow: MerchantUnitOfWork, dialog: Dialog) -> DialogResult:
        data = dialog.data
        sku = self._skus()
        for _ in range(8):
            if await uow.backoffice.product_id_by_sku(sku) is None:
                break
            sku = self._skus()
        else:
            raise DuplicateError("error.generic")
        draft = ProductDraft(
            sku=sku,
            name=str(data["name"]),
            category=str(data["category"]),
            price=Money(int(data["price"]), self.config.currency),
            stock=int(data["stock"]),
            description=str(data.get("description") or ""),
            low_stock_threshold=self.config.low_stock_default,
        )
        await uow.products.upsert_drafts([draft])
        product_id = await uow.backoffice.product_id_by_sku(sku)
        assert product_id is not None
        if data.get("photo"):
            await uow.backoffice.update_product(product_id, photo_file_id=str(data["photo"]))
        product = await uow.products.get(product_id)
        assert product is not None
        await self._log(uow, product, product.stock, "new product", admin_actor(dialog.user_id))
        await self._audit(uow, dialog.user_id, "product_add", product, stock=product.stock)
        return DialogResult(dialog, product=product)

    async def _edit_product(self, uow: MerchantUnitOfWork, dialog: Dialog) -> DialogResult:
        product = await self._product(uow, dialog)
        what, value = dialog.data["field"], dialog.data.get("value")
        if what == "name":
            await uow.backoffice.update_product(product.id, name=str(value))
            reason = f"name: {product.name} -> {value}"
        elif what == "price":
            price = Money(int(value or 0), self.config.currency)
            await uow.backoffice.update_product(product.id, price=price)
            reason = f"price: {product.price.to_major()} -> {price.to_major()} {price.currency}"
        elif what == "desc":
            await uow.backoffice.update_product(product.id, description=str(value or ""))
            reason = "description edited" if value else "description cleared"
        else:
            await uow.backoffice.update_product(product.id, low_stock_threshold=int(value or 0))
            reason = f"low-stock threshold: {product.low_stock_threshold} -> {value}"
        await self._log(uow, product, 0, reason, admin_actor(dialog.user_id))
        await self._audit(uow, dialog.user_id, "product_edit", product, change=reason)
        return DialogResult(dialog, product=await self._product(uow, dialog))

    async def _stock_delta(self, uow: MerchantUnitOfWork, dialog: Dialog) -> tuple[Product, int]:
        """The product and the change its stock would take; refused when it is no change or
        would leave fewer units than orders hold."""
        product = await self._product(uow, dialog)
        mode, number = dialog.data["change"]
        delta = {"+": number, "-": -number}.get(mode, number - product.stock)
        if delta == 0:
            raise InvalidInputError("adm.error.stock_unchanged", stock=product.stock)
        if product.stock + delta < product.reserved or product.stock + delta > STOCK_MAX:
            raise InvalidInputError(
                "adm.error.stock_below_reserved", reserved=product.reserved, stock=product.stock
            )
        return product, delta

    async def _check_stock_change(self, uow: MerchantUnitOfWork, dialog: Dialog) -> None:
        await self._stock_delta(uow, dialog)

    async def _change_stock(self, uow: MerchantUnitOfWork, dialog: Dialog) -> DialogResult:
        product, delta = await self._stock_delta(uow, dialog)
        # Checked again atomically: an order may have reserved units since the change was typed.
        stock = await uow.backoffice.adjust_stock(product.id, delta)
        if stock is None:
            raise InvalidInputError(
                "adm.error.stock_below_reserved", reserved=product.reserved, stock=product.stock
            )
        product = replace(product, stock=stock)
        await self._audit(uow, dialog.user_id, "product_stock", product, delta=delta, stock=stock)
        entry = await self._log(
            uow, product, delta, str(dialog.data["reason"]), admin_actor(dialog.user_id)
        )
        if delta < 0:
            await queue_low_stock_alerts(
                uow, self.config.admin_chat_id, entry.at, {product.id: -delta}, f"inv:{entry.id}"
            )
        else:  # customers waiting for it hear of it (issue 16)
            await queue_back_in_stock(uow, [product.id], entry.at)
        return DialogResult(dialog, product=await self._product(uow, dialog))

    async def _audit(
        self, uow: MerchantUnitOfWork, admin_id: int, action: str, product: Product, **details: Any
    ) -> None:
        await record(
            uow,
            admin_actor(admin_id),
            action,
            Target(product_id=product.id),
            {"sku": product.sku, **details},
            at=self._clock.now(),
        )

    async def products(self, page: int) -> Paged[Product]:
        """A page of every product, inactive ones too."""
        async with self._uow(readonly=True) as uow:
            return await uow.backoffice.products(Page(max(page, 0), self.config.page_size))

    async def product_file(self, product_id: int) -> ProductFile:
        """A product (active or not) with its latest inventory log lines."""
        async with self._uow(readonly=True) as uow:
            product = await uow.products.get(product_id)
            if product is None:
                raise ProductUnavailableError()
            entries = await uow.inventory.for_product(product_id, LOG_SHOWN)
            names = await self._names(uow, [e.actor for e in entries])
        return ProductFile(product, entries, names)

    async def set_active(self, admin_id: int, product_id: int, active: bool) -> Product:
        """Take a product off sale, or put it back; logged."""
        async with self._uow() as uow:
            product = await uow.products.get(product_id)
            if product is None:
                raise ProductUnavailableError()
            if product.active != active:
                await uow.backoffice.update_product(product_id, active=active)
                reason = "reactivated" if active else "deactivated"
                await self._log(uow, product, 0, reason, admin_actor(admin_id))
                action = "product_activate" if active else "product_deactivate"
                await self._audit(uow, admin_id, action, product)
                if active:  # back on sale: customers waiting for it hear of it (issue 16)
                    await queue_back_in_stock(uow, [product_id], self._clock.now())
            product.active = active
            await uow.commit()
        return product

    async def export_products(self, admin_id: int) -> list[Product]:
        """Every product, for a CSV file the import reads back; the export is audited."""
        async with self._uow(readonly=True) as uow:
            products = await uow.backoffice.all_products()
        async with self._uow() as uow:
            details = {"products": len(products)}
            now = self._clock.now()
            await record(uow, admin_actor(admin_id), "export_products", NOTHING, details, at=now)
            await uow.commit()
        return products

    async def import_catalog(
        self, admin_id: int, drafts: Sequence[ProductDraft], source: str
    ) -> tuple[int, int]:
        """Create or update products by SKU, all or none; every stock change is logged.
        Returns (created, updated)."""
        actor = admin_actor(admin_id)
        async with self._uow() as uow:
            before = {p.sku: p for p in await uow.backoffice.all_products()}
            # The file's stock applies to new products only: re-importing an export (edited
            # for prices) must not put sold units back on sale. Stock ± changes the rest.
            created, updated = await uow.products.upsert_drafts(drafts)
            now = self._clock.now()
            back: list[int] = []
            for product in await uow.backoffice.all_products():
                known = before.get(product.sku)
                delta = product.stock - (known.stock if known else 0)
                if known is not None and (delta > 0 or (product.active and not known.active)):
                    back.append(product.id)
                if known is not None and delta == 0:
                    continue
                entry = await self._log(
                    uow, product, delta, f"csv import {source}"[:REASON_MAX], actor
                )
                if delta < 0:
                    await queue_low_stock_alerts(
                        uow, self.config.admin_chat_id, now, {product.id: -delta}, f"inv:{entry.id}"
                    )
            await queue_back_in_stock(uow, back, now)  # issue 16
            details = {"file": source, "created": created, "updated": updated}
            await record(uow, actor, "catalog_import", NOTHING, details, at=now)
            await uow.commit()
        return created, updated
