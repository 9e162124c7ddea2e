"""The pick list says which orders carry a promo code and what it took off (issue 16)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.merchant.documents import pick_list
from bot.texts import Texts
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order, OrderLine, PaymentMethod
from domain.shared.customers import Language
from domain.shared.money import Money

AT = datetime(2026, 12, 7, 12, tzinfo=UTC)


def _order(promo: str | None, discount: int) -> Order:
    return Order(
        number="7KQ2-M9XD",
        customer_id=1,
        status=OrderStatus.PAID,
        currency="USD",
        lines=[OrderLine(1, "TEA-1", "Green tea", Money(1250, "USD"), 2, 1, discount)],
        shipping=Money(500, "USD"),
        payment_method=PaymentMethod.CASH_ON_DELIVERY,
        recipient="Ada",
        phone="+12025550143",
        address_text="1 Main St",
        created_at=AT,
        promo_code=promo,
        discount_minor=discount,
    )


def test_the_pick_list_names_the_code_and_collects_the_discounted_total() -> None:
    text = pick_list(Texts(), Language.EN, "Tea House", [_order("SPRING10", 250)], AT).decode()
    assert "Promo code SPRING10: −$2.50" in text
    assert "Collect on delivery: $27.50" in text  # 25.00 - 2.50 + 5.00
    plain = pick_list(Texts(), Language.EN, "Tea House", [_order(None, 0)], AT).decode()
    assert "Promo code" not in plain and "Collect on delivery: $30.00" in plain
