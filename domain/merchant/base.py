"""What every merchant use case shares: the unit of work, the clock, the order flow, the
settings, and loading an order or a product, naming people, telling a customer."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from typing import Any

from domain.catalog.model import InventoryEntry, Product
from domain.merchant.ports import MerchantUnitOfWork
from domain.merchant.rules import REASON_MAX, SHIPPED_OR_LATER, MerchantConfig, _new_sku
from domain.orders.model import Order
from domain.orders.transitions import OrderFlow
from domain.shared.clock import Clock
from domain.shared.customers import Language
from domain.shared.dialogs import Dialog
from domain.shared.errors import (
    IllegalTransitionError,
    NotFoundError,
    ProductUnavailableError,
)
from domain.shared.notifications import Notification
from domain.shared.numbers import normalize_order_number
from domain.shared.ports import UnitOfWorkFactory


class MerchantBase:
    """What the merchant use cases share (see `Merchant`)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[MerchantUnitOfWork],
        clock: Clock,
        config: MerchantConfig,
        tokens: Callable[[], str] = lambda: secrets.token_urlsafe(6),
        skus: Callable[[], str] = _new_sku,
        *,
        flow: OrderFlow,
    ) -> None:
        self._uow = uow
        self._flow = flow
        self._clock = clock
        self.config = config
        self._tokens = tokens
        self._skus = skus

    async def _names(self, uow: MerchantUnitOfWork, actors: Sequence[str]) -> dict[str, str]:
        names: dict[str, str] = {}
        for actor in set(actors):
            kind, _, raw = actor.partition(":")
            if kind == "channel":  # another sales channel (its API key), by name
                names[actor] = raw
            elif kind in ("admin", "customer") and raw.lstrip("-").isdigit():
                person = await uow.customers.get(int(raw))
                if person is not None:
                    names[actor] = person.first_name
        return names

    @staticmethod
    async def _load(uow: MerchantUnitOfWork, number: str) -> Order:
        normalized = normalize_order_number(number)
        order = await uow.orders.get_by_number(normalized) if normalized else None
        if order is None:
            raise NotFoundError()
        return order

    async def _refused(self, number: str, trigger: str) -> IllegalTransitionError:
        """The error for a step the order can no longer take, naming its status now."""
        async with self._uow(readonly=True) as uow:
            order = await self._load(uow, number)
        if trigger == "ship" and order.status in SHIPPED_OR_LATER:
            return IllegalTransitionError(
                "adm.error.already_shipped", number=order.number, status=str(order.status)
            )
        return IllegalTransitionError(status=str(order.status), action=trigger)

    async def _tell_customer(
        self, uow: MerchantUnitOfWork, order: Order, template: str, key: str | None, **params: Any
    ) -> None:
        customer = await uow.customers.get(order.customer_id)
        language = customer.effective_language if customer else Language.EN
        await uow.outbox.add(
            Notification(
                chat_id=order.customer_id,
                template=template,
                params={"number": order.number, **params},
                language=language,
                dedupe_key=key,
            ),
            self._clock.now(),
        )

    async def _log(
        self, uow: MerchantUnitOfWork, product: Product, delta: int, reason: str, actor: str
    ) -> InventoryEntry:
        entry = InventoryEntry(
            product_id=product.id,
            delta=delta,
            stock_after=product.stock,
            reason=reason[:REASON_MAX],
            actor=actor,
            at=self._clock.now(),
        )
        entry.id = await uow.inventory.add(entry)
        return entry

    async def _product(self, uow: MerchantUnitOfWork, dialog: Dialog) -> Product:
        product = await uow.products.get(int(dialog.data["product_id"]))
        if product is None:
            raise ProductUnavailableError()
        return product
