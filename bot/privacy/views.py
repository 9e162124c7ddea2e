"""The screens of /find and /audit, in the admin chat's language."""

from __future__ import annotations

from telegram import InlineKeyboardButton

from bot.callback_data import Callback, OrderNo, Token
from bot.merchant.callbacks import AdminOpenOrder
from bot.privacy.callbacks import AuditPage, FindPage
from bot.screens import TEXT_LIMIT, Screen, button, button_label, fit, keyboard, short
from bot.shared.callbacks import Noop
from bot.texts import Texts
from domain.orders.model import Order
from domain.shared.audit import ACTIONS, AuditEntry
from domain.shared.customers import Language
from domain.shared.paging import Paged


def _nav(
    t: Texts, lang: Language, paged: Paged[object], to: type[FindPage] | type[AuditPage], key: str
) -> list[InlineKeyboardButton]:
    number = paged.page.number
    prev: Callback = to(Token(key), number - 1) if paged.has_prev else Noop()
    after: Callback = to(Token(key), number + 1) if paged.has_next else Noop()
    return [
        button("◀" if paged.has_prev else " ", prev),
        button(t(lang, "nav.page", page=number + 1, pages=paged.pages), Noop()),
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
        rows.append(_nav(t, lang, paged, FindPage, key))  # type: ignore[arg-type]
    title = t(lang, "privacy.find.title", text=short(text, 64), total=paged.total)
    return Screen(title, keyboard(rows))


def audit_entries(
    t: Texts, lang: Language, subject: str, key: str, paged: Paged[AuditEntry]
) -> Screen:
    """The latest audit entries, newest first."""
    title = t(lang, "privacy.audit.title", subject=subject, total=paged.total)
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
    rows = [_nav(t, lang, paged, AuditPage, key)] if paged.pages > 1 else []  # type: ignore[arg-type]
    return Screen(fit("\n".join(lines), TEXT_LIMIT), keyboard(rows))
