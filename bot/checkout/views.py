"""Checkout screens: each step of the dialog and its keyboards."""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.callback_data import Token
from bot.checkout.callbacks import (
    CheckoutBack,
    CheckoutCancel,
    ChooseShipping,
    Confirm,
    HaveCode,
    NewAddress,
    PayWith,
    PickUp,
    RemoveCode,
    UseAddress,
)
from bot.orders.views import OrderViews
from bot.screens import TEXT_LIMIT, Screen, button, button_label, fit, keyboard, short
from bot.texts import Html
from domain.checkout.flow import CheckoutStep
from domain.checkout.ordering import CheckoutView
from domain.checkout.shipping_methods import ShippingOption
from domain.orders.model import PaymentMethod
from domain.promotions.rules import reason_of
from domain.shared.customers import Language


class CheckoutViews(OrderViews):
    """Checkout screens (the order summary comes from the order screens)."""

    # -- checkout ---------------------------------------------------------------------------

    def _step_buttons(self, lang: Language, token: str) -> list[InlineKeyboardButton]:
        return [
            button(self.t(lang, "checkout.back"), CheckoutBack(Token(token))),
            button(self.t(lang, "checkout.cancel"), CheckoutCancel(Token(token))),
        ]

    def text_step_keyboard(self, lang: Language, step: CheckoutStep) -> ReplyKeyboardMarkup:
        """Reply keyboard for typed steps (Back / Cancel, and contact sharing)."""
        t = self.t
        rows: list[list[KeyboardButton]] = []
        if step == CheckoutStep.ENTER_PHONE:
            rows.append([KeyboardButton(t(lang, "checkout.share_phone"), request_contact=True)])
        rows.append(
            [KeyboardButton(t(lang, "checkout.back")), KeyboardButton(t(lang, "checkout.cancel"))]
        )
        return ReplyKeyboardMarkup(
            rows,
            resize_keyboard=True,
            is_persistent=True,
            input_field_placeholder=button_label(t(lang, f"checkout.placeholder.{step.value}")),
        )

    def checkout_step(self, lang: Language, view: CheckoutView) -> Screen:
        """The screen for the checkout's current step."""
        t = self.t
        checkout = view.checkout
        token = checkout.token
        step = checkout.step
        if step == CheckoutStep.CHOOSE_ADDRESS:
            rows = [
                [button(short(f"{a.recipient}, {a.text}", 48), UseAddress(Token(token), a.id))]
                for a in view.addresses
            ]
            rows.append([button(t(lang, "checkout.new_address"), NewAddress(Token(token)))])
            rows.extend(
                [button(self._option(lang, o), PickUp(Token(token), o.method.code))]
                for o in view.pickups
            )
            rows.append(self._step_buttons(lang, token))
            if view.pickups:
                places = "\n".join(
                    t(
                        lang,
                        "checkout.shipping.pickup_at",
                        name=o.method.name(lang.value),
                        place=o.method.place,
                    )
                    for o in view.pickups
                )
                text = t(lang, "checkout.shipping.choose_receive", places=Html(places))
                return Screen(text, keyboard(rows))
            return Screen(t(lang, "checkout.choose_address"), keyboard(rows))
        if step == CheckoutStep.CHOOSE_SHIPPING:
            rows = [
                [button(self._option(lang, o), ChooseShipping(Token(token), o.method.code))]
                for o in view.shipping_options
            ]
            rows.append(self._step_buttons(lang, token))
            text = t(lang, "checkout.shipping.choose", address=checkout.draft.address_text or "")
            return Screen(text, keyboard(rows))
        if step in (
            CheckoutStep.ENTER_RECIPIENT,
            CheckoutStep.ENTER_PHONE,
            CheckoutStep.ENTER_ADDRESS,
            CheckoutStep.ENTER_CODE,
        ):
            return Screen(
                t(lang, f"checkout.ask.{step.value}"), self.text_step_keyboard(lang, step)
            )
        if step == CheckoutStep.CHOOSE_PAYMENT:
            rows = [
                [button(t(lang, f"payment.{m.value}"), PayWith(Token(token), m.value))]
                for m in view.payment_methods
            ]
            rows.append(self._step_buttons(lang, token))
            # A total of 0 (a code covers it) offers only nothing to pay.
            key = "checkout.nothing_to_pay" if view.nothing_to_pay else "checkout.choose_payment"
            return Screen(t(lang, key, total=view.total), keyboard(rows))
        if step == CheckoutStep.REVIEW:
            draft = checkout.draft
            parts = [t(lang, "checkout.review_title")]
            for line in view.cart.lines:
                parts.append(
                    t(
                        lang,
                        "order.line",
                        name=line.product.name,
                        qty=line.quantity,
                        total=line.total,
                    )
                )
            parts.append(self._review_totals(lang, view))
            method = view.shipping_method
            if method is not None:
                parts.append(t(lang, "checkout.shipping.method", name=method.name(lang.value)))
            if method is not None and method.pickup:
                parts.append(
                    t(
                        lang,
                        "checkout.shipping.pickup_by",
                        place=method.place,
                        recipient=draft.recipient or "",
                        phone=draft.phone or "",
                    )
                )
            else:
                parts.append(
                    t(
                        lang,
                        "order.deliver_to",
                        recipient=draft.recipient or "",
                        phone=draft.phone or "",
                        address=draft.address_text or "",
                    )
                )
            # A total of 0 is placed paid, whatever was chosen before the code covered it.
            paying = PaymentMethod.FREE if view.nothing_to_pay else draft.payment_method
            parts.append(
                t(
                    lang,
                    "order.payment",
                    method=t(lang, f"payment.{paying.value}") if paying else "",
                )
            )
            confirm = "checkout.confirm_free" if view.nothing_to_pay else "checkout.confirm"
            rows = [
                [button(t(lang, confirm), Confirm(Token(token)))],
                [self._code_button(lang, view)],
                self._step_buttons(lang, token),
            ]
            return Screen(fit("\n".join(parts), TEXT_LIMIT), keyboard(rows))
        return self.menu(lang, view.cart.item_count)

    def _review_totals(self, lang: Language, view: CheckoutView) -> str:
        """Subtotal, the promo code's discount (or why the code no longer applies), shipping
        (free when the code says so) and the total."""
        t = self.t
        code = view.checkout.draft.promo_code
        if view.discount is not None:
            return t(
                lang,
                "order.totals_discount",
                subtotal=view.subtotal,
                code=view.discount.code,
                discount=view.discount_amount,
                shipping=view.shipping,
                total=view.total,
            )
        totals = t(
            lang,
            "order.totals",
            subtotal=view.subtotal,
            shipping=view.shipping,
            total=view.total,
        )
        if code and view.promo_problem is not None:
            reason = t(lang, f"promo.why.{reason_of(view.promo_problem)}")
            return totals + "\n" + t(lang, "checkout.code_problem", code=code, reason=reason)
        return totals

    def _code_button(self, lang: Language, view: CheckoutView) -> InlineKeyboardButton:
        """The review's "Have a code?", or "Remove code …" once one is entered."""
        token = Token(view.checkout.token)
        code = view.checkout.draft.promo_code
        if code:
            return button(self.t(lang, "checkout.remove_code", code=code), RemoveCode(token))
        return button(self.t(lang, "checkout.have_code"), HaveCode(token))

    def code_entered(self, lang: Language, view: CheckoutView) -> Screen:
        """Leaving the typed code step: the reply keyboard goes, and what became of the code."""
        code = view.checkout.draft.promo_code
        text = (
            self.t(lang, "checkout.code_applied", code=code)
            if code and view.discount is not None
            else self.t(lang, "checkout.code_left")
        )
        return Screen(text, ReplyKeyboardRemove())

    def _option(self, lang: Language, option: ShippingOption) -> str:
        """A method's button: its name and what it costs this cart ("free" over the
        threshold)."""
        name = option.method.name(lang.value)
        if option.method.pickup:
            if option.free:
                return self.t(lang, "checkout.shipping.pickup_free", name=name)
            return self.t(lang, "checkout.shipping.pickup_fee", name=name, fee=option.fee)
        if option.free:
            return self.t(lang, "checkout.shipping.delivery_free", name=name)
        return self.t(lang, "checkout.shipping.delivery_fee", name=name, fee=option.fee)

    def details_saved(self, lang: Language, view: CheckoutView) -> Screen:
        draft = view.checkout.draft
        if draft.pickup:
            return Screen(
                self.t(
                    lang,
                    "checkout.shipping.pickup_saved",
                    recipient=draft.recipient or "",
                    phone=draft.phone or "",
                ),
                ReplyKeyboardRemove(),
            )
        return Screen(
            self.t(
                lang,
                "checkout.details_saved",
                recipient=draft.recipient or "",
                phone=draft.phone or "",
                address=draft.address_text or "",
            ),
            ReplyKeyboardRemove(),
        )
