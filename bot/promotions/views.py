"""The merchant's promo code screens (/promos, /promo, /promo_new), in the admin chat's
language."""

from __future__ import annotations

from datetime import timedelta

from bot.promotions.callbacks import PromoList, PromoOpen, PromoPause
from bot.screens import TEXT_LIMIT, Screen, button, button_label, fit, keyboard
from bot.texts import Texts
from domain.promotions.model import PromoCode, PromoKind
from domain.promotions.service import PromoCard
from domain.shared.customers import Language
from domain.shared.money import Money

LISTED = 30  # codes /promos shows (newest first)


def value(t: Texts, lang: Language, promo: PromoCode) -> str:
    """What the code takes off: '10%' or '$5.00', and free shipping."""
    parts = []
    if promo.kind == PromoKind.PERCENT:
        parts.append(t(lang, "promo.adm.percent", value=promo.value))
    elif promo.value:
        parts.append(t(lang, "promo.adm.fixed", value=Money(promo.value, promo.currency)))
    if promo.free_shipping:
        parts.append(t(lang, "promo.adm.freeship"))
    return " + ".join(parts)


def _uses(t: Texts, lang: Language, promo: PromoCode) -> str:
    if promo.max_uses is None:
        return t(lang, "promo.adm.uses_unlimited", n=promo.uses)
    return t(lang, "promo.adm.uses_of", uses=promo.uses, n=promo.max_uses)  # "of 1 time"


def _state(t: Texts, lang: Language, promo: PromoCode) -> str:
    return t(lang, "promo.adm.paused" if promo.paused else "promo.adm.active")


def codes(t: Texts, lang: Language, promos: list[PromoCode]) -> Screen:
    """Every code with its value, uses and state; a button opens each card."""
    if not promos:
        return Screen(t(lang, "promo.adm.none"))
    shown = promos[:LISTED]
    rows = [
        [
            button(
                button_label(
                    t(
                        lang,
                        "promo.adm.row",
                        code=p.code,
                        value=value(t, lang, p),
                        uses=_uses(t, lang, p),
                        state=_state(t, lang, p),
                    )
                ),
                PromoOpen(p.id or 0),
            )
        ]
        for p in shown
    ]
    return Screen(t(lang, "promo.adm.list", n=len(promos)), keyboard(rows))


def card(t: Texts, lang: Language, found: PromoCard) -> Screen:
    """A code's card: its rules, its uses and its revenue, with Pause or Resume."""
    promo, stats = found.promo, found.stats
    lines = [t(lang, "promo.adm.title", code=promo.code, value=value(t, lang, promo))]
    if promo.min_subtotal:
        lines.append(t(lang, "promo.adm.min", min=Money(promo.min_subtotal, promo.currency)))
    if promo.scoped:
        lines.append(
            t(
                lang,
                "promo.adm.scope",
                products=", ".join(found.products) or "—",
                categories=", ".join(found.categories) or "—",
            )
        )
    if promo.valid_from is not None:
        lines.append(t(lang, "promo.adm.from", at=promo.valid_from))
    if promo.valid_until is not None:
        # stored as the first moment it no longer works; shown as its last minute
        lines.append(t(lang, "promo.adm.until", at=promo.valid_until - timedelta(minutes=1)))
    lines.append(_uses(t, lang, promo))
    if promo.max_uses_per_customer is not None:
        lines.append(t(lang, "promo.adm.per_customer", n=promo.max_uses_per_customer))
    lines.append(
        t(
            lang,
            "promo.adm.figures",
            orders=stats.orders,
            paid=stats.paid_orders,
            revenue=stats.revenue,
            discount=stats.discount,
        )
    )
    lines.append(_state(t, lang, promo))
    toggle = (
        button(t(lang, "promo.adm.resume"), PromoPause(promo.id or 0, 0))
        if promo.paused
        else button(t(lang, "promo.adm.pause"), PromoPause(promo.id or 0, 1))
    )
    rows = [[toggle], [button(t(lang, "promo.adm.all"), PromoList())]]
    return Screen(fit("\n".join(lines), TEXT_LIMIT), keyboard(rows))
