"""How a list's header and page label read when its total was counted only so far (issue
13: domain/shared/paging.py Page.counted): "(over 600)" and "3/100+"; the lists that count
in full read as before."""

from __future__ import annotations

from typing import Any

from bot.texts import Texts
from domain.shared.customers import Language
from domain.shared.paging import Paged


def total_text(t: Texts, lang: Language, paged: Paged[Any]) -> int | str:
    """The list's size for its header: the count, or "over N" past the counted rows."""
    return t(lang, "nav.over", n=paged.total) if paged.at_least else paged.total


def page_label(t: Texts, lang: Language, paged: Paged[Any]) -> str:
    """ "3/12", or "3/100+" while more pages may follow those the counted rows fill."""
    number = paged.page.number
    key = "nav.page_open" if paged.open_ended else "nav.page"
    return t(lang, key, page=number + 1, pages=max(paged.pages, number + 1))
