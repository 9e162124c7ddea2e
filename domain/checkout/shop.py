"""Use cases of the customer side. Each opens one unit of work: load, apply the rules, commit.

They live by topic: browsing the catalog and filling the cart (browsing.py), checkout and
placing the order (ordering.py), the customer's own orders (my_orders.py), each a mixin over
`ShopBase` (shop_base.py: settings, customers); `Shop` puts them together, so the bot keeps
calling shop.<use case>."""

from __future__ import annotations

from domain.checkout.browsing import Browsing
from domain.checkout.my_orders import MyOrders
from domain.checkout.ordering import Ordering


class Shop(Browsing, Ordering, MyOrders):
    """The customer-facing use cases of one shop."""
