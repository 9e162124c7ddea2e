"""The delivery part of the customer's order screen: carrier, tracking number and link, and the
checkpoints so far."""

from __future__ import annotations

from telegram import InlineKeyboardButton

from bot.context import OrderSection
from bot.texts import Texts
from domain.shared.customers import Language
from domain.shipping.tracking import TrackingHistory, push_details
from domain.shipping.tracking_records import STATUS_TEXT

CHECKPOINTS_SHOWN = 5


def checkpoint_lines(
    t: Texts, lang: Language, history: TrackingHistory, most: int, none_key: str
) -> list[str]:
    """The latest `most` checkpoints, newest last, a line each (`none_key` without any): the
    customer's delivery section and the admin's /track screen say them alike."""
    shown = history.checkpoints[-most:]
    if not shown:
        return [t(lang, none_key)]
    return [
        t(
            lang,
            "track.history_line",
            at=stored.checkpoint.at,
            status=t(lang, STATUS_TEXT[stored.checkpoint.status]),
            details=push_details(stored.checkpoint),
        )
        for stored in shown
    ]


def delivery_section(t: Texts, lang: Language, history: TrackingHistory) -> OrderSection:
    """Each parcel (carrier, tracking number, link) and the latest checkpoints, newest last;
    a button opens the latest parcel's tracking page."""
    if not history.shipments:
        return [], []
    lines = [t(lang, "track.section")]
    for shipment in history.shipments:
        # The carrier in the reader's language when it is a built-in one (bot/texts.py).
        lines.append(
            t(
                lang,
                "track.parcel",
                carrier=shipment.carrier_name,
                tracking=shipment.tracking_number,
            )
        )
    lines += checkpoint_lines(t, lang, history, CHECKPOINTS_SHOWN, "track.no_checkpoints")
    latest = history.shipments[-1]
    rows = []
    if latest.tracking_url:
        rows.append([InlineKeyboardButton(t(lang, "track.open"), url=latest.tracking_url)])
    return lines, rows
