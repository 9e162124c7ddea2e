"""Catalog screens: categories, product lists, search results, product cards."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResult,
    InlineQueryResultArticle,
    InlineQueryResultCachedPhoto,
    InputTextMessageContent,
)

from bot.callback_data import Callback, Words, pack_checked
from bot.cart.callbacks import ShowCart
from bot.catalog.callbacks import AddToCart, Categories, ProductCard, ProductList, SearchPage
from bot.marketing.callbacks import UnwatchProduct, WatchProduct
from bot.screens import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    Screen,
    button,
    button_label,
    fit,
    keyboard,
    pager,
    short,
)
from bot.shared.callbacks import Menu, Noop
from bot.shared.views import ShopViews
from domain.cart.model import MAX_QUANTITY
from domain.catalog.model import Category, Product
from domain.shared.customers import Language
from domain.shared.paging import Paged


@dataclass(frozen=True)
class Share:
    """How a product card is shared: through the bot's inline mode (the chat picker, then the
    product as a result) when it is on, else Telegram's share link of the product's deep link."""

    link: str  # https://t.me/<bot>?start=<payload>
    inline_query: str | None = None  # the SKU, when the bot answers inline queries


def share_button(label: str, share: Share) -> InlineKeyboardButton:
    """The card's Share key."""
    if share.inline_query is not None:
        return InlineKeyboardButton(label, switch_inline_query=share.inline_query)
    return InlineKeyboardButton(label, url=f"https://t.me/share/url?url={quote(share.link)}")


