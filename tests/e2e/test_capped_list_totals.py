"""/audit and /reviews count their rows only so far (issue 13): past Page.count_cap (here 2
pages, set low so the lists stay short) the header says "over N" and the page label "2/3+",
in English and in Chinese, while Prev and Next still follow what lies before and after the
page shown, to the last page and back. On a SQLite file and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.botapi.sim import SimMessage
from domain.shared import paging
from tests.e2e import helpers as db
from tests.e2e.admin_kit import ANN, World, admin_world_on
from tests.e2e.test_audit_review_pages import audited, nav, reviewed, shown

AUDIT_OVER = {"en": "(over 6)", "zh": "（6 以上）"}  # 2 pages of 3 counted
REVIEWS_OVER = {"en": "(over 10)", "zh": "（10 以上）"}  # 2 pages of 5 counted


def title(screen: SimMessage) -> str:
    """A list's header line."""
    return (screen.text or "").splitlines()[0]


@pytest.fixture(
    params=[("sqlite", "en"), ("sqlite", "zh"), ("postgres", "en"), ("postgres", "zh")],
    ids=lambda p: "-".join(p),
)
async def world(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[World, str]]:
    """The admin world (3 audit entries a page; /reviews shows 5) in the admin chat's
    language, the lists' counts capped at 2 pages."""
    monkeypatch.setattr(paging, "COUNTED_PAGES", 2)
    backend, lang = request.param
    async with admin_world_on(
        backend, tmp_path, monkeypatch, page_size=3, admin_language=lang
    ) as running:
        yield running, lang


async def test_the_audit_log_past_its_counted_pages_says_over_and_pages_both_ways(
    world: tuple[World, str],
) -> None:
    running, lang = world
    ann = running.ann
    await audited(running, *range(10))  # 11 entries with the catalog import's

    first = await ann.say("/audit")
    assert AUDIT_OVER[lang] in title(first)
    assert shown(first) == ["AUD-0009", "AUD-0008", "AUD-0007"] and nav(first) == ["1/2+", "▶"]
    second = await ann.tap("▶", first)
    assert shown(second) == ["AUD-0006", "AUD-0005", "AUD-0004"]
    assert nav(second) == ["◀", "2/3+", "▶"]
    third = await ann.tap("▶", second)
    assert shown(third) == ["AUD-0003", "AUD-0002", "AUD-0001"]
    assert nav(third) == ["◀", "3/4+", "▶"], "past the counted pages: this one and a next"
    last = await ann.tap("▶", third)
    assert shown(last) == ["AUD-0000"] and nav(last) == ["◀", "4/4"], "the end: no Next, no +"
    assert AUDIT_OVER[lang] in title(last)

    back = await ann.tap("◀", last)
    assert shown(back) == ["AUD-0003", "AUD-0002", "AUD-0001"] and nav(back)[1] == "3/4+"
    back = await ann.tap("◀", back)
    assert shown(back) == ["AUD-0006", "AUD-0005", "AUD-0004"] and nav(back)[1] == "2/3+"
    top = await ann.tap("◀", back)
    assert shown(top) == ["AUD-0009", "AUD-0008", "AUD-0007"] and nav(top) == ["1/2+", "▶"]

    # One admin's entries (Ann's 10) are capped alike.
    mine = await ann.say(f"/audit admin {ANN}")
    assert AUDIT_OVER[lang] in title(mine) and nav(mine) == ["1/2+", "▶"]
    assert [r for r in db.bad_requests(running.bot) if "query is too old" not in r] == []


async def test_reviews_past_their_counted_pages_say_over_and_page_both_ways(
    world: tuple[World, str],
) -> None:
    running, lang = world
    ann = running.ann
    await reviewed(running, *range(12))

    first = await ann.say("/reviews")
    assert REVIEWS_OVER[lang] in title(first)
    assert shown(first) == [f"REV-{n:04d}" for n in (11, 10, 9, 8, 7)]
    assert nav(first) == ["1/2+", "▶"]
    second = await ann.tap("▶", first)
    assert shown(second) == [f"REV-{n:04d}" for n in (6, 5, 4, 3, 2)]
    assert nav(second) == ["◀", "2/3+", "▶"]
    last = await ann.tap("▶", second)
    assert shown(last) == ["REV-0001", "REV-0000"] and nav(last) == ["◀", "3/3"]
    again = await ann.tap("3/3", last)  # the page label shows the page again
    assert shown(again) == ["REV-0001", "REV-0000"] and nav(again) == ["◀", "3/3"]

    back = await ann.tap("◀", again)
    assert shown(back) == [f"REV-{n:04d}" for n in (6, 5, 4, 3, 2)]
    assert nav(back) == ["◀", "2/3+", "▶"]
    top = await ann.tap("◀", back)
    assert shown(top) == [f"REV-{n:04d}" for n in (11, 10, 9, 8, 7)] and nav(top) == ["1/2+", "▶"]

    # One product's (all twelve) are counted on its row (rating_count), capped alike.
    tea = await ann.say("/reviews TEA-GREEN-100")
    assert REVIEWS_OVER[lang] in title(tea) and nav(tea) == ["1/2+", "▶"]
    assert nav(await ann.tap("▶", tea)) == ["◀", "2/3+", "▶"]

    # The low ones (1 or 2 stars: 0, 1, 5, 6, 10, 11) are under the cap: counted exactly.
    low = await ann.tap("★1–2", ann.screen)
    assert {"en": "(6)", "zh": "（6）"}[lang] in title(low)
    assert shown(low) == [f"REV-{n:04d}" for n in (11, 10, 6, 5, 1)] and nav(low) == ["1/2", "▶"]
    assert [r for r in db.bad_requests(running.bot) if "query is too old" not in r] == []
