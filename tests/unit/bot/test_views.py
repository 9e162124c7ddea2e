"""Screens stay within Telegram's limits."""

from __future__ import annotations

import pytest

from bot.screens import CAPTION_LIMIT, TEXT_LIMIT, fit


def lines_of(total: int, width: int = 79) -> str:
    """About `total` characters as numbered lines of `width` characters."""
    count = total // (width + 1) + 1
    return "\n".join(f"{i:05d}" + "x" * (width - 5) for i in range(count))[:total]


@pytest.mark.parametrize("limit", [TEXT_LIMIT, CAPTION_LIMIT])
def test_a_long_text_is_cut_at_a_line_boundary_within_the_limit(limit: int) -> None:
    text = lines_of(10_000)
    assert len(text) == 10_000

    cut = fit(text, limit)

    assert len(cut) <= limit
    assert cut.endswith("\n…")
    kept = cut[: -len("\n…")]
    assert text.startswith(kept)
    assert text[len(kept)] == "\n"  # ends where a line ended
    assert len(kept) > limit - 80 - 2  # and drops no more than it must


def test_lines_of_different_lengths_are_kept_whole() -> None:
    text = "\n".join(("<b>" + "y" * (n % 300) + "</b>") for n in range(200))
    cut = fit(text, TEXT_LIMIT)
    assert len(cut) <= TEXT_LIMIT
    for line in cut.split("\n")[:-1]:
        assert line.startswith("<b>")
        assert line.endswith("</b>")


@pytest.mark.parametrize("length", [0, 1, TEXT_LIMIT - 1, TEXT_LIMIT])
def test_a_text_that_fits_is_left_alone(length: int) -> None:
    text = lines_of(length)
    assert fit(text, TEXT_LIMIT) == text


def test_a_text_one_character_too_long_loses_its_last_line() -> None:
    text = lines_of(TEXT_LIMIT + 1)
    cut = fit(text, TEXT_LIMIT)
    assert len(cut) <= TEXT_LIMIT
    assert cut.count("\n") == text.count("\n")
    assert cut.split("\n")[:-1] == text.split("\n")[:-1]


def test_the_ellipsis_counts_towards_the_limit() -> None:
    head = "a" * 99 + "\n" + "b" * (TEXT_LIMIT - 101)  # two lines of TEXT_LIMIT - 1 characters
    assert len(head) == TEXT_LIMIT - 1
    cut = fit(head + "\nc", TEXT_LIMIT)
    assert len(cut) <= TEXT_LIMIT
    assert cut == "a" * 99 + "\n…"
