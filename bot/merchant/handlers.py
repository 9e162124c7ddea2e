"""Merchant handlers, for the admins in ADMIN_USER_IDS, in the admin chat (ADMIN_CHAT_ID) or an
admin's private chat: parse the update, call one use case of `Merchant`, render the result.

Commands. In the admin group: /orders /order /products /picklist /export_products
/export_orders /help. In an admin's private chat the customer commands keep their meaning
(/orders and /help there are the admin's own, as a customer), so the merchant panel is /admin,
and /order /products /picklist /export_products /export_orders work as in the group. Every
command and button checks the sender against ADMIN_USER_IDS; the chat alone grants nothing.

Typed answers to the merchant's dialogs are read in the admin group and in private chats. In a
private chat they compete with the customer's own checkout: whichever of the two was touched
last takes the text, and anything else goes on to the customer handlers."""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.access import admin_only
from bot.callback_data import Callback
from bot.context import Handler, ShopApp, ShopContext
from bot.insight.handlers import COMMAND_TEXTS as INSIGHT_COMMAND_TEXTS
from bot.insight.handlers import COMMANDS as INSIGHT_COMMANDS
from bot.marketing.handlers import ADMIN_COMMANDS as MARKETING_COMMANDS
from bot.marketing.handlers import COMMAND_TEXTS as MARKETING_COMMAND_TEXTS
from bot.merchant import contact
from bot.merchant.callbacks import (
    AdminActive,
    AdminAddProduct,
    AdminCancel,
    AdminCarrier,
    AdminChoice,
    AdminComplete,
    AdminConfirm,
    AdminConfirmCod,
    AdminDeliver,
    AdminDialogCancel,
    AdminEdit,
    AdminExport,
    AdminMenu,
    AdminMessage,
    AdminNote,
    AdminOpenOrder,
    AdminOpenProduct,
    AdminOrder,
    AdminOrderOnPage,
    AdminOrders,
    AdminOrdersPage,
    AdminPickList,
    AdminProduct,
    AdminProducts,
    AdminShip,
    AdminSkip,
    AdminSlip,
    AdminStock,
    JobsRefresh,
    ReplyCancel,
    ReplyToShop,
)
from bot.merchant.common import admin_button
from bot.merchant.dialogs import (
    on_carrier,
    on_choice,
    on_confirm,
    on_dialog_cancel,
    on_group_text,
    on_photo,
    on_private_text,
    on_reply_cancel,
    on_reply_to_shop,
    on_skip,
)
from bot.merchant.exports import (
    export_orders_command,
    export_products_command,
    on_export,
    on_pick_list,
    on_slip,
    picklist_command,
)
from bot.merchant.jobs import jobs_command, on_jobs_refresh
from bot.merchant.orders import (
    on_cancel,
    on_complete,
    on_confirm_cod,
    on_deliver,
    on_message,
    on_note,
    on_open_order,
    on_order,
    on_order_on_page,
    on_orders,
    on_orders_page,
    on_ship,
    order_command,
    orders_command,
)
from bot.merchant.products import (
    on_active,
    on_add_product,
    on_csv,
    on_edit,
    on_open_product,
    on_product,
    on_products,
    on_stock,
    products_command,
)
from bot.privacy.handlers import ADMIN_COMMANDS as PRIVACY_COMMANDS
from bot.privacy.handlers import COMMAND_TEXTS as PRIVACY_COMMAND_TEXTS
from bot.promotions.handlers import ADMIN_COMMANDS as PROMO_COMMANDS
from bot.promotions.handlers import COMMAND_TEXTS as PROMO_COMMAND_TEXTS
from bot.screens import Screen
from bot.shared.handlers import CUSTOMER_COMMANDS, ButtonHandler
from bot.ui import reply, show
from domain.shared.customers import Language

log = logging.getLogger(__name__)

