"""The merchant's /reviews: ratings and comments newest first (all, the low ones, or one
product's: `/reviews low`, `/reviews SKU`), a page at a time, and the shop's one reply to a
review, which the customer receives. The list is edited in place: the reply's question takes
it over, and the typed reply brings it back with a line saying the reply went out."""

from __future__ import annotations

from telegram import InlineKeyboardButton, Update

from bot.callback_data import Token
from bot.context import ShopContext
from bot.merchant.placement import edit
from bot.reviews.callbacks import RvAdmCancel, RvAdmList, RvAdmPage, RvAdmReply
from bot.reviews.views import stars
from bot.screens import TEXT_LIMIT, Screen, button, button_label, fit, keyboard, short, with_header
from bot.shared.handlers import chat_and_user
from bot.shared.paging import page_label, total_text
from bot.ui import reply, show
from domain.reviews.records import ReviewEntry, ReviewFilter
from domain.shared.dialogs import Dialog, StaleDialogError
from domain.shared.errors import DomainError, NotFoundError
from domain.shared.paging import Paged, Seek, Toward

COMMENT_SHOWN = 300


def _filter(raw: str) -> ReviewFilter:
    try:
        return ReviewFilter(raw)
    except ValueError:
        raise StaleDialogError() from None


def _toward(raw: str) -> Toward:
    try:
        return Toward(raw)
    except ValueError:
        raise StaleDialogError() from None


def review_list(
    context: ShopContext,
    which: ReviewFilter,
    paged: Paged[ReviewEntry],
    product_id: int = 0,
    product: str | None = None,
) -> Screen:
    """A page of reviews, newest first, with a Reply key for each one not answered yet."""
    t, lang = context.texts, context.admin_language
    what = product or t(lang, f"review.adm.filter_{which.value}")
    parts = [t(lang, "review.adm.title", what=what, n=total_text(t, lang, paged))]
    if not paged.items:
        parts.append(t(lang, "review.adm.none"))
    rows: list[list[InlineKeyboardButton]] = []
    for entry in paged.items:
        parts.append(
            t(
                lang,
                "review.adm.entry",
                stars=stars(entry.rating),
                number=entry.number,
                customer=entry.customer,
                at=entry.created_at,
                products=", ".join(entry.products),
            )
        )
        if entry.comment:
            parts.append(t(lang, "review.adm.comment", text=short(entry.comment, COMMENT_SHOWN)))
        if entry.reply:
            parts.append(t(lang, "review.adm.reply", text=short(entry.reply, COMMENT_SHOWN)))
        else:
            label = button_label(t(lang, "review.adm.reply_button", number=entry.number))
            rows.append([button(label, RvAdmReply(entry.id))])
    # Prev, the page's name (it shows the page again) and Next name the reviews at the
    # page's edges (keyset paging): the page next to it is one index range however deep.
    page = paged.page.number
    first = paged.items[0].id if paged.items else 0
    last = paged.items[-1].id if paged.items else 0
    f, nav = which.value, []
    if paged.has_prev:
        nav.append(button("◀", RvAdmPage(f, product_id, max(page - 1, 0), Toward.BEFORE, first)))
    if paged.pages > 1 or paged.has_prev or paged.has_next:
        again = (
            RvAdmPage(f, product_id, page, Toward.FROM, first)
            if page > 0 and paged.items
            else RvAdmList(f, product_id, 0)
        )
        nav.append(button(page_label(t, lang, paged), again))
    if paged.has_next:
        nav.append(button("▶", RvAdmPage(f, product_id, page + 1, Toward.AFTER, last)))
    if nav:
        rows.append(nav)
    rows.append(
        [
            button(t(lang, f"review.adm.filter_{f.value}"), RvAdmList(f.value, 0, 0))
            for f in ReviewFilter
            if not (f == which and not product_id)
        ]
    )
    return Screen(fit("\n\n".join(parts), TEXT_LIMIT), keyboard(rows))


