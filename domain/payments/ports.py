"""The payments' unit of work, and the ports the bot implements: the buttons payment
notifications carry, and Telegram's refund of Stars."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from domain.orders.ports import OrdersUnitOfWork
from domain.payments.records import PaymentRepository

Buttons = list[list[tuple[str, str]]]


class PaymentsUnitOfWork(OrdersUnitOfWork, Protocol):
    """The payments' unit of work."""

    @property
    def payments(self) -> PaymentRepository: ...


class PaymentActions(Protocol):
    """Buttons that payment notifications carry: (text key, callback data) rows. The bot
    decides how actions are encoded; the domain only says which are offered."""

    def pay_now(self, number: str) -> Buttons: ...
    def send_receipt(self, number: str) -> Buttons: ...
    def put_back(self, number: str) -> Buttons: ...
    def review_receipt(self, receipt_id: int) -> Buttons: ...
    def refund_payment(self, payment_id: int) -> Buttons: ...


class NoActions:
    """Notifications without buttons (tests, or a bot that offers none)."""

    def pay_now(self, number: str) -> Buttons:
        return []

    def send_receipt(self, number: str) -> Buttons:
        return []

    def put_back(self, number: str) -> Buttons:
        return []

    def review_receipt(self, receipt_id: int) -> Buttons:
        return []

    def refund_payment(self, payment_id: int) -> Buttons:
        return []


class StarRefundResult(StrEnum):
    """How Telegram answered a Stars refund."""

    ACCEPTED = "accepted"
    ALREADY_REFUNDED = "already_refunded"  # an earlier attempt went through
    REFUSED = "refused"  # a definite no (charge unknown...): recorded as failed
    UNAVAILABLE = "unavailable"  # no answer (5xx, timeout): the refund stays pending


@dataclass(frozen=True)
class StarRefundAnswer:
    """Telegram's answer to refundStarPayment."""

    result: StarRefundResult
    error: str | None = None


class StarRefunds(Protocol):
    """Gives Telegram Stars back (refundStarPayment)."""

    async def refund(self, customer_id: int, telegram_charge_id: str) -> StarRefundAnswer: ...
