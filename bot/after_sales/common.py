"""What the after-sales handlers share: which dialog a typed answer belongs to."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import Update

from bot.access import is_admin
from bot.context import ShopContext
from domain.after_sales.waiting import Waiting
from domain.shared.dialogs import DialogKind

ADMIN_KINDS = frozenset({DialogKind.AS_DECLINE, DialogKind.AS_REFUND})
LONG_AGO = datetime.min.replace(tzinfo=UTC)


# -- typed answers and photos (DIALOG_GROUP) ----------------------------------------------------


def others_since(
    update: Update, context: ShopContext, waiting: Waiting, exclude_admin_kinds: bool
) -> datetime:
    """When the user last touched a dialog that is not ours in this private chat: checkout, or
    one of the merchant's dialogs (a reply to the shop; an admin's own)."""
    latest = LONG_AGO
    checkout = waiting.checkout
    if checkout is not None and checkout.updated_at is not None:
        latest = max(latest, checkout.updated_at)
    dialog = waiting.dialog
    if (
        dialog is not None
        and dialog.updated_at is not None
        and not (exclude_admin_kinds and dialog.kind in ADMIN_KINDS)
        and (dialog.kind == DialogKind.REPLY or is_admin(update, context))
    ):
        latest = max(latest, dialog.updated_at)
    return latest
