"""Customers, their carts, saved addresses and checkouts in progress."""

from __future__ import annotations

from domain.checkout.flow import Checkout, CheckoutDraft, CheckoutStep
from domain.checkout.model import Address
from domain.orders.model import PaymentMethod
from domain.shared.customers import Customer, Language
from tests.contract import seed
from tests.contract.seed import Factory, at


async def test_upsert_adds_a_customer_and_get_returns_it(uow_factory: Factory) -> None:
    async with uow_factory() as uow:
        await uow.customers.upsert(Customer(7, "Ann", "ann", "de", Language.ZH, reachable=False))
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        found = await uow.customers.get(7)
        missing = await uow.customers.get(8)
    assert found == Customer(7, "Ann", "ann", "de", Language.ZH, reachable=False)
    assert missing is None


async def test_upsert_replaces_what_telegram_says_but_keeps_the_chosen_language(
    uow_factory: Factory,
) -> None:
    await seed.customer(uow_factory, 7)
    async with uow_factory() as uow:
        await uow.customers.set_language(7, "zh")
        await uow.customers.upsert(Customer(7, "Bea", "bea", "en", None, reachable=False))
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        found = await uow.customers.get(7)
    assert found == Customer(7, "Bea", "bea", "en", Language.ZH, reachable=False)


async def test_upsert_cuts_a_long_first_name_to_128_characters(uow_factory: Factory) -> None:
    async with uow_factory() as uow:
        await uow.customers.upsert(Customer(7, "A" * 200))
        await uow.customers.upsert(Customer(8, "B" * 10))
        await uow.customers.upsert(Customer(8, "B" * 300))
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        first = await uow.customers.get(7)
        second = await uow.customers.get(8)
    assert first is not None and first.first_name == "A" * 128
    assert second is not None and second.first_name == "B" * 128


async def test_optional_messages_are_on_until_turned_off_and_upsert_keeps_the_choice(
    uow_factory: Factory,
) -> None:
    await seed.customer(uow_factory, 7)
    async with uow_factory(readonly=True) as uow:
        found = await uow.customers.get(7)
    assert found is not None and found.optional_messages is True
    async with uow_factory() as uow:
        await uow.customers.set_optional_messages(7, False)
        await uow.customers.set_optional_messages(8, False)  # unknown: nothing happens
        await uow.customers.upsert(Customer(7, "Bea", "bea", "en"))  # Telegram's view again
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        found = await uow.customers.get(7)
        assert await uow.customers.get(8) is None
    assert found is not None and found.optional_messages is False


async def test_set_language_and_set_reachable_change_only_a_known_customer(
    uow_factory: Factory,
) -> None:
    await seed.customer(uow_factory, 7)
    async with uow_factory() as uow:
        await uow.customers.set_language(7, "zh")
        await uow.customers.set_reachable(7, False)
        await uow.customers.set_language(8, "zh")
        await uow.customers.set_reachable(8, False)
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        found = await uow.customers.get(7)
        assert await uow.customers.get(8) is None
    assert found is not None and (found.language, found.reachable) == (Language.ZH, False)
    async with uow_factory() as uow:
        await uow.customers.set_language(7, None)
        await uow.customers.set_reachable(7, True)
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        found = await uow.customers.get(7)
    assert found is not None and (found.language, found.reachable) == (None, True)


async def test_a_cart_keeps_its_lines_in_the_order_they_were_added(uow_factory: Factory) -> None:
    await seed.customer(uow_factory, 7)
    ids = await seed.products(uow_factory, seed.draft("B", stock=3), seed.draft("A"))
    async with uow_factory() as uow:
        await uow.carts.set_quantity(7, ids["B"], 2)
        await uow.carts.set_quantity(7, ids["A"], 1)
        await uow.carts.set_quantity(7, ids["B"], 5)  # a change keeps the line's place
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        cart = await uow.carts.get(7)
        empty = await uow.carts.get(8)
    assert cart.customer_id == 7
    assert [(line.product.sku, line.quantity) for line in cart.lines] == [("B", 5), ("A", 1)]
    assert cart.lines[0].product.category_name == "Tea"
    assert cart.lines[0].product.stock == 3
    assert empty.lines == []


async def test_carts_of_different_customers_are_separate(uow_factory: Factory) -> None:
    await seed.customer(uow_factory, 7)
    await seed.customer(uow_factory, 8)
    tea = await seed.product(uow_factory)
    async with uow_factory() as uow:
        await uow.carts.set_quantity(7, tea, 2)
        await uow.carts.set_quantity(8, tea, 3)
        await uow.carts.clear(8)
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert [line.quantity for line in (await uow.carts.get(7)).lines] == [2]
        assert (await uow.carts.get(8)).lines == []


async def test_remove_drops_one_line_and_says_whether_it_was_there(uow_factory: Factory) -> None:
    await seed.customer(uow_factory, 7)
    ids = await seed.products(uow_factory, seed.draft("A"), seed.draft("B"))
    async with uow_factory() as uow:
        await uow.carts.set_quantity(7, ids["A"], 1)
        await uow.carts.set_quantity(7, ids["B"], 1)
        assert await uow.carts.remove(7, ids["A"])
        assert not await uow.carts.remove(7, ids["A"])
        assert not await uow.carts.remove(8, ids["B"])
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert [line.product.sku for line in (await uow.carts.get(7)).lines] == ["B"]


