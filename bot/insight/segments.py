"""/customers as a screen: the segment overview with a button per segment, and a segment's
customers page by page (edited in place)."""

from __future__ import annotations

from telegram import Update

from bot.callback_data import Token
from bot.context import ShopContext
from bot.insight import views
from bot.insight.callbacks import SegmentPage
from bot.screens import Screen, button, keyboard, pager
from bot.ui import show
from domain.insight.rfm import CustomerValue, Segment, SegmentSummary
from domain.shared.money import Money
from domain.shared.paging import Page, Paged

OVERVIEW = "all"


def overview_screen(context: ShopContext, currency: str, summaries: list[SegmentSummary]) -> Screen:
    """The segments with their weight, and a button for each segment that has customers."""
    t, lang = context.texts, context.admin_language
    text = views.customers_text(t, lang, currency, summaries)
    buttons = [
        button(
            f"{t(lang, f'insight.customers.{s.segment.value}')} ({s.customers})",
            SegmentPage(Token(s.segment.value), 0),
        )
        for s in summaries
        if s.customers
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return Screen(text, keyboard(rows) if rows else None)


def segment_screen(
    context: ShopContext, currency: str, segment: Segment, values: list[CustomerValue], page: int
) -> Screen:
    """One page of a segment's customers, most valuable first."""
    t, lang = context.texts, context.admin_language
    members = sorted(
        (v for v in values if v.segment is segment),
        key=lambda v: (-v.totals.revenue_minor, v.totals.customer_id),
    )
    size = context.services.settings.page_size
    pages = max((len(members) + size - 1) // size, 1)
    number = min(max(page, 0), pages - 1)
    paged = Paged(members[number * size : (number + 1) * size], len(members), Page(number, size))
    lines = [
        t(
            lang,
            "insight.customers.segment_title",
            segment=t(lang, f"insight.customers.{segment.value}"),
            count=len(members),
        )
    ]
    for v in paged.items:
        lines.append(
            t(
                lang,
                "insight.customers.member",
                name=v.totals.name,
                r=v.r,
                f=v.f,
                m=v.m,
                orders=v.totals.orders,
                revenue=t.money(Money(v.totals.revenue_minor, currency), lang),
                days=v.recency_days,
            )
        )
    nav = pager(t, lang, paged, lambda n: SegmentPage(Token(segment.value), n))
    back = [button(t(lang, "insight.customers.back"), SegmentPage(Token(OVERVIEW), 0))]
    return Screen("\n".join(lines), keyboard([nav, back]))


async def on_segment_page(update: Update, context: ShopContext, data: SegmentPage) -> str | None:
    """The overview or a page of a segment, in place of the tapped message."""
    insight = context.services.insight
    assert insight is not None
    currency = insight.settings.currency
    values, summaries = await insight.customers()
    if data.segment == OVERVIEW:
        await show(update, context, overview_screen(context, currency, summaries))
        return None
    try:
        segment = Segment(data.segment)
    except ValueError:  # a forged or outdated button
        await show(update, context, overview_screen(context, currency, summaries))
        return None
    await show(update, context, segment_screen(context, currency, segment, values, data.page))
    return None
