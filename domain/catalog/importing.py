"""Catalog import rules: rows of a CSV file in, validated product drafts out, or every bad row."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from domain.shared.errors import CatalogImportError
from domain.shared.money import Money, MoneyError

REQUIRED_COLUMNS = ("sku", "name", "category", "price", "stock")
OPTIONAL_COLUMNS = (
    "description",
    "photo",
    "low_stock_threshold",
    "active",
    # supply settings for stock planning; an empty cell means the shop's default
    "lead_time_days",
    "lead_time_max_days",
    "order_cost",  # major units, the shop's currency, per purchase order
    "holding_cost",  # major units, per unit and year
)
SUPPLY_COLUMNS = ("lead_time_days", "lead_time_max_days", "order_cost", "holding_cost")
MAX_LEAD_DAYS = 365
_TRUE = {"1", "true", "yes", "y", "on"}
_FALSE = {"0", "false", "no", "n", "off"}
NAME_MAX, SKU_MAX, CATEGORY_MAX, DESCRIPTION_MAX = 64, 32, 48, 800


@dataclass(frozen=True)
class ProductDraft:
    """A validated catalog row, ready to create or update a product by SKU."""

    sku: str
    name: str
    category: str
    price: Money
    stock: int
    description: str = ""
    photo: str | None = None
    low_stock_threshold: int = 0
    active: bool = True
    line: int = 0
    # The supply columns the file has, as the product stores them: lead_time_days,
    # lead_time_max_days (days), order_cost_minor, holding_cost_minor (minor units); None
    # clears one (the shop's default). A column the file lacks is absent and left unchanged.
    supply: Mapping[str, float | int | None] = field(default_factory=dict)


def _int(value: str, column: str, errors: list[str]) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        errors.append(f"{column} must be a whole number, got {value!r}")
        return 0
    if number < 0:
        errors.append(f"{column} must not be negative")
    return number


def _supply(
    row: dict[str, str], columns: list[str], currency: str, errors: list[str]
) -> dict[str, float | int | None]:
    """The supply columns present in the file, checked like /supply: 0 < lead ≤ worst lead ≤
    365 days, order cost ≥ 0, holding cost > 0."""
    supply: dict[str, float | int | None] = {}
    for column in ("lead_time_days", "lead_time_max_days"):
        if column not in columns:
            continue
        text = row.get(column, "")
        if not text:
            supply[column] = None
            continue
        try:
            days = float(text)
        except ValueError:
            errors.append(f"{column} must be a number of days, got {text!r}")
            continue
        if not 0 < days <= MAX_LEAD_DAYS:  # also refuses nan and inf
            errors.append(f"{column} must be more than 0 and at most {MAX_LEAD_DAYS} days")
            continue
        supply[column] = days
    lead, worst = supply.get("lead_time_days"), supply.get("lead_time_max_days")
    if lead is not None and worst is not None and worst < lead:
        errors.append("lead_time_max_days must not be below lead_time_days")
    for column, key, positive in (
        ("order_cost", "order_cost_minor", False),
        ("holding_cost", "holding_cost_minor", True),
    ):
        if column not in columns:
            continue
        text = row.get(column, "")
        if not text:
            supply[key] = None
            continue
        try:
            amount = Money.from_major(text, currency).amount
        except MoneyError as exc:
            errors.append(f"{column}: {exc}")
            continue
        if amount < 0 or (positive and amount == 0):
            errors.append(f"{column} must be {'greater than zero' if positive else 'zero or more'}")
            continue
        supply[key] = amount
    return supply


def parse_catalog(
    header: list[str] | None,
    rows: Iterable[tuple[int, dict[str, str | None]]],
    currency: str,
    photo_ok: Callable[[str], bool] = lambda _: True,
) -> list[ProductDraft]:
    """Validate all rows; raise CatalogImportError listing (line, message) for every bad one."""
    columns = [c.strip().lower() for c in header or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise CatalogImportError(errors=[(1, f"missing column(s): {', '.join(missing)}")])
    unknown = [c for c in columns if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise CatalogImportError(errors=[(1, f"unknown column(s): {', '.join(unknown)}")])

    drafts: list[ProductDraft] = []
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for line, raw in rows:
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        if None in raw:
            problems.append((line, "more values than columns"))
            continue
        errors: list[str] = []
        sku, name, category = row.get("sku", ""), row.get("name", ""), row.get("category", "")
        for column, value, limit in (
            ("sku", sku, SKU_MAX),
            ("name", name, NAME_MAX),
            ("category", category, CATEGORY_MAX),
        ):
            if not value:
                errors.append(f"{column} is empty")
            elif len(value) > limit:
                errors.append(f"{column} is longer than {limit} characters")
        if sku in seen:
            errors.append(f"sku {sku} already appears on line {seen[sku]}")
        price = Money.zero(currency)
        try:
            price = Money.from_major(row.get("price", ""), currency)
            if price.amount <= 0:
                errors.append("price must be greater than zero")
        except MoneyError as exc:
            errors.append(f"price: {exc}")
        stock = _int(row.get("stock", ""), "stock", errors)
        threshold = _int(row.get("low_stock_threshold") or "0", "low_stock_threshold", errors)
        description = row.get("description", "")
        if len(description) > DESCRIPTION_MAX:
            errors.append(f"description is longer than {DESCRIPTION_MAX} characters")
        active_text = (row.get("active") or "true").lower()
        if active_text not in _TRUE | _FALSE:
            errors.append(f"active must be true or false, got {row.get('active')!r}")
        supply = _supply(row, columns, currency, errors)
        photo = row.get("photo") or None
        if photo and not photo.startswith(("http://", "https://")) and not photo_ok(photo):
            errors.append(f"photo file not found: {photo}")
        if sku and sku not in seen:
            seen[sku] = line
        if errors:
            problems.append((line, "; ".join(errors)))
            continue
        drafts.append(
            ProductDraft(
                sku=sku,
                name=name,
                category=category,
                price=price,
                stock=stock,
                description=description,
                photo=photo,
                low_stock_threshold=threshold,
                active=active_text in _TRUE,
                line=line,
                supply=supply,
            )
        )
    if problems:
        raise CatalogImportError(errors=problems)
    return drafts
