"""GET /products (search, pages by cursor) and GET /products/{id} (with available stock): the
catalog as customers browse it (domain/checkout/browsing.py), active products only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from bot.api import paging
from bot.api.auth import Caller, require, services
from bot.api.keys import READ_PRODUCTS
from bot.api.problems import Problem
from bot.api.schemas import ProblemOut, ProductOut, ProductPage
from domain.shared.errors import ProductUnavailableError

router = APIRouter(tags=["products"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"model": ProblemOut, "description": "a problem (RFC 9457)"}
    for code in (400, 401, 403, 422, 429)
}


@router.get("/products", response_model=ProductPage, responses=PROBLEMS)
async def list_products(
    request: Request,
    _caller: Annotated[Caller, Depends(require(READ_PRODUCTS))],
    q: Annotated[
        str, Query(max_length=64, description="words in the name, SKU or description")
    ] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> ProductPage:
    """Products on sale, by name; `q` searches; follow `next_cursor` for more."""
    page = 0
    if cursor is not None:
        page = paging.decode(cursor).get("page", 0)
        if not isinstance(page, int) or not 0 <= page < 100_000:
            raise Problem(400, "bad-cursor", "api.problem.invalid_title", "api.problem.bad_cursor")
    found = await services(request).shop.search(q, page)
    following = paging.encode({"page": page + 1}) if found.has_next else None
    return ProductPage(items=[ProductOut.of(p) for p in found.items], next_cursor=following)


@router.get(
    "/products/{product_id}",
    response_model=ProductOut,
    responses={**PROBLEMS, 404: PROBLEMS[400]},
)
async def get_product(
    request: Request,
    _caller: Annotated[Caller, Depends(require(READ_PRODUCTS))],
    product_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
) -> ProductOut:
    """One product on sale, with the units available now."""
    try:
        product = await services(request).shop.product(product_id)
    except ProductUnavailableError:
        raise Problem(
            404,
            "not-found",
            "api.problem.not_found_title",
            "api.problem.product_not_found",
            id=product_id,
        ) from None
    return ProductOut.of(product)
