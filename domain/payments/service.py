"""Payments: invoices, pre-checkout, money received, bank transfer receipts, refunds, and the
sweep that reminds about and expires unpaid orders.

Each use case is one unit of work; every status change goes through the order flow, and every
step leaves an order event. The use cases live by topic (invoices, receiving, transfers,
refunds, expiry), each a mixin over `PaymentsBase`, which holds what they share; `Payments`
puts them together, so the bot and the jobs build and call one object.
"""

from __future__ import annotations

from domain.payments.due import Dues
from domain.payments.expiry import Expiry
from domain.payments.invoices import Invoicing
from domain.payments.refunds import Refunding
from domain.payments.transfers import TransferReceipts


class Payments(Invoicing, TransferReceipts, Refunding, Expiry, Dues):
    """The payment use cases of one shop."""
