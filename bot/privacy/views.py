"""The screens of /find and /audit, in the admin chat's language."""

from __future__ import annotations

from telegram import InlineKeyboardButton

from bot.callback_data import Callback, OrderNo, Token
from bot.merchant.callbacks import AdminOpenOrder
from bot.privacy.callbacks import AuditSeek, FindPage
from bot.screens import TEXT_LIMIT, Screen, button, button_label, fit, keyboard, short
from bot.shared.callbacks import Noop
from bot.shared.paging import page_label, total_text
from bot.texts import Texts
from domain.orders.model import Order
from domain.shared.audit import ACTIONS, AuditEntry
from domain.shared.customers import Language
from domain.shared.paging import Paged, Toward


def _nav(t: Texts, lang: Language, paged: Paged[Order], key: str) -> list[InlineKeyboardButton]:
    number = paged.page.number
    prev: Callback = FindPage(Token(key), number - 1) if paged.has_prev else Noop()
    after: Callback = FindPage(Token(key), number + 1) if paged.has_next else Noop()
    return [
        button("◀" if paged.has_prev else " ", prev),
        button(t(lang, "nav.page", page=number + 1, pages=paged.pages), Noop()),
        button("▶" if paged.has_next else " ", after),
    ]


def _audit_nav(
    t: Texts, lang: Language, paged: Paged[AuditEntry], key: str
) -> list[InlineKeyboardButton]:
    """Prev and Next name the entries at the page's edges (keyset paging): the page next to
    this one is one index range however long the log has grown."""
    number = paged.page.number
    first, last = paged.items[0].id or 0, paged.items[-1].id or 0
    prev: Callback = Noop()
    after: Callback = Noop()
    if paged.has_prev:
        prev = AuditSeek(Token(key), max(number - 1, 0), Toward.BEFORE.value, first)
    if paged.has_next:
        after = AuditSeek(Token(key), number + 1, Toward.AFTER.value, last)
    return [
        button("◀" if paged.has_prev else " ", prev),
        button(page_label(t, lang, paged), Noop()),
        button("▶" if paged.has_next else " ", after),
    ]


def find_results(t: Texts, lang: Language, text: str, key: str, paged: Paged[Order]) -> Screen:
    """The orders /find found, each with an Open button, newest first."""
    if not paged.items:
        return Screen(t(lang, "privacy.find.none", text=short(text, 64)))
    rows = [
        [
            button(
                button_label(
                    t(
                        lang,
                        "privacy.find.button",
                        number=o.number,
                        status=t(lang, f"status.{o.status.value}"),
                        total=o.total,
                        recipient=short(o.recipient or "—", 24),
                    )
                ),
                AdminOpenOrder(OrderNo(o.number)),
            )
        ]
        for o in paged.items
    ]
    if paged.pages > 1:
        rows.append(_nav(t, lang, paged, key))
    title = t(lang, "privacy.find.title", text=short(text, 64), total=paged.total)
    return Screen(title, keyboard(rows))


def audit_entries(
    t: Texts, lang: Language, subject: str, key: str, paged: Paged[AuditEntry]
) -> Screen:
    """The latest audit entries, newest first."""
    title = t(lang, "privacy.audit.title", subject=subject, total=total_text(t, lang, paged))
    if not paged.items:
        return Screen(f"{title}\n\n{t(lang, 'privacy.audit.none')}")
    lines = [title, ""]
    for entry in paged.items:
        labelled = entry.action in ACTIONS
        what = t(lang, f"privacy.audit.action.{entry.action}") if labelled else entry.action
        about = []
        if entry.details.get("number"):
            about.append(str(entry.details["number"]))
        if entry.details.get("sku"):
            about.append(str(entry.details["sku"]))
        lines.append(
            t(
                lang,
                "privacy.audit.line",
                at=entry.at,
                who=entry.actor,
                what=what,
                about=" ".join(about),
            ).rstrip()
        )
    paging = paged.pages > 1 or paged.has_prev or paged.has_next
    rows = [_audit_nav(t, lang, paged, key)] if paging else []
    return Screen(fit("\n".join(lines), TEXT_LIMIT), keyboard(rows))
