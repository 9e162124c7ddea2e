"""Paging with a capped count (issue 13): a long list counts its rows only up to
`Page.count_cap + 1`; past that its total is a lower bound ("over 600", "3/100+"), while
Prev/Next still follow what lies before and after the page (keyset paging)."""

from __future__ import annotations

import pytest

from domain.shared import paging
from domain.shared.paging import (
    Page,
    Paged,
    Seek,
    Toward,
    capped_keyset_page,
    counted_page,
    keyset_page,
)

NEXT = Seek(1, Toward.AFTER)


def test_the_cap_is_a_number_of_pages_of_the_lists_size() -> None:
    assert Page(0, 6).count_cap == paging.COUNTED_PAGES * 6
    assert Page(0, 5).count_cap == paging.COUNTED_PAGES * 5


@pytest.mark.parametrize(
    ("rows", "expected"),
    [(0, (0, False)), (17, (17, False)), (30, (30, False)), (31, (30, True)), (999, (30, True))],
)
def test_counted_up_to_one_row_past_the_cap(
    monkeypatch: pytest.MonkeyPatch, rows: int, expected: tuple[int, bool]
) -> None:
    monkeypatch.setattr(paging, "COUNTED_PAGES", 10)
    assert Page(0, 3).counted(rows) == expected


def test_a_first_page_counted_in_full_reads_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paging, "COUNTED_PAGES", 10)
    paged = counted_page(["a", "b", "c"], 7, Page(0, 3))
    assert (paged.total, paged.at_least, paged.pages) == (7, False, 3)
    assert paged.has_next and not paged.has_prev and not paged.open_ended


def test_a_first_page_over_the_cap_is_open_ended(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paging, "COUNTED_PAGES", 10)
    paged = counted_page(["a", "b", "c"], 31, Page(0, 3))
    assert (paged.total, paged.at_least, paged.pages) == (30, True, 10)
    assert paged.has_next and paged.open_ended


def test_keyset_pages_past_the_cap_keep_the_number_their_button_carried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(paging, "COUNTED_PAGES", 10)
    # Page 3 of a list counted past its cap: the number stands ("3/10+").
    third = capped_keyset_page(["x"], 31, Page(2, 3, NEXT), before=True, after=True)
    assert (third.page.number, third.pages, third.at_least, third.open_ended) == (2, 10, True, True)
    # Deep past the counted pages: at least this one and the next ("41/42+").
    deep = capped_keyset_page(["x"], 31, Page(40, 3, NEXT), before=True, after=True)
    assert (deep.page.number, deep.pages, deep.open_ended) == (40, 42, True)
    assert deep.has_prev and deep.has_next
    # The last page (nothing after it): no Next, and no "+" (this is where the list ends).
    last = capped_keyset_page(["x"], 31, Page(57, 3, NEXT), before=True, after=False)
    assert (last.page.number, last.pages, last.has_next, last.open_ended) == (57, 58, False, False)
    assert last.has_prev
    # Back at the first page (nothing before it): page 1 whatever the button said.
    first = capped_keyset_page(["x"], 31, Page(5, 3, NEXT), before=False, after=True)
    assert (first.page.number, first.pages, first.has_prev, first.open_ended) == (
        0,
        10,
        False,
        True,
    )


def test_a_page_number_from_a_button_is_never_taken_for_the_first_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(paging, "COUNTED_PAGES", 10)
    paged = capped_keyset_page(["x"], 31, Page(0, 3, NEXT), before=True, after=True)
    assert paged.page.number == 1 and paged.has_prev


def test_under_the_cap_keyset_pages_number_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paging, "COUNTED_PAGES", 10)
    for rows in (7, 30):
        for number, before, after in ((4, True, True), (9, True, False), (3, False, True)):
            page = Page(number, 3, NEXT)
            capped = capped_keyset_page(["x"], rows, page, before=before, after=after)
            exact = keyset_page(["x"], rows, page, before=before, after=after)
            assert capped == exact and not capped.at_least


def test_a_total_counted_in_full_is_never_capped() -> None:
    """/orders all counts every order (the sales rollup): keyset_page takes it as it is."""
    paged: Paged[str] = keyset_page(["x"], 1_000_000, Page(499, 10, NEXT), before=True, after=True)
    assert (paged.total, paged.pages, paged.at_least, paged.page.number) == (
        1_000_000,
        100_000,
        False,
        499,
    )
