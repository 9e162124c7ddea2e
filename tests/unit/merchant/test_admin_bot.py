"""The merchant's Telegram-side pieces that need no Telegram: buttons added to notifications,
the warehouse documents and the CSV exports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from bot.merchant.alerts import merchant_buttons
from bot.merchant.documents import orders_csv, packing_slip, pick_list, products_csv
from bot.notify import TelegramSender
from bot.texts import Texts
from domain.catalog.model import Product
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order, OrderLine, PaymentMethod
from domain.shared.customers import Language
from domain.shared.money import Money
from domain.shared.notifications import Notification
from domain.shipping.carriers import Shipment
from tests.unit.fakes import FakeUnitOfWorkFactory

AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def texts() -> Texts:
    return Texts()


def order(number: str, *lines: tuple[str, str, int], phone: str = "+12025550143") -> Order:
    return Order(
        number=number,
        customer_id=7,
        status=OrderStatus.CONFIRMED,
        currency="USD",
        lines=[
            OrderLine(i, sku, name, Money(1250, "USD"), qty)
            for i, (sku, name, qty) in enumerate(lines)
        ],
        shipping=Money(500, "USD"),
        payment_method=PaymentMethod.CASH_ON_DELIVERY,
        recipient="Ada & Co",
        phone=phone,
        address_text="1 <Main> Street",
        created_at=AT,
    )


def test_admin_alerts_get_open_buttons_and_customer_notices_get_none() -> None:
    assert merchant_buttons(Notification(-1, "admin.new_order", {"number": "7KQ2-M9XD"})) == [
        [("adm.alert.open_order", "ao:7KQ2-M9XD")]
    ]
    assert merchant_buttons(Notification(-1, "adm.alert.low_stock", {"product_id": 42})) == [
        [("adm.alert.open_product", "aop:42")]
    ]
    customer = Notification(7, "adm.notify.shipped", {"number": "7KQ2-M9XD"}, Language.EN)
    assert merchant_buttons(customer) == [], "admin buttons never reach a customer"
    assert merchant_buttons(Notification(-1, "admin.x", {"number": "not a number"})) == []
    assert merchant_buttons(Notification(-1, "admin.x", {"product_id": True})) == []


def test_the_shops_message_to_a_customer_gets_a_reply_button_in_their_language(
    texts: Texts,
) -> None:
    message = Notification(
        7, "adm.relay.to_customer", {"number": "7KQ2-M9XD", "text": "<hi>"}, Language.ZH
    )
    text, markup = TelegramSender(None, texts, FakeUnitOfWorkFactory(), Language.EN).render(  # type: ignore[arg-type]
        message
    )
    assert "&lt;hi&gt;" in text and "7KQ2-M9XD" in text
    assert markup is not None
    [[reply]] = markup.inline_keyboard
    assert (reply.text, reply.callback_data) == ("↩️ 回复", "rs:7KQ2-M9XD")


def test_the_pick_list_sums_units_by_sku_and_lists_every_order_unescaped(texts: Texts) -> None:
    first = order("AAAA-0001", ("TEA-1", "Green & tea", 2), ("MUG", "Mug", 1))
    second = order("AAAA-0002", ("TEA-1", "Green & tea", 3))
    text = pick_list(texts, Language.EN, "Tea & Co", [first, second], AT).decode("utf-8")
    assert text.startswith("PICK LIST — Tea & Co\n")
    assert "[ ] 5 × TEA-1  Green & tea" in text and "[ ] 1 × MUG  Mug" in text
    assert (
        text.index("ITEMS TO PICK") < text.index("Order AAAA-0001") < text.index("Order AAAA-0002")
    )
    assert "Ship to: Ada & Co, +12025550143" in text and "1 <Main> Street" in text
    assert "Cash on delivery" in text and "💵" not in text and "&amp;" not in text
    chinese = pick_list(texts, Language.ZH, "茶", [first], AT).decode("utf-8")
    assert "拣货单 — 茶" in chinese and "货到付款" in chinese


def test_a_packing_slip_holds_one_order_and_its_total(texts: Texts) -> None:
    slip = packing_slip(texts, Language.EN, "Tea", order("AAAA-0001", ("T", "Tea", 2)), AT)
    body = slip.decode("utf-8")
    assert "PACKING SLIP — Tea — order AAAA-0001" in body
    assert "Order total: $30.00" in body and "Collect on delivery: $30.00" in body


def test_the_products_export_uses_the_import_columns() -> None:
    products = [
        Product(1, "TEA-1", "=cmd|' /C calc'!A0", 1, Money(1250, "USD"), 40, category_name="Tea"),
        Product(2, "MUG", "Mug", 2, Money(900, "USD"), 3, active=False, category_name="Ware"),
    ]
    rows = list(csv.reader(io.StringIO(products_csv(products).decode("utf-8-sig"))))
    assert rows[0] == [
        "sku",
        "name",
        "category",
        "price",
        "stock",
        "description",
        "photo",
        "low_stock_threshold",
        "active",
        "lead_time_days",
        "lead_time_max_days",
        "order_cost",
        "holding_cost",
    ]
    assert rows[1][0] == "TEA-1" and rows[1][1].startswith("'="), "formulas are defused"
    assert rows[2] == ["MUG", "Mug", "Ware", "9.00", "3", "", "", "0", "false", "", "", "", ""]


def test_the_products_export_writes_supply_settings_that_import_back() -> None:
    from domain.catalog.importing import parse_catalog

    tea = Product(1, "TEA-1", "Tea", 1, Money(1250, "USD"), 40, category_name="Tea")
    tea.lead_time_days, tea.lead_time_max_days = 7.0, 10.5
    tea.order_cost_minor, tea.holding_cost_minor = 2000, 125
    rows = list(csv.reader(io.StringIO(products_csv([tea]).decode("utf-8-sig"))))
    assert rows[1][-4:] == ["7", "10.5", "20.00", "1.25"]
    (draft,) = parse_catalog(rows[0], [(2, dict(zip(rows[0], rows[1], strict=True)))], "USD")
    assert draft.supply == {
        "lead_time_days": 7.0,
        "lead_time_max_days": 10.5,
        "order_cost_minor": 2000,
        "holding_cost_minor": 125,
    }


def test_the_orders_export_has_one_row_per_order_with_its_last_shipment() -> None:
    shipped = order("AAAA-0001", ("TEA-1", "Tea", 2), ("MUG", "Mug", 1))
    shipment = Shipment(1, "sf", "SF Express", "SF123456789012", None, "admin:1", AT, "k")
    data = orders_csv([(shipped, [shipment]), (order("AAAA-0002", ("MUG", "Mug", 1)), [])])
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["number"] for r in rows] == ["AAAA-0001", "AAAA-0002"]
    assert rows[0]["items"] == "TEA-1 x2; MUG x1" and rows[0]["total"] == "42.50"
    assert (rows[0]["carrier"], rows[0]["tracking_number"]) == ("SF Express", "SF123456789012")
    assert rows[0]["placed_at"] == "2026-01-01T12:00:00+00:00"
    assert rows[1]["carrier"] == ""
