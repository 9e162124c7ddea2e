"""The review with a promo code, as the customer reads it in English and Chinese (issue 16)."""

from __future__ import annotations

from bot.texts import Texts
from bot.views import Views
from domain.catalog.model import Product
from domain.checkout.shop import Shop
from domain.promotions.model import PromoKind
from domain.promotions.rules import PromoNoLongerAppliesError
from domain.shared.customers import Language
from tests.unit.checkout.test_shop import ADA, reach_review
from tests.unit.fakes import FakeStore
from tests.unit.promotions.test_promo_checkout import add_code


async def test_the_review_shows_the_code_its_discount_and_free_shipping_in_both_languages(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    add_code(store, "FREESHIP", kind=PromoKind.FIXED, value=0, free_shipping=True)
    add_code(store, "TEN", value=10)
    await shop.add_to_cart(ADA, tea.id, 2)
    token = await reach_review(shop)
    views = Views(Texts(), "Tea House")
    plain = views.checkout_step(Language.EN, await shop.have_code(ADA, token))
    assert "Promo code" in plain.text
    view = await shop.give_code(ADA, "ten")
    english = views.checkout_step(Language.EN, view)
    assert "Discount (TEN): −$2.50" in english.text and "Total: $27.50" in english.text
    labels = [b.text for row in english.markup.inline_keyboard for b in row]  # type: ignore[union-attr]
    assert "✖️ Remove code TEN" in labels and "🏷 Have a code?" not in labels
    chinese = views.checkout_step(Language.ZH, view)
    assert "优惠（TEN）：−US$2.50" in chinese.text, chinese.text
    await shop.remove_code(ADA, token)
    await shop.have_code(ADA, token)
    free = await shop.give_code(ADA, "freeship")
    english = views.checkout_step(Language.EN, free)
    assert "Discount (FREESHIP): −$0.00" in english.text and "Shipping: $0.00" in english.text
    assert views.code_entered(Language.ZH, free).text == "🏷 已使用优惠码 FREESHIP。"


def test_the_alert_at_confirm_says_why_and_the_total_in_both_languages() -> None:
    views = Views(Texts(), "Tea House")
    error = PromoNoLongerAppliesError(
        code="TEN", reason={"$text": "promo.why.expired"}, total={"$money": [3000, "USD"]}
    )
    assert views.error(Language.EN, error) == (
        "🏷 Code TEN no longer applies: it has expired. Nothing was ordered. Without it the "
        "total is $30.00; please check and confirm again."
    )
    chinese = views.error(Language.ZH, error)
    assert "优惠码 TEN 已不再适用：它已过期。订单未提交。" in chinese
