"""How an order's shipping method reads on the customer's and merchant's screens and on the
pick list (issue 16): the method by name in the reader's language, pickup with the shop's
place and nothing to send, and the flat fee's orders exactly as before."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.merchant.documents import orders_csv, pick_list
from bot.notify import TelegramSender
from bot.orders.views import order_footer
from bot.texts import Texts
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order, OrderLine, PaymentMethod
from domain.orders.shipping_choice import ShippingChoice
from domain.shared.customers import Language
from domain.shared.money import Money, money_param
from domain.shared.notifications import Notification
from tests.unit.fakes import FakeUnitOfWorkFactory

EXPRESS = ShippingChoice("express", "delivery", {"en": "Express", "zh": "特快专递"})
PICKUP = ShippingChoice("pickup", "pickup", {"en": "Pickup", "zh": "到店自取"}, "1 Shop St")
AT = datetime(2026, 12, 7, 12, tzinfo=UTC)
ORDER = Order(
    number="AB12-CD34",
    customer_id=7,
    status=OrderStatus.CONFIRMED,
    currency="USD",
    lines=[OrderLine(1, "TEA-1", "Green tea", Money(1250, "USD"), 2)],
    shipping=Money(1500, "USD"),
    payment_method=PaymentMethod.CASH_ON_DELIVERY,
    recipient="Ada Lovelace",
    phone="+12025550143",
    address_text="88 Jianguo Road, Beijing 100022",
    created_at=AT,
)


@pytest.fixture(scope="module")
def texts() -> Texts:
    return Texts()


def test_a_delivery_method_is_named_above_the_address(texts: Texts) -> None:
    order = replace(ORDER, shipping_method=EXPRESS)
    en = "\n".join(order_footer(texts, Language.EN, order))
    assert "🚚 Delivery: Express\n\n📍 Ada Lovelace, +12025550143\n88 Jianguo Road" in en
    zh = "\n".join(order_footer(texts, Language.ZH, order))
    assert "🚚 配送方式：特快专递" in zh and "Express" not in zh


def test_a_pickup_order_shows_the_shop_and_who_collects(texts: Texts) -> None:
    order = replace(ORDER, shipping_method=PICKUP, address_text="", shipping=Money(0, "USD"))
    en = "\n".join(order_footer(texts, Language.EN, order))
    assert "🏬 Pick up at: 1 Shop St\n👤 Ada Lovelace, +12025550143" in en
    assert "📍" not in en
    zh = "\n".join(order_footer(texts, Language.ZH, order))
    assert "自取地点：1 Shop St" in zh and "到店自取" in zh


def test_the_flat_fee_order_reads_as_before(texts: Texts) -> None:
    footer = order_footer(texts, Language.EN, ORDER)
    assert not any("Delivery:" in part or "🏬" in part for part in footer)
    assert "📍 Ada Lovelace, +12025550143\n88 Jianguo Road, Beijing 100022" in "\n".join(footer)


def test_the_pick_list_says_the_method_and_that_a_pickup_is_not_sent(texts: Texts) -> None:
    orders = [
        replace(ORDER, shipping_method=EXPRESS),
        replace(ORDER, number="EF56-GH78", shipping_method=PICKUP, address_text=""),
        replace(ORDER, number="JK90-LM12"),
    ]
    text = pick_list(texts, Language.EN, "Tea House", orders, AT).decode()
    express, pickup, flat = text.split("Order ")[1:4]
    assert "88 Jianguo Road" in express and "Delivery: Express" in express
    assert "PICKUP at the shop (Pickup): nothing to send" in pickup
    assert "Delivery:" not in flat and "PICKUP" not in flat
    zh = pick_list(texts, Language.ZH, "Tea House", orders, AT).decode()
    assert "配送方式：特快专递" in zh and "到店自取（到店自取）：无需发货" in zh


def test_the_orders_export_has_the_method_code(texts: Texts) -> None:
    data = orders_csv([(replace(ORDER, shipping_method=EXPRESS), []), (ORDER, [])]).decode(
        "utf-8-sig"
    )
    header, express, flat = csv.reader(io.StringIO(data))
    column = header.index("shipping_method")
    assert (express[column], flat[column]) == ("express", "")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (Language.EN, "Cash on delivery · 🚚 Express &amp; more"),
        (Language.ZH, "货到付款 · 🚚 特快专递"),
    ],
)
def test_the_new_order_alert_names_the_method_in_the_reader_language(
    texts: Texts, language: Language, expected: str
) -> None:
    choice = ShippingChoice("express", "delivery", {"en": "Express & more", "zh": "特快专递"})
    alert = Notification(
        chat_id=-100,
        template="admin.new_order",
        params={
            "number": "AB12-CD34",
            "customer": "Ada",
            "total": money_param(Money(4000, "USD")),
            "lines": [[2, "Green tea"]],
            "payment": "cod",
            "address": "88 Jianguo Road",
            "shipping_method": choice.to_dict(),
        },
    )
    sender = TelegramSender(None, texts, FakeUnitOfWorkFactory(), language)  # type: ignore[arg-type]
    text, _ = sender.render(alert)
    assert expected in text
    # a flat-fee order's alert, or one queued before shipping methods, reads as before
    del alert.params["shipping_method"]
    text, _ = sender.render(alert)
    assert "🚚" not in text and "{" not in text
