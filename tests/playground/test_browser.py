"""The playground page in a real browser: a customer shops, checks out with a shared contact,
the Express delivery method and the demo's promo code (WELCOME10), and pays by card; the
merchant sees the alert and ships with a tracking number; the customer sees the shipment.
Asserts on what the page shows and on what the database stored; screenshots go to
tests/artifacts/playground/."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.playground.demo import Playground
from domain.orders.lifecycle import OrderStatus
from storage.db import Database
from storage.tables.orders import OrderRow
from storage.tables.payments import PaymentRow
from storage.tables.shipping import ShipmentRow
from tests.playground.browser import artefact, chromium_page

NUMBER = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}")
ADDRESS = "1 Main Street, Springfield, IL 62701"  # the page's first suggestion: Express serves it
TIMEOUT = 15_000  # ms


async def send(pane: Any, text: str) -> None:
    """Type into the composer and press Enter."""
    await pane.locator("textarea.input").fill(text)
    await pane.locator("textarea.input").press("Enter")


def button(pane: Any, label: str) -> Any:
    """The newest inline button whose label contains `label` (case-sensitive)."""
    return pane.locator(".keyboard button").filter(has_text=re.compile(re.escape(label))).last


async def tap(pane: Any, label: str) -> None:
    await button(pane, label).click()


async def sees(pane: Any, text: str) -> None:
    """Wait until the chat shows `text` in one of its messages."""
    from playwright.async_api import expect

    await expect(pane.locator(".messages .bubble").filter(has_text=text).last).to_be_visible(
        timeout=TIMEOUT
    )


async def rows(database_url: str, statement: Any) -> list[Any]:
    db = Database(database_url)
    try:
        async with db.uow(readonly=True) as uow:
            found = list((await uow.session.scalars(statement)).all())
            uow.session.expunge_all()  # keep the values readable after the transaction ends
            return found
    finally:
        await db.dispose()


async def journey(page: Any, playground: Playground, started: float) -> tuple[str, float]:
    """What the customer and the merchant do in the page."""
    from playwright.async_api import expect

    await page.goto(playground.url)
    await expect(page.locator("body[data-ready=true]")).to_have_count(1)
    customer, admin = page.locator("#customer-pane"), page.locator("#admin-pane")
    loaded = time.monotonic() - started
    # The "Try" panel names what the demo seeded: the code and the sold-out tea.
    await expect(page.locator("#tour")).to_contain_text("WELCOME10")
    await expect(page.locator("#tour")).to_contain_text("Pu-erh Cake 357 g is sold out")

    # The customer browses with the command menu and inline buttons that edit in place.
    await customer.locator(".menu-button").click()
    await customer.locator(".command-menu div").filter(has_text="/start").click()
    await sees(customer, "Hi Alice")
    await tap(customer, "Catalog")
    await tap(customer, "Tea (")
    await tap(customer, "Longjing")
    await expect(customer.locator("img.photo").last).to_be_visible()
    await tap(customer, "Add 1 to cart")
    await expect(customer.locator(".toast")).to_contain_text("Added 1 × Longjing")
    await tap(customer, "Back")
    await tap(customer, "Keemun")
    await tap(customer, "Add 1 to cart")
    await expect(customer.locator(".toast")).to_contain_text("Added 1 × Keemun")
    await tap(customer, "Cart")
    await sees(customer, "Total: $23.50")
    await page.screenshot(path=artefact("1-cart"))

    # Checkout: a new address (pickup is offered beside it); name typed, phone shared from the
    # reply keyboard, the address the "Try" panel suggests put in the message box by a click.
    await tap(customer, "Checkout")
    await sees(customer, "Delivery or pickup")
    await expect(button(customer, "Pickup at Tea House")).to_be_visible()
    await tap(customer, "New address")
    await sees(customer, "Who will receive the order")
    await send(customer, "Alice Smith")
    await customer.locator(".reply-keyboard button").filter(has_text="Share my phone").click()
    await page.locator("#modal button").filter(has_text="Share").click()
    await sees(customer, "Send the full delivery address")
    await page.locator("#tour .suggest").filter(has_text="Springfield, IL 62701").click()
    await expect(customer.locator("textarea.input")).to_have_value(ADDRESS)
    await customer.locator("textarea.input").press("Enter")
    # The demo's delivery methods that serve it, each with its fee for this cart.
    await sees(customer, "How should we send your order")
    await expect(button(customer, "Standard — $5.00")).to_be_visible()
    await tap(customer, "Express (next day) — $9.00")
    await sees(customer, "How would you like to pay")
    await tap(customer, "Pay by card")
    await sees(customer, "Please check your order")
    # The seeded code, typed on the summary: the discount line and the method are shown.
    await tap(customer, "Have a code?")
    await sees(customer, "Send the code you have")
    await send(customer, "welcome10")
    await sees(customer, "Code WELCOME10 applied")
    summary = customer.locator(".messages .bubble").filter(has_text="Please check your order").last
    for line in (
        "Discount (WELCOME10): −$2.35",
        "Shipping: $9.00",
        "Total: $30.15",
        "Delivery: Express (next day)",
    ):
        await expect(summary).to_contain_text(line)
    await page.screenshot(path=artefact("2-summary-with-code"))
    await tap(customer, "Confirm order")
    await sees(customer, "with the invoice below")
    number = NUMBER.search(await customer.locator(".messages").inner_text())
    assert number, await customer.locator(".messages").inner_text()
    order_number = number.group(0)

    # The invoice's Pay button opens the payment form; paying runs the pre-checkout query.
    await customer.locator(".keyboard button.pay").last.click()
    await expect(page.locator("#modal")).to_contain_text("Visa")
    await page.screenshot(path=artefact("3-payment-form"))
    await page.locator("#modal button.primary").click()
    await sees(customer, "Payment received")
    await sees(customer, "You paid $30.15")

    # The merchant sees the paid alert in the admin chat and ships with a tracking number.
    await sees(admin, f"Order {order_number} paid")
    await page.screenshot(path=artefact("4-paid-alert"))
    alert = admin.locator(".row").filter(has_text=f"Order {order_number} paid").last
    await alert.locator(".keyboard button").filter(has_text="Open order").click()
    await sees(admin, "Placed:")
    await tap(admin, "Ship")
    await sees(admin, "Which carrier?")
    await tap(admin, "SF Express")
    await sees(admin, "send the tracking number")
    await send(admin, "SF123456789012")
    await sees(admin, "A note on the shipment")
    await tap(admin, "Skip")
    await sees(admin, f"Ship order {order_number}?")
    await tap(admin, "Confirm shipment")
    await sees(admin, f"Order {order_number} shipped")

    # The customer sees the shipment, with the tracking link.
    await sees(customer, f"Your order {order_number} is on its way")
    link = customer.locator(".bubble a[href*='SF123456789012']").last
    await expect(link).to_be_visible()
    await page.screenshot(path=artefact("5-shipped"))

    # Another customer, in Chinese: Telegram's own words around the chat follow her language.
    await page.locator("#add-customer input[name=name]").fill("李雷")
    await page.locator("#add-customer select").select_option("zh")
    await page.locator("#add-customer button").click()
    await expect(page.locator("#customers li.active")).to_contain_text("李雷")
    await expect(customer.locator("textarea.input")).to_have_attribute("placeholder", "消息")
    await send(customer, "/start")
    await sees(customer, "李雷")
    await page.locator("#customers li").filter(has_text="Alice").click()
    await sees(customer, f"Your order {order_number} is on its way")

    return order_number, loaded


async def test_a_customer_orders_and_pays_and_the_merchant_ships_it_in_the_browser(
    playground: Playground, tmp_path: Path
) -> None:

    started = time.monotonic()
    async with chromium_page(tmp_path / "profile") as page:
        page.set_default_timeout(TIMEOUT)
        try:
            order_number, loaded = await journey(page, playground, started)
        except Exception:
            await page.screenshot(path=artefact("failure"))
            raise

    [order] = await rows(
        playground.database_url, select(OrderRow).where(OrderRow.number == order_number)
    )
    assert order.status == OrderStatus.SHIPPED
    assert (order.recipient, order.address_text, order.total_minor) == (
        "Alice Smith",
        ADDRESS,
        3015,
    )
    assert (order.promo_code, order.discount_minor) == ("WELCOME10", 235)
    assert (order.shipping_method["code"], order.shipping_minor) == ("express", 900)
    assert order.phone.startswith("+1415555")
    [payment] = await rows(
        playground.database_url, select(PaymentRow).where(PaymentRow.order_id == order.id)
    )
    assert payment.method == "card" and payment.amount_minor == 3015
    [shipment] = await rows(
        playground.database_url, select(ShipmentRow).where(ShipmentRow.order_id == order.id)
    )
    assert (shipment.carrier_code, shipment.tracking_number) == ("sf", "SF123456789012")
    print(f"page loaded in {loaded:.2f} s; whole journey {time.monotonic() - started:.1f} s")
