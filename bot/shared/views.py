"""The screens every customer feature shares: welcome, menu, help, language, errors."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import (
    InlineKeyboardMarkup,
)

from bot.cart.callbacks import ShowCart
from bot.catalog.callbacks import Categories
from bot.merchant.callbacks import ContactShop
from bot.orders.callbacks import OrderList
from bot.screens import Screen, button, keyboard
from bot.shared.callbacks import Help, Menu, SetLanguage, SetOptionalMessages
from bot.texts import Html, Texts
from domain.shared.customers import Customer, Language
from domain.shared.errors import DomainError


class ShopViews:
    """The customer screens every feature builds on: texts, shop name, menu, errors."""

    def __init__(self, texts: Texts, shop_name: str, bank_details: str = "") -> None:
        self.t = texts
        self.shop_name = shop_name
        self.bank_details = bank_details

    # -- menu -------------------------------------------------------------------------------

    def menu_keyboard(self, lang: Language, cart_count: int = 0) -> InlineKeyboardMarkup:
        t = self.t
        cart = t(lang, "menu.cart_n", n=cart_count) if cart_count else t(lang, "menu.cart")
        return keyboard(
            [
                [button(t(lang, "menu.catalog"), Categories()), button(cart, ShowCart())],
                [
                    button(t(lang, "menu.orders"), OrderList(0)),
                    button(t(lang, "menu.help"), Help()),
                ],
                [button(t(lang, "contact.button"), ContactShop())],
            ]
        )

    def welcome(self, customer: Customer, cart_count: int) -> Screen:
        lang = customer.effective_language
        text = self.t(lang, "start.welcome", name=customer.first_name, shop=self.shop_name)
        return Screen(text, self.menu_keyboard(lang, cart_count))

    def menu(self, lang: Language, cart_count: int) -> Screen:
        return Screen(
            self.t(lang, "menu.title", shop=self.shop_name), self.menu_keyboard(lang, cart_count)
        )

    def help(
        self,
        lang: Language,
        cart_count: int,
        commands: Sequence[tuple[str, str]],
        admin_commands: Sequence[tuple[str, str]] = (),
    ) -> Screen:
        """How to order, then every command the reader can use here, described as in
        Telegram's command menu."""
        parts = [
            self.t(lang, "help.text", shop=self.shop_name),
            self.t(lang, "help.commands"),
            self.command_list(lang, commands),
        ]
        if admin_commands:
            parts += [self.t(lang, "help.admin_commands"), self.command_list(lang, admin_commands)]
        return Screen("\n".join(parts), self.menu_keyboard(lang, cart_count))

    def command_list(self, lang: Language, commands: Sequence[tuple[str, str]]) -> str:
        """One line per command: /name — what it does (its description key)."""
        return "\n".join(
            self.t(lang, "help.command", command=f"/{name}", what=Html(self.t(lang, key)))
            for name, key in commands
        )

    def notifications(self, lang: Language, customer: Customer) -> Screen:
        """What the customer is sent: order updates always; review invitations and other
        optional messages as they chose, with the key that changes it."""
        t = self.t
        on = customer.optional_messages
        state = t(lang, "notifications.on" if on else "notifications.off")
        text = t(lang, "notifications.text", optional=Html(state))
        change = SetOptionalMessages(0 if on else 1)
        label = t(lang, "notifications.turn_off" if on else "notifications.turn_on")
        return Screen(
            text, keyboard([[button(label, change)], [button(t(lang, "nav.menu"), Menu())]])
        )

    def language_picker(self, lang: Language) -> Screen:
        return Screen(
            self.t(lang, "language.choose"),
            keyboard(
                [
                    [
                        button("English", SetLanguage("en")),
                        button("简体中文", SetLanguage("zh")),
                    ]
                ]
            ),
        )

    # -- errors -----------------------------------------------------------------------------

    def error(self, lang: Language, error: DomainError) -> str:
        params = dict(error.params)
        if "status" in params:
            params["status"] = (
                self.t(lang, f"status.{params['status']}")
                if self.t.has(f"status.{params['status']}")
                else params["status"]
            )
        params.setdefault("name", "")
        try:
            return self.t(lang, error.key, **params)
        except KeyError:
            return self.t(lang, "error.generic")

    def html(self, text: str) -> Html:
        return Html(text)