GROUP_COMMANDS: tuple[str, ...] = (
    "orders",
    "order",
    "products",
    "picklist",
    "export_products",
    "export_orders",
    "help",
    "track",  # jobs and tracking (bot/tracking.py)
    "jobs",  # jobs and tracking (bot/tracking.py)
    "aftersales",  # after-sales (bot/after_sales/)
    "reviews",  # reviews (bot/reviews/admin.py)
)
PRIVATE_COMMANDS: tuple[str, ...] = (
    "admin",
    "order",
    "products",
    "picklist",
    "export_products",
    "export_orders",
)
PRIVATE_COMMANDS += ("track", "jobs")  # jobs and tracking (bot/tracking.py)
PRIVATE_COMMANDS += ("aftersales",)  # after-sales (bot/after_sales/)
PRIVATE_COMMANDS += ("reviews",)  # reviews (bot/reviews/admin.py)
GROUP_COMMANDS += MARKETING_COMMANDS  # broadcasts (bot/marketing/)
PRIVATE_COMMANDS += MARKETING_COMMANDS  # broadcasts (bot/marketing/)
GROUP_COMMANDS += INSIGHT_COMMANDS  # insight (bot/insight/)
PRIVATE_COMMANDS += INSIGHT_COMMANDS  # insight (bot/insight/)
GROUP_COMMANDS += PRIVACY_COMMANDS  # finding orders, the audit log (bot/privacy/)
PRIVATE_COMMANDS += PRIVACY_COMMANDS  # finding orders, the audit log (bot/privacy/)
GROUP_COMMANDS += PROMO_COMMANDS  # promo codes (bot/promotions/)
PRIVATE_COMMANDS += PROMO_COMMANDS  # promo codes (bot/promotions/)
COMMAND_TEXTS = {
    "orders": "adm.commands.orders",
    "order": "adm.commands.order",
    "products": "adm.commands.products",
    "picklist": "adm.commands.picklist",
    "export_products": "adm.commands.export_products",
    "export_orders": "adm.commands.export_orders",
    "help": "adm.commands.help",
    "admin": "adm.commands.admin",
    "track": "track.command",  # jobs and tracking
    "jobs": "jobs.command",  # jobs and tracking
    "aftersales": "as.adm.command",  # after-sales
    "reviews": "review.adm.command",  # reviews
}
COMMAND_TEXTS |= MARKETING_COMMAND_TEXTS  # broadcasts (bot/marketing/)
COMMAND_TEXTS |= INSIGHT_COMMAND_TEXTS  # insight (bot/insight/)
COMMAND_TEXTS |= PRIVACY_COMMAND_TEXTS  # finding orders, the audit log (bot/privacy/)
COMMAND_TEXTS |= PROMO_COMMAND_TEXTS  # promo codes (bot/promotions/)
# (command, description key) of each admin chat, as Telegram's menu and the panel list them.
GROUP_MENU = tuple((name, COMMAND_TEXTS[name]) for name in GROUP_COMMANDS)
PRIVATE_MENU = tuple((name, COMMAND_TEXTS[name]) for name in PRIVATE_COMMANDS)


def _panel(update: Update, context: ShopContext) -> Screen:
    """The panel for the chat it is asked in: the admin group, or an admin's private chat."""
    private = update.effective_chat is not None and update.effective_chat.type == "private"
    return context.admin_views.panel(PRIVATE_MENU if private else GROUP_MENU, private)


# -- commands -----------------------------------------------------------------------------------


async def panel_command(update: Update, context: ShopContext) -> None:
    """The merchant's panel: what to look at, what to export, every admin command here."""
    await reply(update, context, _panel(update, context))


# -- buttons: orders ------------------------------------------------------------------------------


async def on_menu(update: Update, context: ShopContext, data: AdminMenu) -> str | None:
    """The merchant's panel."""
    await show(update, context, _panel(update, context))
    return None


# -- wiring -------------------------------------------------------------------------------------

