"""The merchant's dialog screens (questions and confirmations), and AdminViews, which puts
every merchant screen together."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton

from bot.callback_data import Token
from bot.merchant.callbacks import (
    AdminCarrier,
    AdminChoice,
    AdminConfirm,
    AdminDialogCancel,
    AdminSkip,
)
from bot.merchant.order_views import AdminOrderViews
from bot.merchant.product_views import AdminProductViews
from bot.merchant.views import ADD_PROMPTS, EDIT_PROMPTS, STOCK_REASONS
from bot.screens import TEXT_LIMIT, Screen, button, fit, keyboard, short
from domain.catalog.importing import DESCRIPTION_MAX
from domain.catalog.model import Category, Product
from domain.orders.model import Order
from domain.shared.dialogs import CONFIRM, Dialog, DialogKind
from domain.shared.money import Money


class AdminViews(AdminOrderViews, AdminProductViews):
    """All merchant screens, in one language."""

    # -- dialogs ----------------------------------------------------------------------------

    def _dialog_buttons(self, dialog: Dialog) -> list[list[InlineKeyboardButton]]:
        t, lang = self.texts, self.lang
        row = []
        if dialog.optional:
            row.append(button(t(lang, "adm.dialog.skip"), AdminSkip(Token(dialog.token))))
        row.append(button(t(lang, "adm.dialog.cancel"), AdminDialogCancel(Token(dialog.token))))
        return [row]

    def _with_choices(self, dialog: Dialog, text: str, values: Sequence[tuple[int, str]]) -> Screen:
        """A question answered by tapping one of `values` (value, label), two a row, or by
        typing."""
        token = Token(dialog.token)
        choices = [button(label, AdminChoice(token, value)) for value, label in values]
        rows = [choices[i : i + 2] for i in range(0, len(choices), 2)]
        rows.extend(self._dialog_buttons(dialog))
        return Screen(text, keyboard(rows))

    def prompt(
        self,
        dialog: Dialog,
        *,
        order: Order | None = None,
        product: Product | None = None,
        categories: Sequence[Category] = (),
    ) -> Screen:
        """The question a dialog asks at its current step (or its confirmation)."""
        screen = self._prompt(dialog, order=order, product=product, categories=categories)
        request = dialog.data.get("request_number")
        if dialog.kind == DialogKind.SHIP and request:  # shipping for an after-sales request
            header = self.t("as.adm.ship_for", request=str(request))
            return Screen(fit(f"{header}\n{screen.text}", TEXT_LIMIT), screen.markup)
        return screen

    def _prompt(
        self,
        dialog: Dialog,
        *,
        order: Order | None = None,
        product: Product | None = None,
        categories: Sequence[Category] = (),
    ) -> Screen:
        t, lang = self.texts, self.lang
        data = dialog.data
        kind, step = dialog.kind, dialog.step
        number = str(data.get("number", ""))
        if step == CONFIRM:
            return self._confirmation(dialog, order)
        if kind == DialogKind.SHIP:
            if step == "carrier":
                rows = [
                    [
                        button(self.carrier_name(c.code), AdminCarrier(Token(dialog.token), c.code))
                        for c in list(self.carriers.values())[i : i + 2]
                    ]
                    for i in range(0, len(self.carriers), 2)
                ]
                rows.extend(self._dialog_buttons(dialog))
                return Screen(t(lang, "adm.ship.carrier", number=number), keyboard(rows))
            if step == "carrier_name":
                return Screen(
                    t(lang, "adm.ship.carrier_name", number=number),
                    keyboard(self._dialog_buttons(dialog)),
                )
            if step == "tracking":
                carrier = self.carriers.get(str(data.get("carrier")))
                if carrier is not None and carrier.example:
                    text = t(
                        lang,
                        "adm.ship.tracking_example",
                        carrier=carrier.name,
                        number=number,
                        example=carrier.example,
                    )
                else:
                    text = t(
                        lang,
                        "adm.ship.tracking",
                        carrier=self.carrier_name(data.get("carrier"), data.get("carrier_name")),
                        number=number,
                    )
                return Screen(text, keyboard(self._dialog_buttons(dialog)))
            return Screen(
                t(lang, "adm.ship.note", number=number), keyboard(self._dialog_buttons(dialog))
            )
        if kind == DialogKind.CANCEL:
            text = t(lang, "adm.cancel.reason", number=number)
        elif kind == DialogKind.NOTE:
            text = t(lang, "adm.note.ask", number=number)
        elif kind == DialogKind.MESSAGE:
            text = t(lang, "adm.message.ask", number=number)
        elif kind == DialogKind.EDIT_PRODUCT:
            text = t(
                lang,
                EDIT_PROMPTS[str(data.get("field"))],
                name=str(data.get("name", "")),
                max=DESCRIPTION_MAX,
            )
        elif kind == DialogKind.STOCK:
            if step == "change":
                text = t(
                    lang,
                    "adm.stock.ask",
                    name=str(data.get("name", "")),
                    stock=product.stock if product else "?",
                    reserved=product.reserved if product else "?",
                )
            else:
                reasons = [(i, t(lang, key)) for i, key in enumerate(STOCK_REASONS)]
                return self._with_choices(dialog, t(lang, "adm.stock.reason"), reasons)
        elif kind == DialogKind.ADD_PRODUCT and step == "category":
            text = t(lang, "adm.add.category" if categories else "adm.add.category_first")
            return self._with_choices(dialog, text, [(c.id, c.name) for c in categories])
        elif kind == DialogKind.ADD_PRODUCT:
            text = t(lang, ADD_PROMPTS[step], max=DESCRIPTION_MAX)
        else:
            text = t(lang, "adm.error.stale_dialog")
        return Screen(text, keyboard(self._dialog_buttons(dialog)))

    def _confirmation(self, dialog: Dialog, order: Order | None) -> Screen:
        t, lang = self.texts, self.lang
        data = dialog.data
        number = str(data.get("number", ""))
        if dialog.kind == DialogKind.SHIP:
            text = t(
                lang,
                "adm.ship.confirm",
                number=number,
                carrier=self.carrier_name(data.get("carrier"), data.get("carrier_name")),
                tracking=str(data.get("tracking", "")),
                note=str(data.get("note") or "—"),
            )
            label = t(lang, "adm.ship.confirm_button")
        elif dialog.kind == DialogKind.CANCEL:
            text = t(
                lang,
                "adm.cancel.confirm",
                number=number,
                total=order.total if order else "",
                reason=str(data.get("reason", "")),
            )
            label = t(lang, "adm.cancel.confirm_button")
        else:
            price = data.get("price")
            text = t(
                lang,
                "adm.add.confirm",
                name=str(data.get("name", "")),
                category=str(data.get("category", "")),
                price=Money(int(price), self.currency) if price is not None else "—",
                stock=data.get("stock", 0),
                photo=t(lang, "adm.add.photo_yes")
                if data.get("photo")
                else t(lang, "adm.add.photo_no"),
                description=short(str(data.get("description") or "—"), 600),
            )
            label = t(lang, "adm.add.confirm_button")
        rows = [
            [button(label, AdminConfirm(Token(dialog.token)))],
            [button(t(lang, "adm.dialog.cancel"), AdminDialogCancel(Token(dialog.token)))],
        ]
        return Screen(fit(text, TEXT_LIMIT), keyboard(rows))
