"""After-sales: returns for a refund, exchanges and repairs of delivered goods.

A request is its own entity (domain/after_sales/records.py) with its own `transitions`
machine (domain/after_sales/rules.py) and its own events (who, when, from, to, why). It is
linked to its order and to the order's lines with the units it covers; across the order's
requests that were not declined, a line is never covered beyond the units bought (checked with
the order's row locked). The order counts its open requests (`Order.after_sales_open`), so
auto-completion leaves those orders alone.

The customer fills a request in a short dialog whose state lives in the database (`Draft`),
like checkout; the merchant approves or declines it, receives the goods (back into stock or
written off, through the inventory log), then refunds, ships a replacement or sends the
repaired goods back (with the merchant's ship dialog), and closes it. The customer is told
every step through the outbox, in the same transaction as the step.

The use cases live by side: the customer's requests (requests.py) and dialogs (drafts.py),
the merchant's desk (desk.py) and refunds (refunds.py), each a mixin over `AfterSalesBase`
(steps.py); `AfterSales` puts them together, so the bot builds and calls one object.
"""

from __future__ import annotations

from domain.after_sales.desk import MerchantDesk
from domain.after_sales.drafts import CustomerDialogs


class AfterSales(CustomerDialogs, MerchantDesk):
    """The after-sales use cases of one shop, for the customer and for the merchant."""