ADMIN_BUTTONS: list[tuple[type[Callback], ButtonHandler]] = [
    (AdminMenu, on_menu),
    (AdminOrders, on_orders),
    (AdminOrdersPage, on_orders_page),
    (AdminOpenOrder, on_open_order),
    (AdminOrder, on_order),
    (AdminOrderOnPage, on_order_on_page),
    (AdminConfirmCod, on_confirm_cod),
    (AdminShip, on_ship),
    (AdminDeliver, on_deliver),
    (AdminComplete, on_complete),
    (AdminCancel, on_cancel),
    (AdminNote, on_note),
    (AdminMessage, on_message),
    (AdminSlip, on_slip),
    (AdminPickList, on_pick_list),
    (AdminCarrier, on_carrier),
    (AdminChoice, on_choice),
    (AdminSkip, on_skip),
    (AdminDialogCancel, on_dialog_cancel),
    (AdminConfirm, on_confirm),
    (AdminProducts, on_products),
    (AdminProduct, on_product),
    (AdminOpenProduct, on_open_product),
    (AdminEdit, on_edit),
    (AdminStock, on_stock),
    (AdminActive, on_active),
    (AdminAddProduct, on_add_product),
    (AdminExport, on_export),
]


def register(app: ShopApp) -> None:
    """Attach every merchant handler: commands, admin buttons, typed answers, uploads."""
    settings = app.bot_data.settings
    app.bot_data.admin_commands = PRIVATE_MENU  # an admin's /help in private lists them
    chat_ids = [settings.admin_chat_id] if settings.admin_chat_id is not None else []
    private = filters.ChatType.PRIVATE
    group = filters.Chat(chat_id=chat_ids) & ~private
    anywhere = group | private
    group_commands: dict[str, Handler] = {
        "orders": orders_command,
        "help": panel_command,
    }
    commands: dict[str, Handler] = {
        "admin": panel_command,
        "order": order_command,
        "products": products_command,
        "picklist": picklist_command,
        "export_products": export_products_command,
        "export_orders": export_orders_command,
    }
    for name, callback in group_commands.items():
        app.add_handler(CommandHandler(name, admin_only(callback), filters=group))
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, admin_only(callback), filters=anywhere))
    app.add_handler(CommandHandler("jobs", admin_only(jobs_command), filters=anywhere))
    app.add_handler(CallbackQueryHandler(admin_only(on_jobs_refresh), pattern=JobsRefresh.matches))
    for kind, fn in ADMIN_BUTTONS:
        app.add_handler(CallbackQueryHandler(admin_button(fn), pattern=kind.matches))
    app.add_handler(CallbackQueryHandler(on_reply_to_shop, pattern=ReplyToShop.matches))
    app.add_handler(CallbackQueryHandler(on_reply_cancel, pattern=ReplyCancel.matches))
    contact.register(app)  # the customer's messages to the shop and the admins' answers
    csv_file = filters.Document.FileExtension("csv") | filters.Document.MimeType("text/csv")
    new = ~filters.UpdateType.EDITED  # an edited message is not a new answer
    app.add_handler(MessageHandler(anywhere & csv_file & new, admin_only(on_csv)))
    app.add_handler(MessageHandler(anywhere & filters.PHOTO & new, on_photo))
    text = filters.TEXT & ~filters.COMMAND & new
    app.add_handler(MessageHandler(private & text, on_private_text))
    app.add_handler(MessageHandler(group & text, on_group_text))


async def register_admin_commands(app: ShopApp) -> None:
    """setMyCommands for the admin chat and each admin's private chat only (chat scopes), in
    English and Chinese; customers never see these commands."""
    services = app.bot_data
    if not services.admin_user_ids:
        return  # no admins, no admin commands
    texts = services.texts
    for language in Language:
        code = None if language == Language.EN else language.value
        group = [BotCommand(n, texts(language, key)) for n, key in GROUP_MENU]
        private = [BotCommand(n, texts(language, f"commands.{n}")) for n in CUSTOMER_COMMANDS]
        private += [BotCommand(n, texts(language, key)) for n, key in PRIVATE_MENU]
        targets: list[tuple[int, list[BotCommand]]] = []
        admin_chat_id = services.admin_chat_id
        if admin_chat_id is not None and admin_chat_id < 0:  # a group; users are > 0
            targets.append((admin_chat_id, group))
        targets += [(admin_id, private) for admin_id in sorted(services.admin_user_ids)]
        for chat_id, commands in targets:
            try:
                await app.bot.set_my_commands(
                    commands, scope=BotCommandScopeChat(chat_id), language_code=code
                )
            except TelegramError as exc:  # the bot is not in that chat, or the admin never wrote
                log.warning("could not set admin commands for chat %s: %s", chat_id, exc)
