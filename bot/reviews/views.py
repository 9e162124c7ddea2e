"""Review screens: the rating on a completed order, the star picker, thanks."""

from __future__ import annotations

from telegram import InlineKeyboardButton

from bot.callback_data import OrderNo, Token
from bot.catalog.callbacks import Categories
from bot.orders.callbacks import OrderDetail, detail_of
from bot.reviews.callbacks import RvAsk, RvRate, RvSkip
from bot.screens import Screen, button, keyboard, short
from bot.texts import Texts
from domain.after_sales.records import (
    Draft,
)
from domain.orders.model import Order
from domain.reviews.records import COMMENT_MAX, Review
from domain.reviews.service import RATING_MAX, RATING_MIN
from domain.shared.customers import Language

STAR_KEYS = ("review.star_1", "review.star_2", "review.star_3", "review.star_4", "review.star_5")


def stars(rating: int) -> str:
    """★★★★☆ for 4."""
    return "★" * rating + "☆" * (RATING_MAX - rating)


class ReviewViews:
    """The customer's review screens."""

    def __init__(self, texts: Texts) -> None:
        self.t = texts

    # -- reviews -----------------------------------------------------------------------------

    def review_section(
        self, lang: Language, order: Order, review: Review | None, page: int
    ) -> tuple[list[str], list[list[InlineKeyboardButton]]]:
        """Lines and buttons the detail of a completed order shows about its review."""
        t = self.t
        number = OrderNo(order.number)
        if review is None:
            return [], [[button(t(lang, "review.rate"), RvAsk(number, page))]]
        lines = [t(lang, "review.yours", stars=stars(review.rating))]
        if review.comment:
            lines.append(t(lang, "review.comment_line", comment=short(review.comment, 300)))
        return lines, [[button(t(lang, "review.edit"), RvAsk(number, page))]]

    def rating_picker(self, lang: Language, number: str, page: int) -> Screen:
        t = self.t
        order_no = OrderNo(number)
        row = [
            button(t(lang, key), RvRate(order_no, rating))
            for key, rating in zip(STAR_KEYS, range(RATING_MIN, RATING_MAX + 1), strict=True)
        ]
        return Screen(
            t(lang, "review.ask", number=number),
            keyboard([row, [button(t(lang, "nav.back"), OrderDetail(order_no, page))]]),
        )

    def rated(
        self, lang: Language, review: Review, number: str, draft: Draft, created: bool
    ) -> Screen:
        t = self.t
        key = "review.thanks" if created else "review.updated"
        return Screen(
            t(lang, key, number=number, stars=stars(review.rating), max=COMMENT_MAX),
            keyboard([[button(t(lang, "review.skip"), RvSkip(Token(draft.token)))]]),
        )

    def review_saved(self, lang: Language, review: Review, number: str) -> Screen:
        t = self.t
        return Screen(
            t(lang, "review.saved", number=number, stars=stars(review.rating)),
            keyboard(
                [
                    [
                        button(t(lang, "as.view.order", number=number), detail_of(number)),
                        button(t(lang, "menu.catalog"), Categories()),
                    ]
                ]
            ),
        )
