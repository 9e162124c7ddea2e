"""Screens of marketing (issue 16): the merchant's broadcast dialog, its preview, each
broadcast's card and the list; pure functions from domain results to screens."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton

from bot.callback_data import Token
from bot.marketing.callbacks import (
    BcAudience,
    BcCancel,
    BcList,
    BcOpen,
    BcSend,
    BcSkip,
)
from bot.screens import TEXT_LIMIT, Screen, button, button_label, fit, keyboard
from bot.texts import Texts
from domain.marketing.broadcasts import AudienceSize
from domain.marketing.records import ALL_CUSTOMERS, AUDIENCES, Broadcast, BroadcastStatus
from domain.shared.customers import Language
from domain.shared.dialogs import Dialog


def audience_name(t: Texts, lang: Language, audience: str) -> str:
    """All customers, or a segment's name as /customers says it."""
    if audience == ALL_CUSTOMERS:
        return t(lang, "mkt.adm.audience_all")
    return t(lang, f"insight.customers.{audience}")


def customers(t: Texts, lang: Language, n: int) -> str:
    """“12 customers”, with the language's plural rule."""
    return t(lang, "mkt.adm.customers", n=n)


def audience_picker(t: Texts, lang: Language, sizes: Sequence[AudienceSize]) -> Screen:
    """/broadcast: who should get it (each audience with its size now)."""
    rows = [
        [
            button(
                button_label(
                    t(
                        lang,
                        "mkt.adm.audience_button",
                        audience=audience_name(t, lang, size.audience),
                        n=size.customers,
                    )
                ),
                BcAudience(AUDIENCES.index(size.audience)),
            )
        ]
        for size in sizes
    ]
    rows.append([button(t(lang, "mkt.adm.list_button"), BcList())])
    return Screen(t(lang, "mkt.adm.audience_title"), keyboard(rows))


def _cancel(t: Texts, lang: Language, dialog: Dialog) -> InlineKeyboardButton:
    return button(t(lang, "adm.dialog.cancel"), BcCancel(Token(dialog.token)))


def ask_message(t: Texts, lang: Language, dialog: Dialog) -> Screen:
    """The first question: the message itself."""
    audience = str(dialog.data.get("audience", ALL_CUSTOMERS))
    text = t(
        lang,
        "mkt.adm.ask_message",
        audience=audience_name(t, lang, audience),
        customers=customers(t, lang, int(dialog.data.get("count", 0))),
    )
    return Screen(text, keyboard([[_cancel(t, lang, dialog)]]))


def ask_product(t: Texts, lang: Language, dialog: Dialog) -> Screen:
    """The second question: a button to a product, by SKU, or none."""
    skip = button(t(lang, "mkt.adm.skip"), BcSkip(Token(dialog.token)))
    return Screen(t(lang, "mkt.adm.ask_product"), keyboard([[skip, _cancel(t, lang, dialog)]]))


def confirm(t: Texts, lang: Language, dialog: Dialog) -> Screen:
    """Below the preview: who gets it, and Send / Cancel."""
    audience = str(dialog.data.get("audience", ALL_CUSTOMERS))
    text = t(
        lang,
        "mkt.adm.confirm",
        audience=audience_name(t, lang, audience),
        customers=customers(t, lang, int(dialog.data.get("count", 0))),
    )
    send = button(t(lang, "mkt.adm.send"), BcSend(Token(dialog.token)))
    return Screen(text, keyboard([[send, _cancel(t, lang, dialog)]]))


def broadcast_card(t: Texts, lang: Language, broadcast: Broadcast) -> Screen:
    """One broadcast with its counts so far (Refresh reloads them)."""
    assert broadcast.id is not None
    if broadcast.status == BroadcastStatus.DONE and broadcast.finished_at is not None:
        status = t(lang, "mkt.adm.status_done", at=t.when(broadcast.finished_at, lang))
    else:
        status = t(lang, f"mkt.adm.status_{broadcast.status.value}")
    text = t(
        lang,
        "mkt.adm.card",
        id=broadcast.id,
        audience=audience_name(t, lang, broadcast.audience),
        at=t.when(broadcast.created_at, lang),
        status=status,
        customers=customers(t, lang, broadcast.audience_count),
        sent=broadcast.sent,
        failed=broadcast.failed,
        blocked=broadcast.blocked,
        skipped=broadcast.skipped,
        pending=broadcast.pending,
    )
    rows = [
        [
            button(t(lang, "mkt.adm.refresh"), BcOpen(broadcast.id)),
            button(t(lang, "mkt.adm.list_button"), BcList()),
        ]
    ]
    return Screen(text, keyboard(rows))


def broadcast_list(t: Texts, lang: Language, broadcasts: Sequence[Broadcast]) -> Screen:
    """/broadcasts: the newest first, each with its counts and a key to its card."""
    if not broadcasts:
        return Screen(t(lang, "mkt.adm.list_none"))
    parts = [t(lang, "mkt.adm.list_title")]
    rows = []
    for broadcast in broadcasts:
        assert broadcast.id is not None
        audience = audience_name(t, lang, broadcast.audience)
        parts.append(
            t(
                lang,
                "mkt.adm.list_entry",
                id=broadcast.id,
                at=t.when(broadcast.created_at, lang),
                audience=audience,
                sent=broadcast.sent,
                failed=broadcast.failed,
                blocked=broadcast.blocked,
                skipped=broadcast.skipped,
                pending=broadcast.pending,
            )
        )
        label = button_label(t(lang, "mkt.adm.open_button", id=broadcast.id, audience=audience))
        rows.append([button(label, BcOpen(broadcast.id))])
    return Screen(fit("\n".join(parts), TEXT_LIMIT), keyboard(rows))
