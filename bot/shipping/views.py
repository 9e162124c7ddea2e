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
    shown = history.checkpoints[-CHECKPOINTS_SHOWN:]
    if not shown:
        lines.append(t(lang, "track.no_checkpoints"))
    for stored in shown:
        checkpoint = stored.checkpoint
        lines.append(
            t(
                lang,
                "track.history_line",
                at=checkpoint.at,
                status=t(lang, STATUS_TEXT[checkpoint.status]),
                details=push_details(checkpoint),
            )
        )
    latest = history.shipments[-1]
    rows = []
    if latest.tracking_url:
        rows.append([InlineKeyboardButton(t(lang, "track.open"), url=latest.tracking_url)])
    return lines, rows
