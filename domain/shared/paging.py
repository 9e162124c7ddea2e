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

    @property
    def pages(self) -> int:
        """How many pages there are (at least 1)."""
        return max((self.total + self.page.size - 1) // self.page.size, 1)

    @property
    def has_prev(self) -> bool:
        """Whether there is an earlier page."""
        return self.before if self.before is not None else self.page.number > 0

    @property
    def has_next(self) -> bool:
        """Whether there is a later page."""
        return self.after if self.after is not None else self.page.number + 1 < self.pages


def keyset_page(items: list[T], total: int, page: Page, *, before: bool, after: bool) -> Paged[T]:
    """A page found by key, its number kept in step with what is around it: the first page
    when nothing lies before it, the last when nothing lies after, otherwise the number its
    button carried, within the pages the total makes (the list may have grown or shrunk
    since that button was sent)."""
    pages = max((total + page.size - 1) // page.size, 1)
    if not before:
        number = 0
    elif not after:
        number = max(pages - 1, 1)
    else:
        number = min(max(page.number, 1), max(pages - 2, 1))
    return Paged(items, total, Page(number, page.size, page.seek), before, after)
