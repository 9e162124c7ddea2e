"""A list's total for its pages' header, counted only as far as it is shown (issue 13)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from domain.shared.paging import Page


def count_upto(rows: Select[Any], page: Page) -> Select[Any]:
    """How many rows `rows` selects, counting at most `page.count_cap + 1` of them
    (SELECT count(*) FROM (... LIMIT cap + 1)): one index range or a few heap pages however
    long the list has grown, where a plain count(*) reads all of it. `Page.counted` turns
    the figure into the total to show and whether the list holds more."""
    return select(func.count()).select_from(rows.limit(page.count_cap + 1).subquery())