class CatalogViews(ShopViews):
    """Catalog screens."""

    # -- catalog ----------------------------------------------------------------------------

    def categories(self, lang: Language, categories: list[Category]) -> Screen:
        t = self.t
        if not categories:
            return Screen(
                t(lang, "catalog.empty"), keyboard([[button(t(lang, "nav.menu"), Menu())]])
            )
        rows = [
            [
                button(
                    t(lang, "catalog.category_button", name=c.name, n=c.product_count),
                    ProductList(c.id, 0),
                )
            ]
            for c in categories[:40]
        ]
        rows.append([button(t(lang, "menu.cart"), ShowCart()), button(t(lang, "nav.menu"), Menu())])
        return Screen(t(lang, "catalog.title"), keyboard(rows))

    def _product_button(
        self, lang: Language, product: Product, data: Callback
    ) -> InlineKeyboardButton:
        key = "catalog.product_button" if product.in_stock else "catalog.product_button_sold_out"
        label = self.t(lang, key, name=short(product.name, 40), price=product.price)
        return InlineKeyboardButton(button_label(label), callback_data=data.pack())

    def product_list(self, lang: Language, category: Category, paged: Paged[Product]) -> Screen:
        t = self.t
        rows = [
            [self._product_button(lang, p, ProductCard(p.id, 1, category.id, paged.page.number))]
            for p in paged.items
        ]
        rows.append(pager(t, lang, paged, lambda n: ProductList(category.id, n)))
        rows.append(
            [
                button(t(lang, "nav.categories"), Categories()),
                button(t(lang, "menu.cart"), ShowCart()),
            ]
        )
        if paged.items:
            text = t(lang, "catalog.list_title", category=category.name, n=paged.total)
        else:
            text = t(lang, "catalog.list_empty", category=category.name)
        return Screen(text, keyboard(rows))

    def search_results(self, lang: Language, words: str, paged: Paged[Product]) -> Screen:
        """A page of products matching the words, with ◀ n/m ▶ when the words fit in the
        buttons' data (else the first page and a hint to narrow it down)."""
        t = self.t
        if not paged.items:
            return Screen(t(lang, "search.none", words=words), self.menu_keyboard(lang))
        rows = [[self._product_button(lang, p, ProductCard(p.id, 1, 0, 0))] for p in paged.items]
        pageable = pack_checked(SearchPage(0, Words(words.strip()))) is not None
        if pageable:
            rows.append(pager(t, lang, paged, lambda n: SearchPage(n, Words(words.strip()))))
        rows.append(
            [
                button(t(lang, "menu.catalog"), Categories()),
                button(t(lang, "nav.menu"), Menu()),
            ]
        )
        more = not pageable and paged.total > len(paged.items)
        key = "search.results_more" if more else "search.results"
        return Screen(
            t(lang, key, words=words, shown=len(paged.items), n=paged.total), keyboard(rows)
        )

    def inline_result(self, lang: Language, product: Product, link: str) -> InlineQueryResult:
        """A product as an inline-mode result: posted as a short card whose button opens the
        product in the shop's chat (a deep link). A product whose photo Telegram already has
        (a file id, kept once its card was first sent) is a cached photo result: the list shows
        its picture and the post is the photo with the card as its caption; a photo only on
        this machine has no URL Telegram could fetch, so that product is a text result."""
        t = self.t
        parts = [t(lang, "product.title", name=product.name)]
        if product.description:
            parts.append(t(lang, "product.description", text=short(product.description, 300)))
        parts.append(t(lang, "product.price", price=product.price))
        stock = "product.in_stock" if product.in_stock else "product.sold_out"
        parts.append(t(lang, stock, n=product.available))
        open_button = InlineKeyboardButton(
            button_label(t(lang, "product.open_in_shop", shop=self.shop_name)), url=link
        )
        title = button_label(product.name)
        description = button_label(
            t(lang, "catalog.product_button", name=product.sku, price=product.price)
        )
        markup = InlineKeyboardMarkup([[open_button]])
        if product.photo_file_id:
            return InlineQueryResultCachedPhoto(
                id=str(product.id),
                photo_file_id=product.photo_file_id,
                title=title,
                description=description,
                caption=fit("\n".join(parts), CAPTION_LIMIT),
                reply_markup=markup,
            )
        return InlineQueryResultArticle(
            id=str(product.id),
            title=title,
            description=description,
            input_message_content=InputTextMessageContent("\n".join(parts)),
            reply_markup=markup,
        )

    def product_card(
        self,
        lang: Language,
        product: Product,
        qty: int,
        category_id: int,
        page: int,
        in_cart: int,
        cart_count: int,
        share: Share | None = None,
        watching: bool | None = None,
    ) -> Screen:
        """A product card; `in_cart` is this product's units, `cart_count` the whole cart's
        (the count every 🛒 Cart button shows); `share` adds a Share key; `watching` (sold out:
        whether the customer waits for it) adds Notify me or Stop notifying (issue 16)."""
        t = self.t
        parts = [t(lang, "product.title", name=product.name)]
        if product.description:
            parts.append(t(lang, "product.description", text=short(product.description, 600)))
        parts.append(t(lang, "product.price", price=product.price))
        if product.rating_average is not None:  # reviews (bot/reviews/)
            average = f"{product.rating_average:.1f}"
            parts.append(t(lang, "review.card", average=average, n=product.rating_count))
            for comment in product.comments:  # the newest, when loaded (bot/reviews/cards.py)
                parts.append(
                    t(
                        lang,
                        "review.adm.card_comment",
                        stars="★" * comment.rating,
                        text=short(comment.comment, 120),
                        customer=comment.customer,
                    )
                )
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
            picker = [button(str(qty), Noop())]
            if qty > 1:
                picker.insert(0, button("➖", ProductCard(product.id, qty - 1, category_id, page)))
            if qty < limit:
                picker.append(button("➕", ProductCard(product.id, qty + 1, category_id, page)))
            rows.append(picker)
            rows.append(
                [
                    button(
                        t(lang, "product.add", n=qty),
                        AddToCart(product.id, qty, category_id, page),
                    )
                ]
            )
        if not product.in_stock and watching is not None:
            if watching:
                watch = button(
                    t(lang, "product.notify_stop"), UnwatchProduct(product.id, category_id, page)
                )
            else:
                watch = button(
                    t(lang, "product.notify_me"), WatchProduct(product.id, category_id, page)
                )
            rows.append([watch])
        back: Callback = ProductList(category_id, page) if category_id else Categories()
        if share is not None:
            rows.append([share_button(t(lang, "product.share"), share)])
        rows.append(
            [
                button(t(lang, "nav.back"), back),
                button(
                    t(lang, "menu.cart_n", n=cart_count) if cart_count else t(lang, "menu.cart"),
                    ShowCart(),
                ),
            ]
        )
        limit_chars = CAPTION_LIMIT if (product.photo or product.photo_file_id) else TEXT_LIMIT
        return Screen(
            fit("\n".join(parts), limit_chars),
            keyboard(rows),
            photo_of=product if (product.photo or product.photo_file_id) else None,
        )
