"""Screens: pure functions from domain objects to text and keyboards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot import callbacks as cb
from bot.texts import Html, Texts
from domain.cart.model import MAX_QUANTITY, Cart
from domain.catalog.model import Category, Product
from domain.checkout.flow import CheckoutStep
from domain.checkout.shop import CheckoutView
from domain.orders.lifecycle import CANCELLABLE_BY_CUSTOMER, OrderStatus
from domain.orders.model import Order, PaymentMethod
from domain.shared.customers import Customer, Language
from domain.shared.errors import DomainError
from domain.shared.paging import Paged

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
ORDER_LINES_SHOWN = 15
EVENTS_SHOWN = 12
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None


@dataclass
class Screen:
    """What one message shows: HTML text, a keyboard, and a product whose photo leads it."""

    text: str
    markup: Markup = None
    photo_of: Product | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def fit(text: str, limit: int) -> str:
    """Cut a message at a line boundary so it fits Telegram's limit (each line is balanced HTML)."""
    if len(text) <= limit:
        return text
    lines = text.split("\n")
    while lines and len("\n".join(lines)) + 2 > limit:
        lines.pop()
    return "\n".join(lines) + "\n…"


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def order_footer(t: Texts, lang: Language, order: Order) -> list[str]:
    """Totals, delivery address and payment method of an order (customer and admin views)."""
    return [
        t(
            lang,
            "order.totals",
            subtotal=order.subtotal,
            shipping=order.shipping,
            total=order.total,
        ),
        t(
            lang,
            "order.deliver_to",
            recipient=order.recipient,
            phone=order.phone,
            address=order.address_text,
        ),
        t(lang, "order.payment", method=t(lang, f"payment.{order.payment_method.value}")),
    ]


def button(text: str, data: cb.Callback) -> InlineKeyboardButton:
    """An inline button carrying typed callback data."""
    return InlineKeyboardButton(text, callback_data=data.pack())


