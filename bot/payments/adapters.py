"""Telegram's side of payments: the buttons notifications carry and Star refunds."""

from __future__ import annotations

from telegram import (
    Bot,
)
from telegram.error import BadRequest, TelegramError

from bot.callback_data import OrderNo
from bot.cart.callbacks import PutBackInCart
from bot.payments.callbacks import (
    AskReceipt,
    AskRejectReceipt,
    ConfirmReceipt,
    PayNow,
    RefundPayment,
)
from domain.payments.ports import Buttons, StarRefundAnswer, StarRefundResult

# -- wiring -----------------------------------------------------------------------------------


class ChatActions:
    """The buttons payment notifications carry, as our typed callback data."""

    def pay_now(self, number: str) -> Buttons:
        return [[("pay.pay_now", PayNow(OrderNo(number)).pack())]]

    def send_receipt(self, number: str) -> Buttons:
        return [[("pay.send_receipt", AskReceipt(OrderNo(number)).pack())]]

    def put_back(self, number: str) -> Buttons:
        return [[("cart.put_back_button", PutBackInCart(OrderNo(number)).pack())]]

    def review_receipt(self, receipt_id: int) -> Buttons:
        return [
            [
                ("pay.admin.confirm", ConfirmReceipt(receipt_id).pack()),
                ("pay.admin.reject", AskRejectReceipt(receipt_id).pack()),
            ]
        ]

    def refund_payment(self, payment_id: int) -> Buttons:
        return [[("pay.admin.refund", RefundPayment(payment_id).pack())]]


class TelegramStarRefunds:
    """refundStarPayment, its answers turned into what the domain needs to know."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def refund(self, customer_id: int, telegram_charge_id: str) -> StarRefundAnswer:
        """Ask Telegram to give the Stars back."""
        try:
            await self.bot.refund_star_payment(customer_id, telegram_charge_id)
        except BadRequest as exc:
            if "CHARGE_ALREADY_REFUNDED" in exc.message.upper():
                return StarRefundAnswer(StarRefundResult.ALREADY_REFUNDED)
            return StarRefundAnswer(StarRefundResult.REFUSED, exc.message)
        except TelegramError as exc:  # 5xx, timeouts, flood control: try again later
            return StarRefundAnswer(StarRefundResult.UNAVAILABLE, str(exc))
        return StarRefundAnswer(StarRefundResult.ACCEPTED)
