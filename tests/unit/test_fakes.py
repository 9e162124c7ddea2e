"""The fakes keep the promises of the ports they stand in for; otherwise service tests prove
nothing."""

from __future__ import annotations

import inspect

import pytest

from domain.cart.model import CartRepository
from domain.catalog.model import ProductRepository
from domain.checkout.model import AddressRepository, CheckoutRepository
from domain.orders.model import OrderRepository
from domain.ports import UnitOfWork
from domain.shared.customers import CustomerRepository
from domain.shared.money import Money
from domain.shared.notifications import OutboxRepository
from tests.unit import fakes

PAIRS = [
    (CustomerRepository, fakes.FakeCustomerRepository),
    (ProductRepository, fakes.FakeProductRepository),
    (CartRepository, fakes.FakeCartRepository),
    (AddressRepository, fakes.FakeAddressRepository),
    (CheckoutRepository, fakes.FakeCheckoutRepository),
    (OrderRepository, fakes.FakeOrderRepository),
    (OutboxRepository, fakes.FakeOutboxRepository),
    (UnitOfWork, fakes.FakeUnitOfWork),
]


def _protocol_methods(protocol: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(protocol).items()
        if inspect.isfunction(member)
        and (not name.startswith("_") or name in ("__aenter__", "__aexit__"))
    }


@pytest.mark.parametrize(("protocol", "fake"), PAIRS, ids=lambda x: x.__name__)
def test_each_fake_has_every_method_of_its_port_with_the_same_parameters(
    protocol: type, fake: type
) -> None:
    methods = _protocol_methods(protocol)
    assert methods, f"{protocol.__name__} declares no methods?"
    for name, signature in methods.items():
        implementation = getattr(fake, name, None)
        assert implementation is not None, f"{fake.__name__} lacks {name}"
        assert inspect.iscoroutinefunction(implementation) == inspect.iscoroutinefunction(
            getattr(protocol, name)
        ), f"{fake.__name__}.{name} async-ness differs from the port"
        assert list(inspect.signature(implementation).parameters) == list(signature.parameters), (
            f"{fake.__name__}.{name} parameters differ from the port"
        )


def test_the_unit_of_work_has_every_repository_of_the_port() -> None:
    uow = fakes.FakeUnitOfWorkFactory()()
    for name in UnitOfWork.__annotations__:
        assert hasattr(uow, name), name


async def test_rolls_back_uncommitted_work_by_default() -> None:
    factory = fakes.FakeUnitOfWorkFactory()
    tea = factory.store.add_product("Tea", Money(100, "USD"), stock=5)
    async with factory() as uow:
        assert await uow.products.reserve(tea.id, 2)
        await uow.carts.set_quantity(7, tea.id, 3)
    assert factory.store.product(tea.id).reserved == 0
    assert factory.store.cart_lines == {}
    assert factory.commits == 0


async def test_keeps_committed_work_and_drops_what_follows_the_commit() -> None:
    factory = fakes.FakeUnitOfWorkFactory()
    tea = factory.store.add_product("Tea", Money(100, "USD"), stock=5)
    async with factory() as uow:
        await uow.products.reserve(tea.id, 2)
        await uow.commit()
        await uow.products.reserve(tea.id, 1)
    assert factory.store.product(tea.id).reserved == 2
    assert factory.commits == 1


async def test_rolls_back_when_the_block_raises() -> None:
    factory = fakes.FakeUnitOfWorkFactory()
    tea = factory.store.add_product("Tea", Money(100, "USD"), stock=5)
    with pytest.raises(RuntimeError):
        async with factory() as uow:
            await uow.products.reserve(tea.id, 2)
            raise RuntimeError("boom")
    assert factory.store.product(tea.id).reserved == 0


async def test_reserve_holds_only_what_is_available() -> None:
    factory = fakes.FakeUnitOfWorkFactory()
    tea = factory.store.add_product("Tea", Money(100, "USD"), stock=5, reserved=3)
    off = factory.store.add_product("Old tea", Money(100, "USD"), stock=5, active=False)
    async with factory() as uow:
        assert not await uow.products.reserve(tea.id, 3)
        assert await uow.products.reserve(tea.id, 2)
        assert not await uow.products.reserve(tea.id, 1)
        assert not await uow.products.reserve(off.id, 1)
        await uow.commit()
    assert factory.store.product(tea.id).reserved == 5


async def test_a_readonly_unit_of_work_refuses_writes() -> None:
    factory = fakes.FakeUnitOfWorkFactory()
    with pytest.raises(AssertionError):
        async with factory(readonly=True) as uow:
            await uow.carts.set_quantity(1, 1, 1)


async def test_entities_handed_out_are_copies() -> None:
    factory = fakes.FakeUnitOfWorkFactory()
    tea = factory.store.add_product("Tea", Money(100, "USD"), stock=5)
    async with factory() as uow:
        product = await uow.products.get(tea.id)
        assert product is not None
        product.stock = 0
        await uow.commit()
    assert factory.store.product(tea.id).stock == 5
