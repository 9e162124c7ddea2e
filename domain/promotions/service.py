"""The merchant's promo codes in the admin chat: create, list, pause and resume, and a code's
card with its uses and revenue. Each action is one unit of work with its audit entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from domain.promotions.model import PromoCode, PromoStats
from domain.promotions.ports import PromotionsUnitOfWork
from domain.promotions.rules import PromoError, normalise_code
from domain.promotions.spec import parse_spec, shown
from domain.shared.audit import Target, record
from domain.shared.clock import Clock
from domain.shared.customers import admin_actor
from domain.shared.errors import DuplicateError
from domain.shared.ports import UnitOfWorkFactory


@dataclass(frozen=True)
class PromoCard:
    """A code and its figures, with the names of the products and categories it is for."""

    promo: PromoCode
    stats: PromoStats
    products: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()


async def _card(uow: PromotionsUnitOfWork, promo: PromoCode, stats: PromoStats) -> PromoCard:
    products = []
    for product_id in promo.product_ids:
        product = await uow.products.get(product_id)
        products.append(product.name if product else f"#{product_id}")
    categories: list[str] = []
    if promo.category_ids:
        names = {c.id: c.name for c in await uow.products.categories()}
        categories = [names.get(i, f"#{i}") for i in promo.category_ids]
    return PromoCard(promo, stats, tuple(products), tuple(categories))


class Promotions:
    """The admin chat's promo codes."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[PromotionsUnitOfWork],
        clock: Clock,
        currency: str,
        zone: tzinfo,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self.currency = currency
        self._zone = zone

    async def create(self, text: str, admin_id: int) -> PromoCode:
        """A new code from the merchant's one-line description (domain/promotions/spec.py);
        PromoError names what to fix, and a taken code is refused."""
        spec = parse_spec(text, self.currency, self._zone)
        now = self._clock.now()
        async with self._uow() as uow:
            categories: list[int] = []
            if spec.category_names:
                known = {c.name.casefold(): c.id for c in await uow.products.categories()}
                for name in spec.category_names:
                    found = known.get(name.casefold())
                    if found is None:
                        raise PromoError("promo.adm.bad.category", name=shown(name))
                    categories.append(found)
            for product_id in spec.product_ids:
                if await uow.products.get(product_id) is None:
                    raise PromoError("promo.adm.bad.product", id=product_id)
            promo = PromoCode(
                code=spec.code,
                kind=spec.kind,
                value=spec.value,
                currency=self.currency,
                min_subtotal=spec.min_subtotal,
                valid_from=spec.valid_from,
                valid_until=spec.valid_until,
                max_uses=spec.max_uses,
                max_uses_per_customer=spec.max_uses_per_customer,
                product_ids=spec.product_ids,
                category_ids=tuple(sorted(set(categories))),
                free_shipping=spec.free_shipping,
                created_at=now,
            )
            try:
                promo.id = await uow.promos.add(promo)
            except DuplicateError:
                raise PromoError("promo.adm.taken", code=spec.code) from None
            await record(
                uow, admin_actor(admin_id), "promo_create", Target(), {"code": promo.code}, at=now
            )
            await uow.commit()
        return promo

    async def codes(self) -> list[PromoCode]:
        """Every code, newest first."""
        async with self._uow(readonly=True) as uow:
            return await uow.promos.list()

    async def card(self, code: str) -> PromoCard:
        """A code with its uses and revenue; PromoError when there is no such code."""
        async with self._uow(readonly=True) as uow:
            promo = await uow.promos.get(normalise_code(code))
            if promo is None or promo.id is None:
                raise PromoError("promo.adm.unknown", code=shown(code))
            return await _card(uow, promo, await uow.promos.stats(promo.id))

    async def card_by_id(self, promo_id: int) -> PromoCard:
        """A code's card by its id (the list's buttons); PromoError when it is gone."""
        async with self._uow(readonly=True) as uow:
            promo = await uow.promos.get_by_id(promo_id)
            if promo is None:
                raise PromoError("promo.adm.unknown", code=f"#{promo_id}")
            return await _card(uow, promo, await uow.promos.stats(promo_id))

    async def set_paused(self, promo_id: int, paused: bool, admin_id: int) -> PromoCard:
        """Pause a code (customers cannot enter it; orders placed keep their discount) or
        resume it. Doing it twice changes nothing more."""
        now = self._clock.now()
        async with self._uow() as uow:
            promo = await uow.promos.get_by_id(promo_id)
            if promo is None:
                raise PromoError("promo.adm.unknown", code=str(promo_id))
            found = await _card(uow, promo, await uow.promos.stats(promo_id))
            # conditional: of two taps at once (PostgreSQL runs both), one changes and audits it
            if promo.paused != paused and await uow.promos.set_paused(promo_id, paused):
                action = "promo_pause" if paused else "promo_resume"
                await record(
                    uow, admin_actor(admin_id), action, Target(), {"code": promo.code}, at=now
                )
                await uow.commit()
            promo.paused = paused  # as asked, by this tap or by one at the same time
        return found
