"""Review comments on the customer's product card: the newest ones, loaded only for a product
somebody rated (its card already knows the count), so an unrated card costs no query."""

from __future__ import annotations

from dataclasses import replace

from bot.context import ShopContext
from domain.catalog.model import Product


async def with_comments(context: ShopContext, product: Product) -> Product:
    """The product with its newest review comments, for its card."""
    if not product.rating_count:
        return product
    comments = await context.reviews.product_comments(product.id)
    return replace(product, comments=tuple(comments))
