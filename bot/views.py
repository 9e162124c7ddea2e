"""All customer screens in one object: each feature's screens, composed."""

from __future__ import annotations

from bot.cart.views import CartViews
from bot.catalog.views import CatalogViews
from bot.checkout.views import CheckoutViews


class Views(CatalogViews, CartViews, CheckoutViews):
    """All customer screens in one place."""