async def list_screen(
    context: ShopContext,
    which: ReviewFilter,
    page: int = 0,
    product_id: int = 0,
    seek: Seek | None = None,
) -> Screen:
    """The list, loaded: its first page, or (`seek`) the page next to a review shown."""
    product = None
    if product_id:
        product = (await context.merchant.product_file(product_id)).product.name
    paged = await context.reviews.review_entries(which, page, product_id or None, seek)
    return review_list(context, which, paged, product_id, product)


async def reviews_command(update: Update, context: ShopContext) -> None:
    """/reviews, /reviews low, /reviews SKU."""
    arg = " ".join(context.args or []).strip()
    which, product_id = ReviewFilter.ALL, 0
    if arg.lower() == ReviewFilter.LOW.value:
        which = ReviewFilter.LOW
    elif arg:
        try:
            product_id = (await context.shop.product_by_sku(arg)).id
        except (NotFoundError, DomainError):
            text = context.texts(context.admin_language, "review.adm.no_product", sku=arg[:32])
            await reply(update, context, Screen(text))
            return
    await reply(update, context, await list_screen(context, which, 0, product_id))


async def on_list(update: Update, context: ShopContext, data: RvAdmList) -> str | None:
    """The list's first page, in place. A page above 0 is a Prev/Next button sent before the
    list paged by key: the page it meant may have moved, so the first page shows and a toast
    says why."""
    screen = await list_screen(context, _filter(data.filter), 0, max(data.product_id, 0))
    await show(update, context, screen)
    if data.page > 0:
        return context.texts(context.admin_language, "review.adm.from_start")
    return None


async def on_page(update: Update, context: ShopContext, data: RvAdmPage) -> str | None:
    """The page next to a review of the page shown (Prev, Next, or the page again)."""
    seek = Seek(data.review, _toward(data.toward))
    which = _filter(data.filter)
    screen = await list_screen(context, which, data.page, max(data.product_id, 0), seek)
    await show(update, context, screen)
    return None


def reply_prompt(context: ShopContext, dialog: Dialog, entry: ReviewEntry | None) -> Screen:
    t, lang = context.texts, context.admin_language
    text = t(lang, "review.adm.ask", number=str(dialog.data.get("number", "")))
    if entry is not None and entry.comment:
        text += "\n" + t(lang, "review.adm.comment", text=short(entry.comment, COMMENT_SHOWN))
    cancel = button(t(lang, "adm.dialog.cancel"), RvAdmCancel(Token(dialog.token)))
    return Screen(text, keyboard([[cancel]]))


async def on_reply(update: Update, context: ShopContext, data: RvAdmReply) -> str | None:
    """Start the reply: the question takes over the list."""
    chat, user = chat_and_user(update)
    dialog = await context.reviews.start_reply(chat, user, data.review_id)
    entry = await context.reviews.review_entry(data.review_id)
    shown = await show(update, context, reply_prompt(context, dialog, entry))
    if shown is not None:
        await context.merchant.shown(
            chat, user, dialog.token, card=shown.message_id, prompt=shown.message_id
        )
    return None


async def on_cancel(update: Update, context: ShopContext, data: RvAdmCancel) -> str | None:
    """No reply: the list shows again."""
    chat, user = chat_and_user(update)
    await context.merchant.cancel_dialog(chat, user, data.token)
    await show(update, context, await list_screen(context, ReviewFilter.ALL, 0))
    return context.texts(context.admin_language, "adm.dialog.cancelled")


async def answer_reply(update: Update, context: ShopContext, dialog: Dialog, text: str) -> None:
    """The typed reply: stored and sent once; the list comes back where the question was (or
    below, when that message cannot be edited)."""
    chat, user = chat_and_user(update)
    t, lang = context.texts, context.admin_language
    try:
        entry = await context.reviews.reply_to_review(chat, user, text)
    except DomainError as error:
        message = context.admin_views.error(error)
        current = await context.merchant.current_dialog(chat, user)
        if current is None or current.token != dialog.token:
            await reply(update, context, Screen(message))
            return
        await reply(update, context, with_header(message, reply_prompt(context, current, None)))
        return
    done = t(lang, "review.adm.replied", number=entry.number)
    screen = with_header(done, await list_screen(context, ReviewFilter.ALL, 0))
    if dialog.card is None or not await edit(context, chat, dialog.card, screen):
        await reply(update, context, screen)
