"""The cart screen."""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
)

from bot.cart.callbacks import CartLess, CartMore, CartRemove
from bot.catalog.callbacks import Categories
from bot.checkout.callbacks import (
    Checkout,
)
from bot.screens import TEXT_LIMIT, Screen, button, fit, keyboard, short
from bot.shared.callbacks import Menu, Noop
from bot.shared.views import ShopViews
from domain.cart.model import Cart
from domain.shared.customers import Language


class CartViews(ShopViews):
    """The cart screen."""

    # -- cart -------------------------------------------------------------------------------

    def cart(self, lang: Language, cart: Cart, currency: str, note: str | None = None) -> Screen:
        t = self.t
        if cart.empty:
            text = t(lang, "cart.empty")
            if note:
                text = f"{note}\n\n{text}"
            return Screen(
                text,
                keyboard(
                    [
                        [
                            button(t(lang, "menu.catalog"), Categories()),
                            button(t(lang, "nav.menu"), Menu()),
                        ]
                    ]
                ),
            )
        lines = [t(lang, "cart.title")]
        rows: list[list[InlineKeyboardButton]] = []
        for i, line in enumerate(cart.lines, 1):
            product = line.product
            lines.append(
                t(
                    lang,
                    "cart.line",
                    i=i,
                    name=product.name,
                    qty=line.quantity,
                    price=product.price,
                    total=line.total,
                )
            )
            if not product.active:
                lines.append(t(lang, "cart.line_unavailable"))
            elif line.quantity > product.available:
                lines.append(t(lang, "cart.line_short", available=product.available))
            rows.append(
                [
                    button("➖", CartLess(product.id)),
                    button(f"{short(product.name, 18)} ×{line.quantity}", Noop()),
                    button("➕", CartMore(product.id)),
                    button("🗑", CartRemove(product.id)),
                ]
            )
        lines.append(t(lang, "cart.total", total=cart.subtotal(currency)))
        if note:
            lines.insert(0, note + "\n")
        rows.append([button(t(lang, "cart.checkout"), Checkout())])
        rows.append(
            [
                button(t(lang, "cart.continue"), Categories()),
                button(t(lang, "nav.menu"), Menu()),
            ]
        )
        return Screen(fit("\n".join(lines), TEXT_LIMIT), keyboard(rows))
