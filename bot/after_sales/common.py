"""What the after-sales handlers share: which dialog a typed answer belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from telegram import Update

from bot.access import is_admin
from bot.after_sales.admin_views import AfterSalesAdminViews
from bot.merchant.common import ad
from bot.shared.handlers import Context, deps
from bot.texts import Texts
from domain.after_sales.service import AfterSales
from domain.shared.customers import Language
from domain.shared.dialogs import DialogKind

ADMIN_KINDS = frozenset({DialogKind.AS_DECLINE, DialogKind.AS_REFUND})
_LONG_AGO = datetime.min.replace(tzinfo=UTC)


@dataclass
class AfterSalesDeps:
    """What after-sales handlers need, kept in bot_data["after_sales"]."""

    after_sales: AfterSales
    views: AfterSalesAdminViews
    texts: Texts
    admin_language: Language


def asd(context: Context) -> AfterSalesDeps:
    """The after-sales handler dependencies."""
    return context.bot_data["after_sales"]  # type: ignore[no-any-return]


def _ids(update: Update) -> tuple[int, int]:
    assert update.effective_chat is not None and update.effective_user is not None
    return update.effective_chat.id, update.effective_user.id


# -- typed answers and photos (DIALOG_GROUP) ----------------------------------------------------


async def _others_since(update: Update, context: Context, exclude_admin_kinds: bool) -> datetime:
    """When the user last touched a dialog that is not ours in this private chat: checkout, or
    one of the merchant's dialogs (a reply to the shop; an admin's own)."""
    chat, user = _ids(update)
    latest = _LONG_AGO
    view = await deps(context).shop.current_checkout(user)
    if view is not None and view.checkout.updated_at is not None:
        latest = max(latest, view.checkout.updated_at)
    dialog = await ad(context).merchant.current_dialog(chat, user)
    if (
        dialog is not None
        and dialog.updated_at is not None
        and not (exclude_admin_kinds and dialog.kind in ADMIN_KINDS)
        and (dialog.kind == DialogKind.REPLY or is_admin(update, context))
    ):
        latest = max(latest, dialog.updated_at)
    return latest
