"""Use cases of the merchant's side, run from the admin chat: orders, shipping, products, stock.
Each opens one unit of work: load, apply the rules, commit. Every action records its admin as
the actor ("admin:<telegram user id>") in the order's timeline or the inventory log.

The use cases live by topic: orders (orders.py), products and stock (products.py) and the
admin chat's dialogs (dialogs.py), each a mixin over `MerchantBase` (base.py); `Merchant` puts
them together, so the bot builds and calls one object."""

from __future__ import annotations

from domain.merchant.contact import ShopContact
from domain.merchant.dialogs import MerchantDialogs


class Merchant(MerchantDialogs, ShopContact):
    """The merchant-facing use cases of one shop."""
