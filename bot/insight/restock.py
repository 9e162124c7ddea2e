"""/restock: the restock requests waiting for the merchant, with a button per step; and
`/restock ID QUANTITY [note]` to change one. Buttons edit the list in place."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.context import ShopContext
from bot.insight.callbacks import RestockApprove, RestockDismiss, RestockReceive
from bot.screens import Screen, button
from bot.ui import reply, show
from domain.insight.restock import RestockError, Restocks
from domain.insight.restock_records import RestockRequest, RestockStatus
from domain.shared.customers import admin_actor


def _restocks(context: ShopContext) -> Restocks:
    restocks = context.services.restocks
    assert restocks is not None, "the composition root builds Restocks"
    return restocks


def _actor(update: Update) -> str:
    assert update.effective_user is not None
    return admin_actor(update.effective_user.id)


def restock_screen(context: ShopContext, requests: list[RestockRequest]) -> Screen:
    """The active requests, each with its buttons."""
    t, lang = context.texts, context.admin_language
    if not requests:
        return Screen(t(lang, "insight.restock.none"))
    lines = [t(lang, "insight.restock.title")]
    rows = []
    for r in requests:
        note = f" · {r.supplier_note}" if r.supplier_note else ""
        lines.append(
            t(
                lang,
                "insight.restock.line",
                id=r.id,
                name=r.name,
                sku=r.sku,
                qty=r.quantity,
                status=t(lang, f"insight.restock.{r.status.value}"),
                note=note,
            )
        )
        row = []
        if r.status is RestockStatus.OPEN:
            row.append(button(t(lang, "insight.restock.approve", id=r.id), RestockApprove(r.id)))
        row.append(button(t(lang, "insight.restock.receive", id=r.id), RestockReceive(r.id)))
        row.append(button(t(lang, "insight.restock.dismiss", id=r.id), RestockDismiss(r.id)))
        rows.append(row)
    return Screen("\n".join(lines), InlineKeyboardMarkup(rows))


async def restock_command(update: Update, context: ShopContext) -> None:
    """The waiting requests; with `ID QUANTITY [note]`, change one first."""
    t, lang = context.texts, context.admin_language
    args = context.args or []
    restocks = _restocks(context)
    if args:
        if len(args) < 2 or not args[0].isdigit() or not args[1].isdigit():
            await reply(update, context, Screen(t(lang, "insight.restock.usage")))
            return
        request_id, quantity = int(args[0]), int(args[1])
        try:
            await restocks.edit(request_id, quantity, " ".join(args[2:]), _actor(update))
        except RestockError:
            await reply(update, context, Screen(t(lang, "insight.restock.refused", id=request_id)))
            return
        await reply(
            update, context, Screen(t(lang, "insight.restock.edited", id=request_id, qty=quantity))
        )
    await reply(update, context, restock_screen(context, await restocks.active()))


async def on_approve(update: Update, context: ShopContext, data: RestockApprove) -> str | None:
    """Approve; the list is shown again in place."""
    await _restocks(context).approve(data.request_id, _actor(update))
    await show(update, context, restock_screen(context, await _restocks(context).active()))
    return context.texts(context.admin_language, "insight.restock.approved_toast")


async def on_receive(update: Update, context: ShopContext, data: RestockReceive) -> str | None:
    """Received: its units go into stock; the list is shown again in place."""
    request = await _restocks(context).receive(data.request_id, _actor(update))
    await show(update, context, restock_screen(context, await _restocks(context).active()))
    return context.texts(
        context.admin_language, "insight.restock.received_toast", qty=request.quantity
    )


async def on_dismiss(update: Update, context: ShopContext, data: RestockDismiss) -> str | None:
    """Dismiss; the list is shown again in place."""
    await _restocks(context).dismiss(data.request_id, _actor(update))
    await show(update, context, restock_screen(context, await _restocks(context).active()))
    return context.texts(context.admin_language, "insight.restock.dismissed_toast")