def keyboard(rows: Sequence[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    """An inline keyboard from rows, skipping empty ones."""
    return InlineKeyboardMarkup([list(row) for row in rows if row])


def pager(t: Texts, lang: Language, paged: Paged[Any], make: Any) -> list[InlineKeyboardButton]:
    """◀ 2/5 ▶ navigation, empty when everything fits on one page."""
    if paged.pages <= 1:
        return []
    number = paged.page.number
    return [
        button("◀", make(number - 1)) if paged.has_prev else button(" ", cb.Noop()),
        button(t(lang, "nav.page", page=number + 1, pages=paged.pages), cb.Noop()),
        button("▶", make(number + 1)) if paged.has_next else button(" ", cb.Noop()),
    ]


class Views:
    """All customer screens in one place."""

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
                [button(t(lang, "menu.catalog"), cb.Categories()), button(cart, cb.ShowCart())],
                [
                    button(t(lang, "menu.orders"), cb.OrderList(0)),
                    button(t(lang, "menu.help"), cb.Help()),
                ],
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

    def help(self, lang: Language, cart_count: int) -> Screen:
        return Screen(
            self.t(lang, "help.text", shop=self.shop_name), self.menu_keyboard(lang, cart_count)
        )

    def language_picker(self, lang: Language) -> Screen:
        return Screen(
            self.t(lang, "language.choose"),
            keyboard(
                [
                    [
                        button("English", cb.SetLanguage("en")),
                        button("简体中文", cb.SetLanguage("zh")),
                    ]
                ]
            ),
        )

    # -- catalog ----------------------------------------------------------------------------

    def categories(self, lang: Language, categories: list[Category]) -> Screen:
        t = self.t
        if not categories:
            return Screen(
                t(lang, "catalog.empty"), keyboard([[button(t(lang, "nav.menu"), cb.Menu())]])
            )
        rows = [
            [
                button(
                    t(lang, "catalog.category_button", name=c.name, n=c.product_count),
                    cb.ProductList(c.id, 0),
                )
            ]
            for c in categories[:40]
        ]
        rows.append(
            [button(t(lang, "menu.cart"), cb.ShowCart()), button(t(lang, "nav.menu"), cb.Menu())]
        )
        return Screen(t(lang, "catalog.title"), keyboard(rows))

    def _product_button(
        self, lang: Language, product: Product, data: cb.Callback
    ) -> InlineKeyboardButton:
        key = "catalog.product_button" if product.in_stock else "catalog.product_button_sold_out"
        label = self.t(lang, key, name=_short(product.name, 40), price=product.price)
        return InlineKeyboardButton(self._plain(label), callback_data=data.pack())

    @staticmethod
    def _plain(text: str) -> str:
        import html

        return html.unescape(text)

    def product_list(self, lang: Language, category: Category, paged: Paged[Product]) -> Screen:
        t = self.t
        rows = [
            [self._product_button(lang, p, cb.ProductCard(p.id, 1, category.id, paged.page.number))]
            for p in paged.items
        ]
        rows.append(pager(t, lang, paged, lambda n: cb.ProductList(category.id, n)))
        rows.append(
            [
                button(t(lang, "nav.categories"), cb.Categories()),
                button(t(lang, "menu.cart"), cb.ShowCart()),
            ]
        )
        if paged.items:
            text = t(lang, "catalog.list_title", category=category.name, total=paged.total)
        else:
            text = t(lang, "catalog.list_empty", category=category.name)
        return Screen(text, keyboard(rows))

    def search_results(self, lang: Language, words: str, paged: Paged[Product]) -> Screen:
        t = self.t
        if not paged.items:
            return Screen(t(lang, "search.none", words=words), self.menu_keyboard(lang))
        rows = [[self._product_button(lang, p, cb.ProductCard(p.id, 1, 0, 0))] for p in paged.items]
        rows.append(
            [
                button(t(lang, "menu.catalog"), cb.Categories()),
                button(t(lang, "nav.menu"), cb.Menu()),
            ]
        )
        key = "search.results_more" if paged.total > len(paged.items) else "search.results"
        return Screen(
            t(lang, key, words=words, shown=len(paged.items), total=paged.total), keyboard(rows)
        )

    def product_card(
        self, lang: Language, product: Product, qty: int, category_id: int, page: int, in_cart: int
    ) -> Screen:
        t = self.t
        parts = [t(lang, "product.title", name=product.name)]
        if product.description:
            parts.append(t(lang, "product.description", text=_short(product.description, 600)))
        parts.append(t(lang, "product.price", price=product.price))
        if product.rating_average is not None:  # reviews (bot/reviews.py)
            average = f"{product.rating_average:.1f}"
            if product.rating_count == 1:
                parts.append(t(lang, "review.card_one", average=average))
            else:
                parts.append(t(lang, "review.card", average=average, count=product.rating_count))
        if product.in_stock:
            parts.append(t(lang, "product.in_stock", n=product.available))
        else:
            parts.append(t(lang, "product.sold_out"))
        if in_cart:
            parts.append(t(lang, "product.in_cart", n=in_cart))
        limit = min(MAX_QUANTITY, max(product.available - in_cart, 1))
        qty = min(max(qty, 1), limit)
        rows: list[list[InlineKeyboardButton]] = []
        if product.in_stock and product.available > in_cart:
            rows.append(
                [
                    button("➖", cb.ProductCard(product.id, qty - 1, category_id, page))
                    if qty > 1
                    else button(" ", cb.Noop()),
                    button(str(qty), cb.Noop()),
                    button("➕", cb.ProductCard(product.id, qty + 1, category_id, page))
                    if qty < limit
                    else button(" ", cb.Noop()),
                ]
            )
            rows.append(
                [
                    button(
                        t(lang, "product.add", n=qty),
                        cb.AddToCart(product.id, qty, category_id, page),
                    )
                ]
            )
        back: cb.Callback = cb.ProductList(category_id, page) if category_id else cb.Categories()
        rows.append(
            [
                button(t(lang, "nav.back"), back),
                button(
                    t(lang, "menu.cart_n", n=in_cart) if in_cart else t(lang, "menu.cart"),
                    cb.ShowCart(),
                ),
            ]
        )
        limit_chars = CAPTION_LIMIT if (product.photo or product.photo_file_id) else TEXT_LIMIT
        return Screen(
            fit("\n".join(parts), limit_chars),
            keyboard(rows),
            photo_of=product if (product.photo or product.photo_file_id) else None,
        )

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
                            button(t(lang, "menu.catalog"), cb.Categories()),
                            button(t(lang, "nav.menu"), cb.Menu()),
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
                    button("➖", cb.CartLess(product.id)),
                    button(f"{_short(product.name, 18)} ×{line.quantity}", cb.Noop()),
                    button("➕", cb.CartMore(product.id)),
                    button("🗑", cb.CartRemove(product.id)),
                ]
            )
        lines.append(t(lang, "cart.total", total=cart.subtotal(currency)))
        if note:
            lines.insert(0, note + "\n")
        rows.append([button(t(lang, "cart.checkout"), cb.Checkout())])
        rows.append(
            [
                button(t(lang, "cart.continue"), cb.Categories()),
                button(t(lang, "nav.menu"), cb.Menu()),
            ]
        )
        return Screen(fit("\n".join(lines), TEXT_LIMIT), keyboard(rows))

    # -- checkout ---------------------------------------------------------------------------

    def _step_buttons(self, lang: Language, token: str) -> list[InlineKeyboardButton]:
        return [
            button(self.t(lang, "checkout.back"), cb.CheckoutBack(token)),
            button(self.t(lang, "checkout.cancel"), cb.CheckoutCancel(token)),
        ]

    def text_step_keyboard(self, lang: Language, step: CheckoutStep) -> ReplyKeyboardMarkup:
        """Reply keyboard for typed steps (Back / Cancel, and contact sharing)."""
        t = self.t
        rows: list[list[KeyboardButton]] = []
        if step == CheckoutStep.ENTER_PHONE:
            rows.append([KeyboardButton(t(lang, "checkout.share_phone"), request_contact=True)])
        rows.append(
            [KeyboardButton(t(lang, "checkout.back")), KeyboardButton(t(lang, "checkout.cancel"))]
        )
        return ReplyKeyboardMarkup(
            rows,
            resize_keyboard=True,
            is_persistent=True,
            input_field_placeholder=self._plain(t(lang, f"checkout.placeholder.{step.value}")),
        )

    def checkout_step(self, lang: Language, view: CheckoutView) -> Screen:
        """The screen for the checkout's current step."""
        t = self.t
        checkout = view.checkout
        token = checkout.token
        step = checkout.step
        if step == CheckoutStep.CHOOSE_ADDRESS:
            rows = [
                [button(_short(f"{a.recipient}, {a.text}", 48), cb.UseAddress(token, a.id))]
                for a in view.addresses
            ]
            rows.append([button(t(lang, "checkout.new_address"), cb.NewAddress(token))])
            rows.append(self._step_buttons(lang, token))
            return Screen(t(lang, "checkout.choose_address"), keyboard(rows))
        if step in (
            CheckoutStep.ENTER_RECIPIENT,
            CheckoutStep.ENTER_PHONE,
            CheckoutStep.ENTER_ADDRESS,
        ):
            return Screen(
                t(lang, f"checkout.ask.{step.value}"), self.text_step_keyboard(lang, step)
            )
        if step == CheckoutStep.CHOOSE_PAYMENT:
            rows = [
                [button(t(lang, f"payment.{m.value}"), cb.PayWith(token, m.value))]
                for m in view.payment_methods
            ]
            rows.append(self._step_buttons(lang, token))
            return Screen(t(lang, "checkout.choose_payment", total=view.total), keyboard(rows))
        if step == CheckoutStep.REVIEW:
            draft = checkout.draft
            parts = [t(lang, "checkout.review_title")]
            for line in view.cart.lines:
                parts.append(
                    t(
                        lang,
                        "order.line",
                        name=line.product.name,
                        qty=line.quantity,
                        total=line.total,
                    )
                )
            parts.append(
                t(
                    lang,
                    "order.totals",
                    subtotal=view.subtotal,
                    shipping=view.shipping,
                    total=view.total,
                )
            )
            parts.append(
                t(
                    lang,
                    "order.deliver_to",
                    recipient=draft.recipient or "",
                    phone=draft.phone or "",
                    address=draft.address_text or "",
                )
            )
            parts.append(
                t(
                    lang,
                    "order.payment",
                    method=t(lang, f"payment.{draft.payment_method.value}")
                    if draft.payment_method
                    else "",
                )
            )
            rows = [
                [button(t(lang, "checkout.confirm"), cb.Confirm(token))],
                self._step_buttons(lang, token),
            ]
            return Screen(fit("\n".join(parts), TEXT_LIMIT), keyboard(rows))
        return self.menu(lang, view.cart.item_count)

    def details_saved(self, lang: Language, view: CheckoutView) -> Screen:
        draft = view.checkout.draft
        return Screen(
            self.t(
                lang,
                "checkout.details_saved",
                recipient=draft.recipient or "",
                phone=draft.phone or "",
                address=draft.address_text or "",
            ),
            ReplyKeyboardRemove(),
        )

    # -- orders -----------------------------------------------------------------------------

    def status(self, lang: Language, order: Order) -> str:
        return self.t(lang, f"status.{order.status.value}")

    def placed(self, lang: Language, order: Order) -> Screen:
        t = self.t
        parts = [t(lang, "order.placed", number=order.number)]
        parts.extend(self._order_body(lang, order))
        parts.append(self._payment_hint(lang, order))
        rows = [
            *self.payment_buttons(lang, order),
            [
                button(t(lang, "menu.orders"), cb.OrderList(0)),
                button(t(lang, "cart.continue"), cb.Categories()),
            ],
        ]
        return Screen(fit("\n".join(parts), TEXT_LIMIT), keyboard(rows))

    def _payment_hint(self, lang: Language, order: Order) -> str:
        if order.payment_method in (PaymentMethod.CARD, PaymentMethod.STARS):
            return self.t(lang, "pay.hint_online", total=order.total)
        if order.payment_method == PaymentMethod.BANK_TRANSFER:
            details = self.bank_details or self.t(lang, "payment.bank_details_missing")
            return "\n".join(
                [
                    self.t(
                        lang,
                        "payment.bank_hint",
                        details=details,
                        number=order.number,
                        total=order.total,
                    ),
                    self.t(lang, "pay.hint_receipt"),
                ]
            )
        return self.t(lang, "payment.cod_hint", total=order.total)

    def payment_buttons(self, lang: Language, order: Order) -> list[list[InlineKeyboardButton]]:
        """Pay now (invoice) or Send transfer receipt (bank), while the order is unpaid."""
        if order.status != OrderStatus.PENDING_PAYMENT:
            return []
        number = cb.OrderNo(order.number)
        if order.payment_method in (PaymentMethod.CARD, PaymentMethod.STARS):
            return [[button(self.t(lang, "pay.pay_now"), cb.PayNow(number))]]
        if order.payment_method == PaymentMethod.BANK_TRANSFER:
            return [[button(self.t(lang, "pay.send_receipt"), cb.AskReceipt(number))]]
        return []

    def _order_body(self, lang: Language, order: Order) -> list[str]:
        t = self.t
        parts = []
        for line in order.lines[:ORDER_LINES_SHOWN]:
            parts.append(t(lang, "order.line", name=line.name, qty=line.quantity, total=line.total))
        if len(order.lines) > ORDER_LINES_SHOWN:
            parts.append(t(lang, "order.more_lines", n=len(order.lines) - ORDER_LINES_SHOWN))
        parts.extend(order_footer(t, lang, order))
        return parts

    def order_list(self, lang: Language, paged: Paged[Order]) -> Screen:
        t = self.t
        if not paged.items and paged.page.number == 0:
            return Screen(
                t(lang, "orders.none"),
                keyboard(
                    [
                        [
                            button(t(lang, "menu.catalog"), cb.Categories()),
                            button(t(lang, "nav.menu"), cb.Menu()),
                        ]
                    ]
                ),
            )
        rows = [
            [
                button(
                    self._plain(
                        t(
                            lang,
                            "orders.button",
                            number=o.number,
                            status=self.status(lang, o),
                            total=o.total,
                        )
                    ),
                    cb.OrderDetail(o.number, paged.page.number),
                )
            ]
            for o in paged.items
        ]
        rows.append(pager(t, lang, paged, lambda n: cb.OrderList(n)))
        rows.append([button(t(lang, "nav.menu"), cb.Menu())])
        return Screen(t(lang, "orders.title", total=paged.total), keyboard(rows))

    def order_detail(
        self,
        lang: Language,
        order: Order,
        page: int,
        extra_lines: Sequence[str] = (),
        extra_rows: Sequence[Sequence[InlineKeyboardButton]] = (),
    ) -> Screen:
        """An order with its timeline; features add lines and buttons (after-sales, reviews)."""
        t = self.t
        parts = [
            t(
                lang,
                "order.title",
                number=order.number,
                status=self.status(lang, order),
                placed=order.created_at,
            )
        ]
        parts.extend(self._order_body(lang, order))
        parts.extend(extra_lines)
        if order.events:
            parts.append(t(lang, "order.timeline"))
            shown = [e for e in order.events if not e.params.get("internal")]  # admin notes
            for event in shown[-EVENTS_SHOWN:]:
                parts.append(
                    t(lang, "order.event", at=event.at, what=t(lang, f"event.{event.type.value}"))
                )
        rows: list[list[InlineKeyboardButton]] = [*self.payment_buttons(lang, order)]
        if order.status in CANCELLABLE_BY_CUSTOMER:
            rows.append([button(t(lang, "order.cancel"), cb.AskCancelOrder(order.number, page))])
        if order.status == OrderStatus.DELIVERED:  # jobs and tracking: the parcel arrived
            rows.append([button(t(lang, "track.received_button"), cb.Received(order.number, page))])
        rows.extend(list(row) for row in extra_rows)
        rows.append(
            [
                button(t(lang, "orders.back"), cb.OrderList(page)),
                button(t(lang, "nav.menu"), cb.Menu()),
            ]
        )
        return Screen(fit("\n".join(parts), TEXT_LIMIT), keyboard(rows))

    def ask_cancel(self, lang: Language, order: Order, page: int) -> Screen:
        t = self.t
        return Screen(
            t(lang, "order.cancel_confirm", number=order.number, total=order.total),
            keyboard(
                [
                    [
                        button(t(lang, "order.cancel_yes"), cb.CancelOrder(order.number, page)),
                        button(t(lang, "order.cancel_no"), cb.OrderDetail(order.number, page)),
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
