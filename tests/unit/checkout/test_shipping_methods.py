"""Shipping methods: the setting, which addresses a method serves, free shipping over a
threshold, pickup at the shop, and the checkout's delivery method step over the fakes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from domain.catalog.model import Product
from domain.checkout.flow import CheckoutStep
from domain.checkout.shipping_methods import (
    NoShippingMethodError,
    ShippingChangedError,
    ShippingConfigError,
    ShippingKind,
    ShippingMethods,
    shipping_methods_from_json,
)
from domain.checkout.shop import Shop
from domain.orders.shipping_choice import ShippingChoice
from domain.promotions.model import PromoCode, PromoKind
from domain.shared.clock import FixedClock
from domain.shared.customers import Customer
from domain.shared.errors import PriceChangedError, StaleCheckoutError
from domain.shared.money import Money
from tests.unit.checkout.test_shop import ADA, make_shop
from tests.unit.fakes import FakeStore, FakeUnitOfWorkFactory

S = CheckoutStep
BEIJING = "北京市朝阳区建国路 88 号 100022"
LONDON = "12 Analytical Engine Way, London"
SHANGHAI = "上海市浦东新区世纪大道 100 号, 200120"
STANDARD: dict[str, Any] = {
    "code": "std",
    "name": {"en": "Standard", "zh": "标准快递"},
    "fee": "5.00",
    "free_from": "50.00",
}
EXPRESS: dict[str, Any] = {
    "code": "express",
    "name": {"en": "Express", "zh": "特快专递"},
    "fee": "15.00",
    "postcodes": ["100"],
    "regions": ["Beijing", "北京"],
}
PICKUP: dict[str, Any] = {
    "code": "pickup",
    "kind": "pickup",
    "name": {"en": "Pickup at the shop", "zh": "到店自取"},
    "fee": "0",
    "place": "1 Shop Street, open 9-18",
}


def usd(amount: int) -> Money:
    return Money(amount, "USD")


def methods(*items: dict[str, Any]) -> str:
    return json.dumps(list(items))


# -- the setting -------------------------------------------------------------------------------


def test_the_setting_reads_names_fees_thresholds_areas_and_pickup() -> None:
    std, express, pickup = shipping_methods_from_json(methods(STANDARD, EXPRESS, PICKUP), "USD")
    assert std.names == {"en": "Standard", "zh": "标准快递"}
    assert (std.fee, std.free_from, std.kind) == (usd(500), usd(5000), ShippingKind.DELIVERY)
    assert (express.postcodes, express.regions) == (("100",), ("Beijing", "北京"))
    assert pickup.pickup and pickup.place == "1 Shop Street, open 9-18" and pickup.fee == usd(0)


def test_one_name_serves_both_languages_and_a_missing_one_falls_back() -> None:
    (one,) = shipping_methods_from_json(methods({"code": "a", "name": "Post", "fee": 1}), "USD")
    assert one.name("en") == one.name("zh") == "Post"
    (en_only,) = shipping_methods_from_json(
        methods({"code": "a", "name": {"en": "Post"}, "fee": 1}), "USD"
    )
    assert en_only.name("zh") == "Post"


def test_no_setting_means_the_implicit_flat_fee() -> None:
    assert shipping_methods_from_json("", "USD") == ()
    shop = ShippingMethods((), usd(500))
    assert shop.implicit
    (only,) = shop.delivering_to("anywhere at all", usd(100_000))
    assert only.fee == usd(500)  # the flat fee has no threshold
    assert shop.pickups(usd(0)) == []
    assert shop.snapshot(only.method) is None  # orders stay as before


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[", "must be a JSON list of methods"),
        ("{}", "must be a non-empty JSON list"),
        ("[]", "must be a non-empty JSON list"),
        (methods(*[{**STANDARD, "code": "m" + c} for c in "abcdefghijk"]), "at most 10 methods"),
        ('["std"]', "method 1 must be an object"),
        (methods({**STANDARD, "price": 1}), "unknown field(s) ['price']"),
        (methods({**STANDARD, "code": "Std!"}), "code must be 1-8 lower-case letters"),
        (methods(STANDARD, STANDARD), "code 'std' is used twice"),
        (methods({**STANDARD, "kind": "drone"}), "kind must be delivery or pickup"),
        (methods({**STANDARD, "name": ""}), "name must be 1-32 characters"),
        (methods({**STANDARD, "name": {"fr": "Normal"}}), "unknown language(s) ['fr']"),
        (methods({**STANDARD, "name": 5}), "name must be text or"),
        (methods({k: v for k, v in STANDARD.items() if k != "fee"}), "fee is required"),
        (methods({**STANDARD, "fee": "-1"}), "fee must not be negative"),
        (methods({**STANDARD, "fee": "five"}), "fee must be an amount"),
        (methods({**STANDARD, "fee": "5.001"}), "has more than 2 decimal places"),
        (methods({**STANDARD, "free_from": True}), "free_from must be an amount"),
        (methods({**EXPRESS, "postcodes": "100"}), "postcodes must be a list"),
        (methods({**EXPRESS, "postcodes": ["1 00"]}), "postcodes must be prefixes"),
        (methods({**EXPRESS, "regions": [""]}), "regions must be a list of non-empty"),
        (methods(STANDARD, {**PICKUP, "place": ""}), "place (the pickup address) is required"),
        (methods(STANDARD, {**PICKUP, "regions": ["x"]}), "a pickup method has no postcodes"),
        (methods({**STANDARD, "place": "here"}), "only a pickup method has a place"),
        (methods(PICKUP), "needs at least one delivery method"),
    ],
)
def test_a_wrong_setting_says_what_is_wrong(value: str, message: str) -> None:
    with pytest.raises(ShippingConfigError) as caught:
        shipping_methods_from_json(value, "USD")
    assert message in str(caught.value)


def test_fees_follow_the_currency_minor_unit() -> None:
    with pytest.raises(ShippingConfigError, match="decimal"):
        shipping_methods_from_json(methods({**STANDARD, "fee": "5.5"}), "JPY")
    (yen,) = shipping_methods_from_json(
        methods({"code": "a", "name": "Post", "fee": "500", "free_from": "5000"}), "JPY"
    )
    assert yen.fee == Money(500, "JPY")


# -- which addresses a method serves ------------------------------------------------------------


@pytest.fixture
def express() -> Any:
    return shipping_methods_from_json(methods(STANDARD, EXPRESS), "USD")[1]


@pytest.mark.parametrize(
    ("address", "served"),
    [
        (BEIJING, True),  # region 北京 anywhere in the text, and postcode 100022
        ("朝阳区建国路 88 号 100022", True),  # the postcode alone
        ("Chaoyang, 100-022 X", True),  # a hyphen between digits is ignored: 100022
        ("Room 1001, Jianguo Rd, BEIJING", True),  # region as a whole word, any case
        ("5 Beijingstrasse, 20095 Hamburg", False),  # not the whole word; postcode 200...
        (SHANGHAI, False),
        (LONDON, False),
        ("Room 100, Jianguo Rd", False),  # 100 is no postcode (fewer than 4 characters)
    ],
)
def test_a_method_serves_addresses_by_postcode_prefix_or_region(
    express: Any, address: str, served: bool
) -> None:
    assert express.serves(address) is served


def test_a_method_without_areas_serves_everywhere_and_pickup_serves_anyone() -> None:
    std, pickup = shipping_methods_from_json(methods(STANDARD, PICKUP), "USD")
    assert std.serves(LONDON) and std.serves(BEIJING) and std.serves("")
    assert pickup.serves("")


def test_only_the_methods_serving_the_address_are_offered_in_order() -> None:
    shop = ShippingMethods(
        shipping_methods_from_json(methods(STANDARD, EXPRESS, PICKUP), "USD"), usd(0)
    )
    assert [o.method.code for o in shop.delivering_to(BEIJING, usd(100))] == ["std", "express"]
    assert [o.method.code for o in shop.delivering_to(LONDON, usd(100))] == ["std"]
    assert [o.method.code for o in shop.pickups(usd(100))] == ["pickup"]


@pytest.mark.parametrize(("subtotal", "fee"), [(0, 500), (4999, 500), (5000, 0), (12_000, 0)])
def test_shipping_is_free_at_or_above_the_threshold(subtotal: int, fee: int) -> None:
    (std,) = shipping_methods_from_json(methods(STANDARD), "USD")
    assert std.fee_for(usd(subtotal)) == usd(fee)


def test_the_snapshot_keeps_code_kind_names_and_place() -> None:
    _, pickup = shipping_methods_from_json(methods(STANDARD, PICKUP), "USD")
    snap = pickup.snapshot()
    assert snap == ShippingChoice("pickup", "pickup", PICKUP["name"], PICKUP["place"])
    assert ShippingChoice.from_dict(snap.to_dict()) == snap
    assert ShippingChoice.from_dict(None) is None
    assert snap.pickup and snap.name("zh") == "到店自取"


# -- checkout ------------------------------------------------------------------------------------


@pytest.fixture
def store(uow: FakeUnitOfWorkFactory) -> FakeStore:
    store = uow.store
    store.customers[ADA] = Customer(ADA, "Ada", "ada")
    return store


@pytest.fixture
def uow() -> FakeUnitOfWorkFactory:
    return FakeUnitOfWorkFactory()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def tea(store: FakeStore) -> Product:
    return store.add_product("Green tea", usd(1250), stock=20, sku="TEA-1")


def shop_with(uow: FakeUnitOfWorkFactory, clock: FixedClock, *items: dict[str, Any]) -> Shop:
    return make_shop(
        uow, clock, shipping_methods=shipping_methods_from_json(methods(*items), "USD")
    )


async def to_address(shop: Shop, address: str) -> Any:
    view = await shop.start_checkout(ADA)
    token = view.checkout.token
    if view.checkout.step == S.CHOOSE_ADDRESS:
        view = await shop.new_address(ADA, token)
    await shop.give_recipient(ADA, "Ada Lovelace")
    await shop.give_phone(ADA, "+1 202 555 0143", from_contact=False)
    return await shop.give_address(ADA, address)


async def test_the_customer_picks_express_and_the_order_keeps_it(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore, tea: Product
) -> None:
    shop = shop_with(uow, clock, STANDARD, EXPRESS)
    await shop.add_to_cart(ADA, tea.id, 2)  # 25.00: standard not free yet
    view = await to_address(shop, BEIJING)
    assert view.checkout.step == S.CHOOSE_SHIPPING
    assert [(o.method.code, o.fee) for o in view.shipping_options] == [
        ("std", usd(500)),
        ("express", usd(1500)),
    ]
    token = view.checkout.token
    view = await shop.choose_shipping(ADA, token, "express")
    assert view.checkout.step == S.CHOOSE_PAYMENT and view.total == usd(4000)
    view = await shop.choose_payment(ADA, token, "cod")
    assert view.shipping == usd(1500) and view.shipping_method is not None
    order = (await shop.place_order(ADA, token)).order
    assert order.shipping == usd(1500) and order.total == usd(4000)
    assert order.shipping_method == ShippingChoice("express", "delivery", EXPRESS["name"])
    assert store.orders[order.id].shipping_method == order.shipping_method  # type: ignore[index]


async def test_one_method_serving_the_address_is_taken_without_a_question(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, tea: Product
) -> None:
    shop = shop_with(uow, clock, STANDARD, EXPRESS)
    await shop.add_to_cart(ADA, tea.id, 4)  # 50.00: standard ships free
    view = await to_address(shop, LONDON)
    assert view.checkout.step == S.CHOOSE_PAYMENT
    assert view.shipping_method is not None and view.shipping_method.code == "std"
    assert view.shipping == usd(0) and view.total == usd(5000)
    # Back skips the question that was not asked
    view = await shop.checkout_back(ADA, view.checkout.token)
    assert view.checkout.step == S.ENTER_ADDRESS


async def test_no_method_serving_the_address_is_refused_and_asks_again(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, tea: Product
) -> None:
    shop = shop_with(uow, clock, EXPRESS, {**STANDARD, "regions": ["London"]})
    await shop.add_to_cart(ADA, tea.id, 1)
    with pytest.raises(NoShippingMethodError):
        await to_address(shop, SHANGHAI)
    assert (await shop.checkout_in_progress(ADA)).step == S.ENTER_ADDRESS  # type: ignore[union-attr]
    view = await shop.give_address(ADA, LONDON)
    assert view.checkout.step == S.CHOOSE_PAYMENT


async def test_a_saved_address_no_method_serves_stays_on_the_addresses(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore, tea: Product
) -> None:
    shop = shop_with(uow, clock, EXPRESS, {**STANDARD, "regions": ["London"]})
    await shop.add_to_cart(ADA, tea.id, 1)
    view = await to_address(shop, LONDON)
    token = view.checkout.token
    await shop.choose_payment(ADA, token, "cod")
    await shop.place_order(ADA, token)
    store.addresses[next(iter(store.addresses))].text = SHANGHAI  # type: ignore[attr-defined]
    await shop.add_to_cart(ADA, tea.id, 1)
    view = await shop.start_checkout(ADA)
    assert view.checkout.step == S.CHOOSE_ADDRESS
    with pytest.raises(NoShippingMethodError):
        await shop.use_saved_address(ADA, view.checkout.token, view.addresses[0].id)
    assert (await shop.checkout_in_progress(ADA)).step == S.CHOOSE_ADDRESS  # type: ignore[union-attr]


async def test_pickup_asks_a_name_and_phone_but_no_address(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore, tea: Product
) -> None:
    shop = shop_with(uow, clock, STANDARD, EXPRESS, PICKUP)
    await shop.add_to_cart(ADA, tea.id, 1)
    view = await shop.start_checkout(ADA)
    # pickup is offered before any address, so checkout starts with the choice
    assert view.checkout.step == S.CHOOSE_ADDRESS
    assert [o.method.code for o in view.pickups] == ["pickup"]
    token = view.checkout.token
    view = await shop.pick_up(ADA, token, "pickup")
    assert view.checkout.step == S.ENTER_RECIPIENT
    await shop.give_recipient(ADA, "Ada Lovelace")
    view = await shop.give_phone(ADA, "+1 202 555 0143", from_contact=False)
    assert view.checkout.step == S.CHOOSE_PAYMENT and view.shipping == usd(0)
    await shop.choose_payment(ADA, token, "cod")
    order = (await shop.place_order(ADA, token)).order
    assert order.shipping_method is not None and order.shipping_method.pickup
    assert order.shipping_method.place == PICKUP["place"]
    assert (order.address_text, order.recipient) == ("", "Ada Lovelace")
    assert order.total == usd(1250)
    assert store.addresses == {}  # nothing to remember as a delivery address


async def test_back_works_at_every_step_of_pickup_and_delivery(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, tea: Product
) -> None:
    shop = shop_with(uow, clock, STANDARD, EXPRESS, PICKUP)
    await shop.add_to_cart(ADA, tea.id, 1)
    view = await shop.start_checkout(ADA)
    token = view.checkout.token
    await shop.pick_up(ADA, token, "pickup")
    await shop.give_recipient(ADA, "Ada Lovelace")
    await shop.give_phone(ADA, "+1 202 555 0143", from_contact=False)
    await shop.choose_payment(ADA, token, "bank")
    steps = []
    for _ in range(4):
        steps.append((await shop.checkout_back(ADA, token)).checkout.step)
    assert steps == [S.CHOOSE_PAYMENT, S.ENTER_PHONE, S.ENTER_RECIPIENT, S.CHOOSE_ADDRESS]
    # then a delivery with a choice: back returns to the choice, then the address
    await shop.new_address(ADA, token)
    await shop.give_recipient(ADA, "Ada Lovelace")
    await shop.give_phone(ADA, "+1 202 555 0143", from_contact=False)
    view = await shop.give_address(ADA, BEIJING)
    assert view.checkout.step == S.CHOOSE_SHIPPING and not view.checkout.draft.pickup
    await shop.choose_shipping(ADA, token, "express")
    await shop.choose_payment(ADA, token, "cod")
    steps = []
    for _ in range(7):
        steps.append((await shop.checkout_back(ADA, token)).checkout.step)
    assert steps == [
        S.CHOOSE_PAYMENT,
        S.CHOOSE_SHIPPING,
        S.ENTER_ADDRESS,
        S.ENTER_PHONE,
        S.ENTER_RECIPIENT,
        S.CHOOSE_ADDRESS,
        S.ABANDONED,
    ]


@pytest.mark.parametrize("code", ["express", "pickup", "nope", ""])
async def test_a_method_not_on_offer_is_stale_and_changes_nothing(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, tea: Product, code: str
) -> None:
    slow = {**STANDARD, "code": "slow"}
    shop = shop_with(uow, clock, STANDARD, EXPRESS, slow, PICKUP)
    await shop.add_to_cart(ADA, tea.id, 1)
    view = await to_address(shop, LONDON)  # std and slow serve London, express does not
    assert view.checkout.step == S.CHOOSE_SHIPPING
    with pytest.raises(StaleCheckoutError):
        await shop.choose_shipping(ADA, view.checkout.token, code)
    after = await shop.current_checkout(ADA)
    assert after is not None and after.checkout.step == S.CHOOSE_SHIPPING
    assert after.checkout.draft.shipping_method is None


async def test_a_replayed_choice_changes_nothing(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, tea: Product
) -> None:
    shop = shop_with(uow, clock, STANDARD, EXPRESS)
    await shop.add_to_cart(ADA, tea.id, 1)
    token = (await to_address(shop, BEIJING)).checkout.token
    await shop.choose_shipping(ADA, token, "std")
    with pytest.raises(StaleCheckoutError):  # the step is past: a second tap of either button
        await shop.choose_shipping(ADA, token, "express")
    view = await shop.current_checkout(ADA)
    assert view is not None and view.checkout.draft.shipping_method == "std"
    assert view.checkout.step == S.CHOOSE_PAYMENT


async def test_a_fee_changed_before_confirm_is_requoted_not_charged(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, tea: Product
) -> None:
    shop = shop_with(uow, clock, STANDARD, EXPRESS)
    await shop.add_to_cart(ADA, tea.id, 1)
    token = (await to_address(shop, BEIJING)).checkout.token
    await shop.choose_shipping(ADA, token, "express")
    await shop.choose_payment(ADA, token, "cod")
    # the merchant raised express to 20.00 and restarted the bot
    shop = shop_with(uow, clock, STANDARD, {**EXPRESS, "fee": "20.00"})
    with pytest.raises(PriceChangedError) as caught:
        await shop.place_order(ADA, token)
    assert caught.value.params["total"] == {"$money": [3250, "USD"]}
    view = await shop.current_checkout(ADA)
    assert view is not None and view.checkout.step == S.REVIEW and view.total == usd(3250)
    order = (await shop.place_order(ADA, token)).order  # confirmed again, at the fee shown
    assert order.shipping == usd(2000)


async def test_crossing_the_threshold_before_confirm_requotes_the_fee(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore, tea: Product
) -> None:
    shop = shop_with(uow, clock, STANDARD)
    await shop.add_to_cart(ADA, tea.id, 4)  # 50.00: free
    token = (await to_address(shop, LONDON)).checkout.token
    view = await shop.choose_payment(ADA, token, "cod")
    assert view.shipping == usd(0)
    await shop.remove_from_cart(ADA, tea.id)
    await shop.add_to_cart(ADA, tea.id, 3)  # 37.50 now (from /cart): standard costs 5.00 again
    with pytest.raises(PriceChangedError) as caught:
        await shop.place_order(ADA, token)
    assert caught.value.params["total"] == {"$money": [4250, "USD"]}


async def test_a_method_gone_before_confirm_sends_the_customer_back_to_choose(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, tea: Product
) -> None:
    shop = shop_with(uow, clock, STANDARD, EXPRESS, {**STANDARD, "code": "eco"})
    await shop.add_to_cart(ADA, tea.id, 1)
    token = (await to_address(shop, BEIJING)).checkout.token
    await shop.choose_shipping(ADA, token, "express")
    await shop.choose_payment(ADA, token, "cod")
    shop = shop_with(uow, clock, STANDARD, {**STANDARD, "code": "eco"})  # express removed
    with pytest.raises(ShippingChangedError):
        await shop.place_order(ADA, token)
    view = await shop.current_checkout(ADA)
    assert view is not None and view.checkout.step == S.CHOOSE_SHIPPING
    assert [o.method.code for o in view.shipping_options] == ["std", "eco"]
    # with one method left it still asks (the customer must see what changed)
    shop = shop_with(uow, clock, STANDARD)
    await shop.choose_shipping(ADA, token, "std")
    await shop.choose_payment(ADA, token, "cod")
    assert (await shop.place_order(ADA, token)).order.shipping == usd(500)


async def test_without_shipping_methods_checkout_is_as_before(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, tea: Product
) -> None:
    shop = make_shop(uow, clock)
    await shop.add_to_cart(ADA, tea.id, 8)  # 100.00: the flat fee has no threshold
    view = await to_address(shop, SHANGHAI)
    assert view.checkout.step == S.CHOOSE_PAYMENT and view.shipping == usd(500)
    token = view.checkout.token
    await shop.choose_payment(ADA, token, "cod")
    order = (await shop.place_order(ADA, token)).order
    assert order.shipping == usd(500) and order.shipping_method is None


async def test_a_refused_address_points_to_pickup_when_the_shop_offers_it(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, tea: Product
) -> None:
    shop = shop_with(uow, clock, EXPRESS, PICKUP)
    await shop.add_to_cart(ADA, tea.id, 1)
    with pytest.raises(NoShippingMethodError) as caught:
        await to_address(shop, LONDON)
    assert caught.value.key == "checkout.shipping.no_method_pickup"
    shop = shop_with(uow, clock, EXPRESS)
    with pytest.raises(NoShippingMethodError) as caught:
        await to_address(shop, LONDON)
    assert caught.value.key == "checkout.shipping.no_method"


async def test_pickup_gone_before_confirm_asks_for_a_delivery_address(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore, tea: Product
) -> None:
    shop = shop_with(uow, clock, STANDARD, PICKUP)
    await shop.add_to_cart(ADA, tea.id, 1)
    token = (await shop.start_checkout(ADA)).checkout.token
    await shop.pick_up(ADA, token, "pickup")
    await shop.give_recipient(ADA, "Ada Lovelace")
    await shop.give_phone(ADA, "+1 202 555 0143", from_contact=False)
    await shop.choose_payment(ADA, token, "cod")
    shop = shop_with(uow, clock, STANDARD)  # the shop stopped offering pickup
    with pytest.raises(ShippingChangedError):
        await shop.place_order(ADA, token)
    view = await shop.current_checkout(ADA)
    assert view is not None and view.checkout.step == S.ENTER_RECIPIENT
    await shop.give_recipient(ADA, "Ada Lovelace")
    await shop.give_phone(ADA, "+1 202 555 0143", from_contact=False)
    view = await shop.give_address(ADA, LONDON)
    assert view.checkout.step == S.CHOOSE_PAYMENT
    await shop.choose_payment(ADA, token, "cod")
    order = (await shop.place_order(ADA, token)).order
    assert (order.address_text, order.shipping) == (LONDON, usd(500))
    assert [a.text for a in store.addresses.values()] == [LONDON]


async def test_a_free_shipping_code_shows_every_method_free_when_the_customer_goes_back(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore, tea: Product
) -> None:
    shop = shop_with(uow, clock, STANDARD, EXPRESS)
    promo = PromoCode(code="FREESHIP", kind=PromoKind.FIXED, value=0, currency="USD")
    promo.free_shipping = True
    promo.id = store.new_id()
    store.promos[promo.id] = promo
    await shop.add_to_cart(ADA, tea.id, 2)
    token = (await to_address(shop, BEIJING)).checkout.token
    await shop.choose_shipping(ADA, token, "express")
    await shop.choose_payment(ADA, token, "cod")
    await shop.have_code(ADA, token)
    view = await shop.give_code(ADA, "freeship")
    assert (view.shipping, view.total) == (usd(0), usd(2500))
    await shop.checkout_back(ADA, token)  # to the payment
    view = await shop.checkout_back(ADA, token)  # to the methods: free, as the review said
    assert view.checkout.step == S.CHOOSE_SHIPPING
    assert [(o.method.code, o.fee) for o in view.shipping_options] == [
        ("std", usd(0)),
        ("express", usd(0)),
    ]
    await shop.choose_shipping(ADA, token, "express")
    view = await shop.choose_payment(ADA, token, "cod")
    order = (await shop.place_order(ADA, token)).order
    assert (order.shipping, order.discount_minor, order.total) == (usd(0), 0, usd(2500))
