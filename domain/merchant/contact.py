"""Talking to the shop: a customer writes to the shop ("Contact the shop", about an order or
in general), the message goes to the admin chat, an admin answers with "↩️ Reply" and the
customer gets the answer (with a Reply key of their own), and so on. Each side types in a
dialog kept in the database (DialogKind.CONTACT for the customer, DialogKind.ANSWER for the
admin), so a restart loses nothing. The messages are personal data: they live only in the
encrypted dialog data, outbox parameters and (about an order) the order's encrypted event
note, never in a plain column."""

from __future__ import annotations

from typing import Any

from domain.merchant.base import MerchantBase
from domain.merchant.rules import TEXT_MAX, check_text
from domain.orders import transitions as orders
from domain.orders.lifecycle import OrderEventType
from domain.shared import dialogs
from domain.shared.audit import Target, record
from domain.shared.customers import admin_actor, customer_actor, display_name, language_of
from domain.shared.dialogs import Dialog, DialogKind, StaleDialogError
from domain.shared.errors import NotFoundError
from domain.shared.notifications import Notification

FROM_CUSTOMER = "adm.relay.from_customer_general"  # in the admin chat, with "↩️ Reply"
ABOUT_ORDER = "adm.relay.from_customer"  # in the admin chat, with "Open order"
TO_CUSTOMER = "adm.relay.to_customer_general"  # to the customer, with "↩️ Reply"


class ShopContact(MerchantBase):
    """The customer's messages to the shop and the shop's answers (mixed into `Merchant`)."""

    async def start_contact(self, customer_id: int, number: str | None = None) -> Dialog:
        """The customer begins a message to the shop, about one of their orders or not."""
        async with self._uow() as uow:
            about = ""
            if number:
                order = await self._load(uow, number)
                if order.customer_id != customer_id:
                    raise NotFoundError()
                about = order.number
            dialog = dialogs.start(
                customer_id,
                customer_id,
                DialogKind.CONTACT,
                self._tokens(),
                self._clock.now(),
                number=about,
            )
            await uow.dialogs.save(dialog)
            await uow.commit()
        return dialog

    async def send_to_shop(self, customer_id: int, text: str) -> Dialog:
        """The customer's typed message: relayed to the admin chat (recorded on the order when
        it is about one); the dialog ends. A wrong length raises InvalidInputError and the
        dialog waits on."""
        message = check_text(text, 1, TEXT_MAX, multiline=True)
        now = self._clock.now()
        async with self._uow() as uow:
            dialog = await uow.dialogs.get(customer_id, customer_id)
            if dialog is None or dialog.kind != DialogKind.CONTACT or dialog.expired(now):
                raise StaleDialogError()
            # Taken by a write first: of two messages at once, one ends the dialog and the
            # other finds it gone (PostgreSQL lets both read it).
            if not await uow.dialogs.delete(customer_id, customer_id, dialog.token):
                raise StaleDialogError()
            customer = await uow.customers.get(customer_id)
            who = display_name(customer, customer_id)
            number = str(dialog.data.get("number") or "")
            params: dict[str, Any] = {"customer": who, "text": message, "customer_id": customer_id}
            template = FROM_CUSTOMER
            if number:
                order = await self._load(uow, number)
                await orders.record(
                    uow,
                    order,
                    OrderEventType.NOTE_ADDED,
                    actor=customer_actor(customer_id),
                    at=now,
                    note=message,
                    params={"internal": True, "kind": "message_in"},
                )
                params["number"] = order.number
                template = ABOUT_ORDER
            if self.config.admin_chat_id is not None:
                await uow.outbox.add(
                    Notification(
                        chat_id=self.config.admin_chat_id, template=template, params=params
                    ),
                    now,
                )
            await uow.commit()
        return dialog

    async def start_answer(self, chat_id: int, admin_id: int, customer_id: int) -> Dialog:
        """An admin begins answering a customer who wrote to the shop."""
        async with self._uow() as uow:
            customer = await uow.customers.get(customer_id)
            if customer is None:
                raise NotFoundError()
            dialog = dialogs.start(
                chat_id,
                admin_id,
                DialogKind.ANSWER,
                self._tokens(),
                self._clock.now(),
                customer_id=customer_id,
                customer=display_name(customer, customer_id),
            )
            await uow.dialogs.save(dialog)
            await uow.commit()
        return dialog

    async def answer_customer(self, chat_id: int, admin_id: int, text: str) -> Dialog:
        """The admin's typed answer: sent to the customer (who may reply), audited; the dialog
        ends. A wrong length raises InvalidInputError and the dialog waits on."""
        message = check_text(text, 1, TEXT_MAX, multiline=True)
        now = self._clock.now()
        async with self._uow() as uow:
            dialog = await uow.dialogs.get(chat_id, admin_id)
            if dialog is None or dialog.kind != DialogKind.ANSWER or dialog.expired(now):
                raise StaleDialogError()
            if not await uow.dialogs.delete(chat_id, admin_id, dialog.token):
                raise StaleDialogError()  # the other of two answers at once took it
            customer_id = int(dialog.data["customer_id"])
            customer = await uow.customers.get(customer_id)
            await uow.outbox.add(
                Notification(
                    chat_id=customer_id,
                    template=TO_CUSTOMER,
                    params={"text": message},
                    language=language_of(customer),
                ),
                now,
            )
            await record(
                uow,
                admin_actor(admin_id),
                "customer_message",
                Target(customer_id=customer_id),
                {},
                at=now,
            )
            await uow.commit()
        return dialog
