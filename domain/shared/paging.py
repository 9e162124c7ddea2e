"""Paging: which slice of a list to show, and a page of results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar


@dataclass(frozen=True)
class Page:
    """Which slice of a list to show."""

    number: int
    size: int

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

    @property
    def pages(self) -> int:
        """How many pages there are (at least 1)."""
        return max((self.total + self.page.size - 1) // self.page.size, 1)

    @property
    def has_prev(self) -> bool:
        """Whether there is an earlier page."""
        return self.page.number > 0

    @property
    def has_next(self) -> bool:
        """Whether there is a later page."""
        return self.page.number + 1 < self.pages
