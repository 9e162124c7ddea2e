"""Keyboards never show a blank key, and the pager only offers the pages there are."""

from __future__ import annotations

from telegram import InlineKeyboardButton

from bot.catalog.callbacks import ProductList
from bot.screens import button, keyboard, pager
from bot.shared.callbacks import Noop
from bot.texts import Texts
from domain.shared.customers import Language
from domain.shared.paging import Page, Paged


def labels(rows: tuple[tuple[InlineKeyboardButton, ...], ...]) -> list[list[str]]:
    return [[b.text for b in row] for row in rows]


def test_a_key_with_a_blank_label_is_left_out_and_an_emptied_row_with_it() -> None:
    markup = keyboard([[button(" ", Noop()), button("1", Noop())], [button("  ", Noop())]])
    assert labels(markup.inline_keyboard) == [["1"]]


def test_the_pager_offers_only_the_pages_there_are() -> None:
    texts = Texts()

    def page(number: int) -> list[str]:
        paged = Paged(list(range(6)), 13, Page(number, 6))
        return [b.text for b in pager(texts, Language.EN, paged, lambda n: ProductList(1, n))]

    assert page(0) == ["1/3", "▶"]
    assert page(1) == ["◀", "2/3", "▶"]
    assert page(2) == ["◀", "3/3"]
    assert pager(texts, Language.EN, Paged([1], 1, Page(0, 6)), lambda n: ProductList(1, n)) == []
