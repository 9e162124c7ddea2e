"""Documents for the merchant: a pick list and packing slips as clean UTF-8 text (they print on
any printer and open on any phone, with no PDF library to keep up to date), and CSV exports.
Headings come from the locale catalogs, unescaped: these files are not HTML."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.texts import Texts
from domain.catalog.importing import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from domain.catalog.model import Product
from domain.orders.model import Order, PaymentMethod
from domain.shared.customers import Language
from domain.shared.money import Money
from domain.shipping.carriers import Shipment

RULE = "-" * 60
_LEADING_SYMBOLS = re.compile(r"^\W+")  # the emoji that lead a payment method's label
ORDER_COLUMNS = (
    "number",
    "placed_at",
    "status",
    "customer_id",
    "recipient",
    "phone",
    "address",
    "payment_method",
    "currency",
    "subtotal",
    "promo_code",  # the code the order was placed with (issue 16); empty: none
    "discount",  # what it took off the lines (total = subtotal - discount + shipping)
    "shipping",
    "shipping_method",  # the method's code (empty: the flat SHIPPING_FEE)
    "total",
    "items",
    "carrier",
    "tracking_number",
    "shipped_at",
)


class PlainText:
    """Catalog texts filled without HTML escaping, for files."""

    def __init__(self, texts: Texts, language: Language) -> None:
        self.texts = texts
        self.language = language

    def __call__(self, key: str, **params: Any) -> str:
        template = self.texts.catalogs[self.language].get(key) or self.texts.catalogs[
            Language.EN
        ].get(key)
        if template is None:
            raise KeyError(f"no text for {key!r}")
        return template.format_map({k: self._value(v) for k, v in params.items()})

    def _value(self, value: Any) -> str:
        if isinstance(value, Money):
            return self.texts.money(value, self.language)
        if isinstance(value, datetime):
            return self.texts.when(value, self.language)
        return str(value)


def _order_section(p: PlainText, order: Order) -> list[str]:
    lines = [
        p(
            "adm.doc.order",
            number=order.number,
            placed=order.created_at,
            payment=_LEADING_SYMBOLS.sub("", p(f"payment.{order.payment_method.value}")),
        ),
        p("adm.doc.ship_to", recipient=order.recipient, phone=order.phone),
        f"    {order.address_text}",
    ]
    method = order.shipping_method  # None: the flat fee, nothing more to say
    if method is not None and method.pickup:  # nothing to send: collected at the shop
        lines[-1] = p("checkout.shipping.doc_pickup", name=method.name(p.language.value))
    elif method is not None:
        lines.append(p("checkout.shipping.doc_method", name=method.name(p.language.value)))
    for line in order.lines:
        lines.append(p("adm.doc.item", qty=line.quantity, sku=line.sku, name=line.name))
    if order.promo_code:
        lines.append(p("adm.doc.promo", code=order.promo_code, discount=order.discount))
    if order.payment_method == PaymentMethod.CASH_ON_DELIVERY:
        lines.append(p("adm.doc.collect", total=order.total))
    return lines


def pick_list(
    texts: Texts, language: Language, shop: str, orders: Sequence[Order], at: datetime
) -> bytes:
    """Every unit to take off the shelves (by SKU), then each order to pack."""
    p = PlainText(texts, language)
    totals: dict[str, list[Any]] = {}
    for order in orders:
        for line in order.lines:
            entry = totals.setdefault(line.sku, [0, line.name])
            entry[0] += line.quantity
    lines = [
        p("adm.doc.pick_title", shop=shop),
        p("adm.doc.printed", at=at, n=len(orders)),
        "",
        p("adm.doc.pick_items"),
        RULE,
    ]
    for sku in sorted(totals):
        qty, name = totals[sku]
        lines.append(p("adm.doc.item", qty=qty, sku=sku, name=name))
    lines += ["", p("adm.doc.pick_orders"), RULE]
    for order in orders:
        lines += _order_section(p, order)
        lines.append(RULE)
    return ("\n".join(lines) + "\n").encode("utf-8")


def packing_slip(texts: Texts, language: Language, shop: str, order: Order, at: datetime) -> bytes:
    """One order's slip to put in the parcel and tick off while packing."""
    p = PlainText(texts, language)
    lines = [
        p("adm.doc.slip_title", shop=shop, number=order.number),
        p("adm.doc.printed", at=at, n=1),
        RULE,
        *_order_section(p, order),
        RULE,
        p("adm.doc.total", total=order.total),
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


def products_csv(products: Sequence[Product]) -> bytes:
    """Products in the import format, so the file can be edited and sent back."""
    header = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
    rows = [
        [
            p.sku,
            p.name,
            p.category_name,
            f"{p.price.to_major()}",
            p.stock,
            p.description,
            p.photo or "",
            p.low_stock_threshold,
            "true" if p.active else "false",
            _number(p.lead_time_days),
            _number(p.lead_time_max_days),
            _major(p.order_cost_minor, p.price.currency),
            _major(p.holding_cost_minor, p.price.currency),
        ]
        for p in products
    ]
    return _csv(header, rows)


def _number(days: float | None) -> str:
    """Days as the import reads them: 7 rather than 7.0; empty for the shop's default."""
    return "" if days is None else f"{days:g}" if days == int(days) else repr(days)


def _major(minor: int | None, currency: str) -> str:
    """A cost in major units; empty for the shop's default."""
    return "" if minor is None else f"{Money(minor, currency).to_major()}"


def orders_csv(orders: Sequence[tuple[Order, list[Shipment]]]) -> bytes:
    """Orders with their lines and latest shipment, one row each."""
    rows = []
    for order, shipments in orders:
        last = shipments[-1] if shipments else None
        rows.append(
            [
                order.number,
                order.created_at.astimezone(UTC).isoformat(timespec="seconds"),
                order.status.value,
                order.customer_id,
                order.recipient,
                order.phone,
                order.address_text,
                order.payment_method.value,
                order.currency,
                f"{order.subtotal.to_major()}",
                order.promo_code or "",
                f"{order.discount.to_major()}",
                f"{order.shipping.to_major()}",
                order.shipping_method.code if order.shipping_method else "",
                f"{order.total.to_major()}",
                "; ".join(f"{line.sku} x{line.quantity}" for line in order.lines),
                last.carrier_name if last else "",
                last.tracking_number if last else "",
                last.shipped_at.astimezone(UTC).isoformat(timespec="seconds") if last else "",
            ]
        )
    return _csv(ORDER_COLUMNS, rows)
