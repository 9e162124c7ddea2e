"""The fakes have the shape of the ports they stand in for, and guard against misuse the SQL
units of work would let pass. What they do is held to the SQL repositories by the contract
tests in tests/contract/, which run each test on the fakes, SQLite and PostgreSQL."""

from __future__ import annotations

import inspect
import typing

import pytest

from domain.ports import UnitOfWork
from tests.unit import fakes


def repository_ports() -> dict[str, type]:
    """{attribute: repository protocol} of every repository the whole unit of work offers."""
    found = {}
    for name in dir(UnitOfWork):
        attribute = inspect.getattr_static(UnitOfWork, name)
        if isinstance(attribute, property) and attribute.fget is not None:
            found[name] = typing.get_type_hints(attribute.fget)["return"]
    return found


def port_methods(protocol: type) -> dict[str, inspect.Signature]:
    """The methods a repository protocol declares."""
    return {
        name: inspect.signature(member)
        for name, member in inspect.getmembers(protocol, inspect.isfunction)
        if not name.startswith("_")
    }


def public_methods(cls: type) -> set[str]:
    return {
        name for name, _ in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_")
    }


PORTS = repository_ports()
UOW = fakes.FakeUnitOfWorkFactory()()


def test_the_unit_of_work_offers_repositories() -> None:
    assert len(PORTS) >= 16


@pytest.mark.parametrize("attribute", sorted(PORTS))
def test_each_fake_repository_has_every_method_of_its_port_with_the_same_parameters(
    attribute: str,
) -> None:
    fake = type(getattr(UOW, attribute))
    for name, signature in port_methods(PORTS[attribute]).items():
        implementation = getattr(fake, name, None)
        assert implementation is not None, f"{fake.__name__} lacks {name}"
        assert inspect.iscoroutinefunction(implementation) == inspect.iscoroutinefunction(
            getattr(PORTS[attribute], name)
        ), f"{fake.__name__}.{name} async-ness differs from the port"
        assert list(inspect.signature(implementation).parameters) == list(signature.parameters), (
            f"{fake.__name__}.{name} parameters differ from the port"
        )


@pytest.mark.parametrize("attribute", sorted(PORTS))
def test_each_fake_repository_does_no_more_than_its_port(attribute: str) -> None:
    # A method beyond the port would be fake-only behaviour no contract test holds to SQL.
    fake = type(getattr(UOW, attribute))
    assert public_methods(fake) <= set(port_methods(PORTS[attribute]))


async def test_a_readonly_unit_of_work_refuses_writes() -> None:
    factory = fakes.FakeUnitOfWorkFactory()
    with pytest.raises(AssertionError):
        async with factory(readonly=True) as uow:
            await uow.carts.set_quantity(1, 1, 1)


async def test_a_repository_refuses_work_outside_its_unit_of_work() -> None:
    uow = fakes.FakeUnitOfWorkFactory()()
    with pytest.raises(AssertionError):
        await uow.carts.set_quantity(1, 1, 1)


async def test_two_units_of_work_cannot_be_open_at_once() -> None:
    factory = fakes.FakeUnitOfWorkFactory()
    async with factory():
        with pytest.raises(AssertionError):
            async with factory():
                pass
