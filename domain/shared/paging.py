"""Paging: which slice of a list to show, and a page of results."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar


class Toward(StrEnum):
    """Which rows of a list a keyset page takes, next to its key row (in the list's order)."""

    AFTER = "n"  # the rows after it: the next page (the key is the last row shown)
    BEFORE = "p"  # the rows before it: the previous page (the key is the first row shown)
    FROM = "a"  # the rows from it on: the same page again (the key is the first row shown)


@dataclass(frozen=True)
class Seek:
    """Where a keyset page starts: next to the row whose id is `key`, wherever that row is
    now, so a page deep in a long list is one index range (no rows skipped one by one)."""

    key: int
    toward: Toward


# How far a list that pages by key counts its rows for its total (issue 13): this many pages'
# worth, and one row more to know whether there are more. Counting a long list whole costs as
# much as reading it (the audit log, the reviews); past this the total shows as "over N" and
# the pages as "3/100+". A module setting, read when a page is asked for.
COUNTED_PAGES = 100


@dataclass(frozen=True)
class Page:
    """Which slice of a list to show. With `seek`, a list that pages by key finds the page
    by its boundary row, and `number` is only what the page is called ("page 3 of 120")."""

    number: int
    size: int
    seek: Seek | None = None

    @property
    def offset(self) -> int:
        """Rows to skip."""
        return self.number * self.size

    @property
    def count_cap(self) -> int:
        """The most rows a capped count (`counted`) tells apart: a list counts at most one
        more than this (a LIMITed subquery), so its total costs the same however long it is."""
        return COUNTED_PAGES * self.size

    def counted(self, rows: int) -> tuple[int, bool]:
        """(total, at_least) of a list whose count stopped at `count_cap + 1` rows: over the
        cap, the total is the cap and the list holds more than that."""
        cap = self.count_cap
        return (cap, True) if rows > cap else (rows, False)


T = TypeVar("T")


@dataclass
class Paged(Generic[T]):
    """A page of items and the total count."""

    items: list[T]
    total: int
    page: Page
    # Whether rows lie before / after this page, when found by key (None: by the number).
    before: bool | None = None
    after: bool | None = None
    # The total is a lower bound: the list holds more than `total` rows (a capped count,
    # Page.counted); `pages` is then as many as are known to be there.
    at_least: bool = False

    @property
    def pages(self) -> int:
        """How many pages there are (at least 1); with `at_least`, how many there are at
        least: those the counted rows fill, or this page and the next one past them."""
        counted = max((self.total + self.page.size - 1) // self.page.size, 1)
        if not self.at_least:
            return counted
        # more rows than the counted pages hold: past them, a page by number has a next one
        ahead = self.after if self.after is not None else True
        return max(counted, self.page.number + 1 + int(ahead))

    @property
    def open_ended(self) -> bool:
        """Whether more pages may follow those `pages` names ("3/100+"): the total is a
        lower bound and this is not the last page."""
        return self.at_least and self.has_next

    @property
    def has_prev(self) -> bool:
        """Whether there is an earlier page."""
        return self.before if self.before is not None else self.page.number > 0

    @property
    def has_next(self) -> bool:
        """Whether there is a later page."""
        return self.after if self.after is not None else self.page.number + 1 < self.pages


def counted_page(items: list[T], rows: int, page: Page) -> Paged[T]:
    """A page found by its number, of a list counted up to `page.count_cap + 1` rows."""
    total, at_least = page.counted(rows)
    return Paged(items, total, page, at_least=at_least)


def keyset_page(
    items: list[T], total: int, page: Page, *, before: bool, after: bool, at_least: bool = False
) -> Paged[T]:
    """A page found by key, its number kept in step with what is around it: the first page
    when nothing lies before it, the last when nothing lies after, otherwise the number its
    button carried, within the pages the total makes (the list may have grown or shrunk
    since that button was sent). With `at_least` (a capped count, Page.counted) the total
    is only a lower bound: the number the button carried stands (past the first page)."""
    pages = max((total + page.size - 1) // page.size, 1)
    if not before:
        number = 0
    elif at_least:
        number = max(page.number, 1)
    elif not after:
        number = max(pages - 1, 1)
    else:
        number = min(max(page.number, 1), max(pages - 2, 1))
    return Paged(items, total, Page(number, page.size, page.seek), before, after, at_least)


def capped_keyset_page(
    items: list[T], rows: int, page: Page, *, before: bool, after: bool
) -> Paged[T]:
    """`keyset_page` of a list counted up to `page.count_cap + 1` rows."""
    total, at_least = page.counted(rows)
    return keyset_page(items, total, page, before=before, after=after, at_least=at_least)
