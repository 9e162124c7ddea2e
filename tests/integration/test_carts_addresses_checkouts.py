"""Round trips through the cart, address and checkout repositories."""

from __future__ import annotations

from datetime import timedelta

from domain.checkout.flow import Checkout, CheckoutDraft, CheckoutStep
from domain.checkout.model import Address
from domain.orders.model import PaymentMethod
from storage.db import Database
from tests.integration.helpers import PHONE, T0, add_customer, draft, make_order

# -- carts -------------------------------------------------------------------------------


async def test_an_unknown_customers_cart_is_empty(db: Database) -> None:
    async with db.uow(readonly=True) as uow:
        cart = await uow.carts.get(404)
    assert cart.customer_id == 404 and cart.empty


async def test_cart_lines_keep_the_order_they_were_added_in(db: Database, seed) -> None:
    ids = await seed(draft("A", price=100), draft("B", price=250), draft("C", price=1000))
    await add_customer(db, 1)
    for sku in ("C", "A", "B"):
        async with db.uow() as uow:
            await uow.carts.set_quantity(1, ids[sku], 1)
            await uow.commit()

    async with db.uow() as uow:
        await uow.carts.set_quantity(1, ids["C"], 4)  # changing a quantity keeps the place
        await uow.commit()

    async with db.uow(readonly=True) as uow:
        cart = await uow.carts.get(1)
    assert [(line.product.sku, line.quantity) for line in cart.lines] == [
        ("C", 4),
        ("A", 1),
        ("B", 1),
    ]
    assert cart.item_count == 6
    assert cart.subtotal("USD").amount == 4 * 1000 + 100 + 250
    assert cart.lines[0].product.category_name == "Tea"


async def test_remove_and_clear_empty_the_cart(db: Database, seed) -> None:
    ids = await seed(draft("A"), draft("B"), draft("C"))
    await add_customer(db, 1)
    await add_customer(db, 2)
    async with db.uow() as uow:
        for sku in ("A", "B", "C"):
            await uow.carts.set_quantity(1, ids[sku], 2)
        await uow.carts.set_quantity(2, ids["A"], 1)
        await uow.commit()

    async with db.uow() as uow:
        assert await uow.carts.remove(1, ids["B"]) is True
        assert await uow.carts.remove(1, ids["B"]) is False
        await uow.commit()
    async with db.uow(readonly=True) as uow:
        assert [line.product.sku for line in (await uow.carts.get(1)).lines] == ["A", "C"]

    async with db.uow() as uow:
        await uow.carts.clear(1)
        await uow.commit()
    async with db.uow(readonly=True) as uow:
        assert (await uow.carts.get(1)).empty
        assert (await uow.carts.get(2)).item_count == 1  # someone else's cart is untouched


# -- addresses ---------------------------------------------------------------------------


async def test_adding_an_identical_address_again_returns_the_same_row(db: Database) -> None:
    await add_customer(db, 1)
    await add_customer(db, 2)
    home = Address(0, 1, "Ann Lee", PHONE, "1 Main Street")
    async with db.uow() as uow:
        first = await uow.addresses.add(home)
        again = await uow.addresses.add(home)
        other_text = await uow.addresses.add(Address(0, 1, "Ann Lee", PHONE, "2 Main Street"))
        other_customer = await uow.addresses.add(Address(0, 2, "Ann Lee", PHONE, "1 Main Street"))
        await uow.commit()
    async with db.uow() as uow:
        later = await uow.addresses.add(home)

    assert first == again == later
    assert len({first, other_text, other_customer}) == 3
    async with db.uow(readonly=True) as uow:
        assert await uow.addresses.count(1) == 2
        assert await uow.addresses.get(first) == Address(
            first, 1, "Ann Lee", PHONE, "1 Main Street"
        )
        assert await uow.addresses.get(first + 100) is None


async def test_addresses_list_the_five_newest_first(db: Database) -> None:
    await add_customer(db, 1)
    async with db.uow() as uow:
        ids = [
            await uow.addresses.add(Address(0, 1, "Ann Lee", PHONE, f"{n} Main Street"))
            for n in range(7)
        ]
        await uow.commit()
    async with db.uow(readonly=True) as uow:
        listed = await uow.addresses.list(1)
        assert await uow.addresses.count(1) == 7
    assert [a.id for a in listed] == ids[::-1][:5]


# -- checkouts ---------------------------------------------------------------------------


async def test_a_checkout_round_trips_with_its_draft(db: Database, seed) -> None:
    await add_customer(db, 1)
    async with db.uow() as uow:
        address_id = await uow.addresses.add(Address(0, 1, "Ann Lee", PHONE, "1 Main Street"))
        await uow.commit()
    saved = Checkout(
        customer_id=1,
        token="tok-1",
        step=CheckoutStep.REVIEW,
        draft=CheckoutDraft(
            address_id=address_id,
            recipient="Ann Lee — 李",
            phone=PHONE,
            address_text="1 Main Street\nFlat 2",
            payment_method=PaymentMethod.BANK_TRANSFER,
            new_address=False,
        ),
        updated_at=T0,
    )
    async with db.uow() as uow:
        assert await uow.checkouts.get(1) is None
        await uow.checkouts.save(saved)
        await uow.commit()

    async with db.uow(readonly=True) as uow:
        loaded = await uow.checkouts.get(1)
    assert loaded == Checkout(
        customer_id=1,
        token="tok-1",
        step=CheckoutStep.REVIEW,
        draft=saved.draft,
        saved_address_count=1,
        order_id=None,
        updated_at=T0,
    )


async def test_saving_a_checkout_again_replaces_token_step_draft_and_order(
    db: Database, seed
) -> None:
    ids = await seed(draft("A"))
    await add_customer(db, 1)
    async with db.uow() as uow:
        await uow.checkouts.save(
            Checkout(
                1, "old", CheckoutStep.ENTER_PHONE, CheckoutDraft(recipient="Ann"), updated_at=T0
            )
        )
        order_id = await uow.orders.add(make_order(1, "AAAA-0001", product_id=ids["A"]))
        await uow.commit()

    later = T0 + timedelta(minutes=5)
    async with db.uow() as uow:
        await uow.checkouts.save(
            Checkout(
                1,
                "new",
                CheckoutStep.PLACED,
                CheckoutDraft(new_address=True),
                order_id=order_id,
                updated_at=later,
            )
        )
        await uow.commit()

    async with db.uow(readonly=True) as uow:
        loaded = await uow.checkouts.get(1)
    assert loaded is not None
    assert (loaded.token, loaded.step, loaded.order_id, loaded.updated_at) == (
        "new",
        CheckoutStep.PLACED,
        order_id,
        later,
    )
    assert loaded.draft == CheckoutDraft(new_address=True)
    assert not loaded.active
