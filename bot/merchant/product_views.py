"""The merchant's product screens: the product list and a product's card."""

from __future__ import annotations

from bot.merchant.callbacks import (
    AdminActive,
    AdminAddProduct,
    AdminEdit,
    AdminExport,
    AdminMenu,
    AdminProduct,
    AdminProducts,
    AdminStock,
)
from bot.merchant.views import MerchantViews
from bot.screens import TEXT_LIMIT, Screen, button, button_label, fit, keyboard, short
from bot.shared.callbacks import Noop
from domain.catalog.model import Product
from domain.merchant.rules import ProductFile
from domain.shared.paging import Paged


class AdminProductViews(MerchantViews):
    """The merchant's product screens."""

    # -- products ---------------------------------------------------------------------------

    def product_list(self, paged: Paged[Product]) -> Screen:
        t, lang = self.texts, self.lang
        rows = []
        for p in paged.items:
            key = "adm.product.button" if p.active else "adm.product.button_inactive"
            label = t(lang, key, name=short(p.name, 32), price=p.price, stock=p.stock)
            rows.append([button(button_label(label), AdminProduct(p.id, paged.page.number))])
        if paged.pages > 1:
            number = paged.page.number
            rows.append(
                [
                    button("◀", AdminProducts(number - 1))
                    if paged.has_prev
                    else button(" ", Noop()),
                    button(t(lang, "nav.page", page=number + 1, pages=paged.pages), Noop()),
                    button("▶", AdminProducts(number + 1))
                    if paged.has_next
                    else button(" ", Noop()),
                ]
            )
        rows.append(
            [
                button(t(lang, "adm.product.add"), AdminAddProduct()),
                button(t(lang, "adm.menu.export_products"), AdminExport("products")),
            ]
        )
        rows.append([button(t(lang, "adm.menu.panel"), AdminMenu())])
        text = (
            t(lang, "adm.product.list_title", total=paged.total)
            if paged.items
            else t(lang, "adm.product.none")
        )
        return Screen(text, keyboard(rows))

    def product_card(self, file: ProductFile, page: int) -> Screen:
        t, lang = self.texts, self.lang
        p = file.product
        parts = [
            t(
                lang,
                "adm.product.card",
                name=p.name,
                sku=p.sku,
                category=p.category_name,
                price=p.price,
                stock=p.stock,
                reserved=p.reserved,
                available=p.available,
                threshold=p.low_stock_threshold,
                state=t(lang, "adm.product.state_active")
                if p.active
                else t(lang, "adm.product.state_inactive"),
            )
        ]
        if p.description:
            parts.append(t(lang, "adm.product.description", text=short(p.description, 600)))
        if file.log:
            parts.append(t(lang, "adm.product.log_title"))
            for e in file.log:
                parts.append(
                    t(
                        lang,
                        "adm.product.log_line",
                        at=e.at,
                        delta=f"{e.delta:+d}",
                        stock=e.stock_after,
                        reason=e.reason,
                        who=file.names.get(e.actor, e.actor),
                    )
                )
        pid = p.id
        rows = [
            [
                button(t(lang, "adm.product.edit_name"), AdminEdit(pid, "name")),
                button(t(lang, "adm.product.edit_price"), AdminEdit(pid, "price")),
            ],
            [
                button(t(lang, "adm.product.edit_desc"), AdminEdit(pid, "desc")),
                button(t(lang, "adm.product.edit_thresh"), AdminEdit(pid, "thresh")),
            ],
            [
                button(t(lang, "adm.product.stock"), AdminStock(pid)),
                button(t(lang, "adm.product.deactivate"), AdminActive(pid, 0))
                if p.active
                else button(t(lang, "adm.product.reactivate"), AdminActive(pid, 1)),
            ],
            [button(t(lang, "adm.product.back"), AdminProducts(page))],
        ]
        return Screen(fit("\n".join(parts), TEXT_LIMIT), keyboard(rows))
