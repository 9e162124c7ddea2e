"""The merchant's dialogs in the admin chat, kept in the database: starting one on an order or a
product, answering its steps, and confirming it (which hands it to the order or product use
case that carries it out)."""

from __future__ import annotations

from typing import Any

from domain.catalog.importing import CATEGORY_MAX, DESCRIPTION_MAX, NAME_MAX
from domain.merchant.orders import MerchantOrders
from domain.merchant.ports import MerchantUnitOfWork
from domain.merchant.products import MerchantProducts
from domain.merchant.rules import (
    EDITABLE_FIELDS,
    REASON_MAX,
    REASON_MIN,
    TEXT_MAX,
    check_count,
    check_price,
    check_text,
    parse_stock_change,
)
from domain.orders import lifecycle
from domain.shared import dialogs
from domain.shared.dialogs import CONFIRM, Dialog, DialogKind, StaleDialogError
from domain.shared.errors import (
    IllegalTransitionError,
    InvalidInputError,
    NotFoundError,
    ProductUnavailableError,
)
from domain.shipping.carriers import CARRIER_NAME_MAX, NOTE_MAX, OTHER_CARRIER, DialogResult


class MerchantDialogs(MerchantOrders, MerchantProducts):
    """The merchant's dialogs."""

    async def current_dialog(self, chat_id: int, user_id: int) -> Dialog | None:
        """The user's dialog in this chat, unless there is none or it went stale."""
        async with self._uow(readonly=True) as uow:
            dialog = await uow.dialogs.get(chat_id, user_id)
        if dialog is None or dialog.expired(self._clock.now()):
            return None
        return dialog

    async def _start(
        self, uow: MerchantUnitOfWork, chat_id: int, user_id: int, kind: DialogKind, **data: Any
    ) -> Dialog:
        dialog = dialogs.start(chat_id, user_id, kind, self._tokens(), self._clock.now(), **data)
        await uow.dialogs.save(dialog)
        return dialog

    async def start_ship(self, chat_id: int, admin_id: int, number: str) -> Dialog:
        """Begin shipping an order: the carrier is asked first."""
        async with self._uow() as uow:
            order = await self._load(uow, number)
            if lifecycle.can(order.status, "ship"):
                dialog = await self._start(
                    uow, chat_id, admin_id, DialogKind.SHIP, number=order.number
                )
                await uow.commit()
                return dialog
        raise await self._refused(number, "ship")

    async def start_cancel(self, chat_id: int, admin_id: int, number: str) -> Dialog:
        """Begin cancelling an unpaid order: its reason is asked first."""
        async with self._uow() as uow:
            order = await self._load(uow, number)
            if order.status in lifecycle.STOCK_COMMITTED and lifecycle.can(order.status, "cancel"):
                raise IllegalTransitionError("adm.error.refund_needed", number=order.number)
            if not lifecycle.can(order.status, "cancel"):
                raise IllegalTransitionError(status=str(order.status), action="cancel")
            dialog = await self._start(
                uow, chat_id, admin_id, DialogKind.CANCEL, number=order.number
            )
            await uow.commit()
        return dialog

    async def start_note(self, chat_id: int, admin_id: int, number: str) -> Dialog:
        """Begin an internal note on an order."""
        return await self._start_on_order(chat_id, admin_id, number, DialogKind.NOTE)

    async def start_message(self, chat_id: int, admin_id: int, number: str) -> Dialog:
        """Begin a message to the order's customer."""
        return await self._start_on_order(chat_id, admin_id, number, DialogKind.MESSAGE)

    async def _start_on_order(
        self, chat_id: int, admin_id: int, number: str, kind: DialogKind
    ) -> Dialog:
        async with self._uow() as uow:
            order = await self._load(uow, number)
            dialog = await self._start(uow, chat_id, admin_id, kind, number=order.number)
            await uow.commit()
        return dialog

    async def start_add_product(self, chat_id: int, admin_id: int) -> Dialog:
        """Begin adding a product: its name is asked first."""
        async with self._uow() as uow:
            dialog = await self._start(uow, chat_id, admin_id, DialogKind.ADD_PRODUCT)
            await uow.commit()
        return dialog

    async def start_edit(self, chat_id: int, admin_id: int, product_id: int, what: str) -> Dialog:
        """Begin editing one field of a product (name, price, desc or thresh)."""
        if what not in EDITABLE_FIELDS:
            raise StaleDialogError()
        return await self._start_on_product(
            chat_id, admin_id, product_id, DialogKind.EDIT_PRODUCT, field=what
        )

    async def start_stock(self, chat_id: int, admin_id: int, product_id: int) -> Dialog:
        """Begin a stock change: the change is asked first, then its reason."""
        return await self._start_on_product(chat_id, admin_id, product_id, DialogKind.STOCK)

    async def _start_on_product(
        self, chat_id: int, admin_id: int, product_id: int, kind: DialogKind, **data: Any
    ) -> Dialog:
        async with self._uow() as uow:
            product = await uow.products.get(product_id)
            if product is None:
                raise ProductUnavailableError()
            dialog = await self._start(
                uow, chat_id, admin_id, kind, product_id=product.id, name=product.name, **data
            )
            await uow.commit()
        return dialog

    async def start_reply(self, customer_id: int, number: str) -> Dialog:
        """A customer begins replying to the shop about one of their orders."""
        async with self._uow() as uow:
            order = await self._load(uow, number)
            if order.customer_id != customer_id:
                raise NotFoundError()
            dialog = await self._start(
                uow, customer_id, customer_id, DialogKind.REPLY, number=order.number
            )
            await uow.commit()
        return dialog

    async def _open(
        self, uow: MerchantUnitOfWork, chat_id: int, user_id: int, token: str | None
    ) -> Dialog:
        dialog = await uow.dialogs.get(chat_id, user_id)
        if dialog is None or (token is not None and dialog.token != token):
            raise StaleDialogError()
        return dialog

    async def choose_carrier(self, chat_id: int, admin_id: int, token: str, code: str) -> Dialog:
        """The ship dialog's carrier; the tracking number is asked next."""
        carrier = self.config.carrier(code)
        async with self._uow() as uow:
            dialog = await self._open(uow, chat_id, admin_id, token)
            if dialog.kind != DialogKind.SHIP or dialog.step != "carrier" or carrier is None:
                raise StaleDialogError()
            dialog.data["carrier"] = carrier.code
            dialog.advance()
            if carrier.code != OTHER_CARRIER:
                dialog.advance()  # a carrier we know has its name
            await self._save(uow, dialog)
            await uow.commit()
        return dialog

    async def choose(self, chat_id: int, user_id: int, token: str, value: str) -> DialogResult:
        """A value offered as a button (a category that exists, a preset reason) for the
        current step, checked as if it was typed."""
        async with self._uow() as uow:
            dialog = await self._open(uow, chat_id, user_id, token)
            if (dialog.kind, dialog.step) not in dialogs.CHOICES:
                raise StaleDialogError()
            dialog.data[dialog.step] = self._check(dialog, value)
            result = await self._next(uow, dialog)
            await uow.commit()
        return result

    async def shown(
        self, chat_id: int, user_id: int, token: str, *, card: int | None, prompt: int
    ) -> None:
        """Remember where the dialog is on the screen: `card` is the message of its subject
        (the order or product card it took over), `prompt` the message asking the current
        question. The adapter tidies them as the dialog moves on; a dialog that was replaced or
        finished meanwhile is left alone."""
        async with self._uow() as uow:
            dialog = await uow.dialogs.get(chat_id, user_id)
            if dialog is None or dialog.token != token:
                return
            if card is not None:
                dialog.data[dialogs.CARD] = card
            dialog.data[dialogs.PROMPT] = prompt
            await uow.dialogs.save(dialog)
            await uow.commit()

    async def _save(self, uow: MerchantUnitOfWork, dialog: Dialog) -> None:
        dialog.updated_at = self._clock.now()
        await uow.dialogs.save(dialog)

    async def answer(self, chat_id: int, user_id: int, text: str) -> DialogResult | None:
        """Typed text for the user's dialog in this chat; None when no dialog waits for it.
        A wrong value raises InvalidInputError and leaves the dialog where it was."""
        async with self._uow() as uow:
            dialog = await uow.dialogs.get(chat_id, user_id)
            if dialog is None or dialog.expired(self._clock.now()):
                return None
            if not dialog.typed:
                raise InvalidInputError("adm.error.use_buttons")
            dialog.data[dialog.step] = self._check(dialog, text)
            if (dialog.kind, dialog.step) == (DialogKind.STOCK, "change"):
                await self._check_stock_change(uow, dialog)
            result = await self._next(uow, dialog)
            await uow.commit()
        return result

    async def give_photo(self, chat_id: int, user_id: int, file_id: str) -> DialogResult | None:
        """A photo for the add-product dialog; None when no dialog waits for one."""
        async with self._uow() as uow:
            dialog = await uow.dialogs.get(chat_id, user_id)
            if dialog is None or dialog.expired(self._clock.now()):
                return None
            if (dialog.kind, dialog.step) != (DialogKind.ADD_PRODUCT, "photo"):
                raise InvalidInputError("adm.error.photo_unexpected")
            dialog.data["photo"] = file_id
            result = await self._next(uow, dialog)
            await uow.commit()
        return result

    async def skip(self, chat_id: int, user_id: int, token: str) -> DialogResult:
        """Leave an optional step empty."""
        async with self._uow() as uow:
            dialog = await self._open(uow, chat_id, user_id, token)
            if not dialog.optional:
                raise StaleDialogError()
            dialog.data[dialog.step] = None
            result = await self._next(uow, dialog)
            await uow.commit()
        return result

    async def cancel_dialog(self, chat_id: int, user_id: int, token: str) -> Dialog:
        """Drop the dialog; nothing it collected takes effect."""
        async with self._uow() as uow:
            dialog = await self._open(uow, chat_id, user_id, token)
            await uow.dialogs.delete(chat_id, user_id, token)
            await uow.commit()
        return dialog

    async def confirm(self, chat_id: int, admin_id: int, token: str) -> DialogResult:
        """Carry out a dialog that waits for confirmation (ship, cancel, add a product)."""
        try:
            async with self._uow() as uow:
                dialog = await self._open(uow, chat_id, admin_id, token)
                if dialog.step != CONFIRM:
                    raise StaleDialogError()
                result = await self._finish(uow, dialog)
                await uow.commit()
        except IllegalTransitionError as error:
            # Someone else moved the order first: this dialog is moot.
            async with self._uow() as uow:
                dialog = await self._open(uow, chat_id, admin_id, token)
                await uow.dialogs.delete(chat_id, admin_id, token)
                await uow.commit()
            if error.key != IllegalTransitionError.key:
                raise
            trigger = "ship" if dialog.kind == DialogKind.SHIP else "cancel"
            raise await self._refused(str(dialog.data["number"]), trigger) from None
        return result

    async def _next(self, uow: MerchantUnitOfWork, dialog: Dialog) -> DialogResult:
        if dialog.last_step:
            return await self._finish(uow, dialog)
        dialog.advance()
        await self._save(uow, dialog)
        return DialogResult(dialog)

    def _check(self, dialog: Dialog, text: str) -> Any:
        """Validate a typed answer for the dialog's current step."""
        kind, step = dialog.kind, dialog.step
        if kind == DialogKind.SHIP:
            if step == "carrier_name":
                return check_text(text, 1, CARRIER_NAME_MAX)
            if step == "tracking":
                carrier = self.config.carrier(str(dialog.data.get("carrier")))
                if carrier is None:
                    raise StaleDialogError()
                return carrier.check(text)
            return check_text(text, 1, NOTE_MAX, multiline=True)
        if kind == DialogKind.CANCEL:
            return check_text(text, REASON_MIN, REASON_MAX)
        if kind in (DialogKind.NOTE, DialogKind.MESSAGE, DialogKind.REPLY):
            return check_text(text, 1, TEXT_MAX, multiline=True)
        if kind == DialogKind.STOCK:
            if step == "change":
                return list(parse_stock_change(text))
            return check_text(text, REASON_MIN, REASON_MAX)
        what = dialog.data.get("field") if kind == DialogKind.EDIT_PRODUCT else step
        if what == "name":
            return check_text(text, 1, NAME_MAX)
        if what == "category":
            return check_text(text, 1, CATEGORY_MAX)
        if what == "price":
            return check_price(text, self.config.currency).amount
        if what in ("stock", "thresh"):
            return check_count(text)
        if what in ("description", "desc"):
            return check_text(text, 1, DESCRIPTION_MAX, multiline=True)
        raise StaleDialogError()

    async def _finish(self, uow: MerchantUnitOfWork, dialog: Dialog) -> DialogResult:
        """Carry the dialog out and delete it, in the caller's transaction."""
        actions = {
            DialogKind.SHIP: self._ship,
            DialogKind.CANCEL: self._cancel,
            DialogKind.NOTE: self._note,
            DialogKind.MESSAGE: self._message,
            DialogKind.ADD_PRODUCT: self._add_product,
            DialogKind.EDIT_PRODUCT: self._edit_product,
            DialogKind.STOCK: self._change_stock,
            DialogKind.REPLY: self._reply,
        }
        # Taking the dialog first is what makes it happen once: of two taps (or answers) at
        # once, both may have read it (PostgreSQL has no writer lock), but one DELETE takes the
        # row and the other, once the first commits, finds it gone and does nothing.
        if not await uow.dialogs.delete(dialog.chat_id, dialog.user_id, dialog.token):
            raise StaleDialogError()
        result = await actions[dialog.kind](uow, dialog)
        result.done = True
        return result