def _address(customer_id: int, text: str, recipient: str = "Ann") -> Address:
    return Address(0, customer_id, recipient, "+14155552671", text)


async def test_adding_the_same_address_twice_keeps_one(uow_factory: Factory) -> None:
    await seed.customer(uow_factory, 7)
    await seed.customer(uow_factory, 8)
    async with uow_factory() as uow:
        first = await uow.addresses.add(_address(7, "1 Main St"))
        again = await uow.addresses.add(_address(7, "1 Main St"))
        other_recipient = await uow.addresses.add(_address(7, "1 Main St", "Bob"))
        other_customer = await uow.addresses.add(_address(8, "1 Main St"))
        await uow.commit()
    assert first == again
    assert len({first, other_recipient, other_customer}) == 3
    async with uow_factory(readonly=True) as uow:
        assert await uow.addresses.count(7) == 2
        assert await uow.addresses.count(9) == 0
        assert await uow.addresses.get(first) == Address(
            first, 7, "Ann", "+14155552671", "1 Main St"
        )
        assert await uow.addresses.get(other_customer + 1000) is None


async def test_list_offers_the_five_newest_addresses_newest_first(uow_factory: Factory) -> None:
    await seed.customer(uow_factory, 7)
    async with uow_factory() as uow:
        ids = [await uow.addresses.add(_address(7, f"{n} Main St")) for n in range(7)]
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        listed = await uow.addresses.list(7)
        assert await uow.addresses.count(7) == 7
        assert await uow.addresses.list(8) == []
    assert [a.id for a in listed] == ids[::-1][:5]
    assert listed[0].text == "6 Main St"


def _checkout(customer_id: int, **fields: object) -> Checkout:
    return Checkout(customer_id, "tok1", CheckoutStep.CHOOSE_ADDRESS, **fields)  # type: ignore[arg-type]


async def test_a_saved_checkout_comes_back_with_its_draft_and_the_saved_address_count(
    uow_factory: Factory,
) -> None:
    await seed.customer(uow_factory, 7)
    draft = CheckoutDraft(
        recipient="Ann",
        phone="+1",
        address_text="1 Main St",
        payment_method=PaymentMethod.CARD,
        new_address=True,
        quoted_subtotal=2500,
    )
    async with uow_factory() as uow:
        await uow.addresses.add(_address(7, "1 Main St"))
        await uow.checkouts.save(
            Checkout(7, "tok1", CheckoutStep.REVIEW, draft, saved_address_count=9, updated_at=at(1))
        )
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        found = await uow.checkouts.get(7)
        assert await uow.checkouts.get(8) is None
    assert found == Checkout(7, "tok1", CheckoutStep.REVIEW, draft, 1, None, at(1))


async def test_saving_a_checkout_again_replaces_it(uow_factory: Factory) -> None:
    await seed.customer(uow_factory, 7)
    order_id = await seed.order(uow_factory, customer_id=7)
    async with uow_factory() as uow:
        await uow.checkouts.save(_checkout(7, updated_at=at(1)))
        await uow.checkouts.save(
            Checkout(7, "tok2", CheckoutStep.PLACED, order_id=order_id, updated_at=at(2))
        )
        await uow.commit()
    async with uow_factory() as uow:
        found = await uow.checkouts.get(7, for_update=True)
    assert found == Checkout(7, "tok2", CheckoutStep.PLACED, order_id=order_id, updated_at=at(2))


async def test_a_checkout_saved_without_a_time_is_stamped(uow_factory: Factory) -> None:
    await seed.customer(uow_factory, 7)
    async with uow_factory() as uow:
        await uow.checkouts.save(_checkout(7))
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        found = await uow.checkouts.get(7)
    assert found is not None and found.updated_at is not None


async def test_a_checkout_is_saved_over_only_while_it_is_as_it_was_read(
    uow_factory: Factory,
) -> None:
    await seed.customer(uow_factory, 7)
    draft = CheckoutDraft(recipient="Ann")
    async with uow_factory() as uow:
        await uow.checkouts.save(Checkout(7, "tok1", CheckoutStep.ENTER_PHONE, updated_at=at(1)))
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        read = await uow.checkouts.get(7)
    assert read is not None
    moved = Checkout(7, "tok1", CheckoutStep.ENTER_ADDRESS, draft, updated_at=at(2))
    async with uow_factory() as uow:
        assert await uow.checkouts.save_if_unchanged(moved, read)
        await uow.commit()
    again = Checkout(7, "tok1", CheckoutStep.ENTER_ADDRESS, CheckoutDraft(), updated_at=at(3))
    async with uow_factory() as uow:  # the same read again: the stored one has moved on
        assert not await uow.checkouts.save_if_unchanged(again, read)
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        found = await uow.checkouts.get(7)
    assert found == Checkout(7, "tok1", CheckoutStep.ENTER_ADDRESS, draft, 0, None, at(2))
