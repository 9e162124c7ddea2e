"""The HTTP API's records (storage/api.py) on the fakes, SQLite and PostgreSQL: API keys,
Idempotency-Key answers and rate windows. They are adapter ports, not the domain's, so the
coverage test (which reads domain/ports.py) does not see them: the first test here holds each
fake to its protocol and its SQL repository method by method."""

from __future__ import annotations

import inspect
from datetime import timedelta

import pytest

from storage import api as records
from storage.api import ApiKey
from tests.contract.seed import Factory, at
from tests.unit import fakes

PAIRS = [
    (records.ApiKeyRepository, records.SqlApiKeyRepository, fakes.FakeApiKeyRepository),
    (
        records.IdempotencyRepository,
        records.SqlIdempotencyRepository,
        fakes.FakeIdempotencyRepository,
    ),
    (
        records.RateWindowRepository,
        records.SqlRateWindowRepository,
        fakes.FakeRateWindowRepository,
    ),
]


def _methods(cls: type) -> dict[str, list[str]]:
    return {
        name: list(inspect.signature(member).parameters)
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_")
    }


@pytest.mark.parametrize(("port", "sql", "fake"), PAIRS)
def test_the_fake_and_the_sql_repository_have_exactly_the_ports_methods(
    port: type, sql: type, fake: type
) -> None:
    assert _methods(fake) == _methods(port) == _methods(sql)


STALE = at(-60)  # no key in these tests is abandoned, but for the one that says so


def key(name: str, *scopes: str) -> ApiKey:
    return ApiKey(name=name, prefix=f"ob_{name[:8]}", scopes=frozenset(scopes), created_at=at(0))


async def test_a_key_is_found_by_its_hash_until_revoked_and_a_name_is_taken_once(
    uow_factory: Factory,
) -> None:
    async with uow_factory() as uow:
        assert await uow.api_keys.add(key("webshop", "orders:read", "admin"), "h1")
        assert not await uow.api_keys.add(key("webshop"), "h2")  # the name is taken
        assert await uow.api_keys.add(key("market"), "h3")
        await uow.commit()
    async with uow_factory() as uow:
        found = await uow.api_keys.by_hash("h1")
        assert found is not None and found.name == "webshop" and found.active
        assert found.scopes == {"orders:read", "admin"} and found.prefix == "ob_webshop"
        assert await uow.api_keys.by_hash("h2") is None
        await uow.api_keys.touch("webshop", at(5))
        assert await uow.api_keys.revoke("market", at(6))
        assert not await uow.api_keys.revoke("market", at(7))  # already revoked
        assert not await uow.api_keys.revoke("nobody", at(7))
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        listed = await uow.api_keys.listed()
    assert [k.name for k in listed] == ["market", "webshop"]
    assert listed[0].revoked_at == at(6) and not listed[0].active
    assert listed[1].last_used_at == at(5) and listed[1].created_at == at(0)


async def test_an_idempotency_key_is_taken_once_then_holds_its_answer(uow_factory: Factory) -> None:
    async with uow_factory() as uow:
        assert await uow.idempotency.claim("webshop", "k1", "hash-a", at(0), STALE) is None
        await uow.commit()
    async with uow_factory() as uow:
        running = await uow.idempotency.claim("webshop", "k1", "hash-b", at(1), STALE)
        assert running is not None and running.request_hash == "hash-a"
        assert running.status is None and running.response is None
        # Another API key may use the same Idempotency-Key for its own request.
        assert await uow.idempotency.claim("market", "k1", "hash-b", at(1), STALE) is None
        answer = {"body": {"number": "ABCD-1234", "recipient": "Grace"}, "media_type": "x"}
        await uow.idempotency.finish("webshop", "k1", 201, answer)
        await uow.commit()
    async with uow_factory() as uow:
        done = await uow.idempotency.claim("webshop", "k1", "hash-a", at(2), STALE)
        assert done is not None and done.status == 201 and done.response == answer
        assert done.created_at == at(0)
        await uow.idempotency.release("market", "k1")
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.idempotency.claim("market", "k1", "hash-c", at(3), STALE) is None
        await uow.commit()


async def test_old_idempotency_keys_are_forgotten_in_batches(uow_factory: Factory) -> None:
    async with uow_factory() as uow:
        for n in range(5):
            await uow.idempotency.claim("webshop", f"k{n}", "h", at(n), STALE)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.idempotency.forget_before(at(3), 2) == 2
        assert await uow.idempotency.forget_before(at(3), 2) == 1
        assert await uow.idempotency.forget_before(at(3), 2) == 0
        await uow.commit()
    async with uow_factory() as uow:
        assert (
            await uow.idempotency.claim("webshop", "k0", "new", at(9), STALE) is None
        )  # forgotten
        kept = await uow.idempotency.claim("webshop", "k3", "new", at(9), STALE)
        assert kept is not None and kept.request_hash == "h"


async def test_a_rate_window_counts_each_hit_per_key(uow_factory: Factory) -> None:
    window = at(0)
    async with uow_factory() as uow:
        assert [await uow.api_rates.hit("webshop", window) for _ in range(3)] == [1, 2, 3]
        assert await uow.api_rates.hit("market", window) == 1
        assert await uow.api_rates.hit("webshop", window + timedelta(minutes=1)) == 1
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.api_rates.hit("webshop", window) == 4
        assert await uow.api_rates.forget_before(window + timedelta(seconds=30), 10) == 2
        assert await uow.api_rates.forget_before(window + timedelta(seconds=30), 10) == 0
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.api_rates.hit("webshop", window) == 1  # the window was forgotten
        assert await uow.api_rates.hit("webshop", window + timedelta(minutes=1)) == 2


async def test_a_key_never_answered_is_taken_over_by_the_same_request_once_stale(
    uow_factory: Factory,
) -> None:
    async with uow_factory() as uow:
        assert await uow.idempotency.claim("webshop", "k", "hash-a", at(0), STALE) is None
        await uow.commit()
    async with uow_factory() as uow:
        # Not stale yet: still running.
        running = await uow.idempotency.claim("webshop", "k", "hash-a", at(1), at(-4))
        assert running is not None and running.status is None
        # Stale, but another request: refused, not taken.
        other = await uow.idempotency.claim("webshop", "k", "hash-b", at(10), at(5))
        assert other is not None and other.request_hash == "hash-a"
        # Stale, the same request: taken over, once.
        assert await uow.idempotency.claim("webshop", "k", "hash-a", at(10), at(5)) is None
        again = await uow.idempotency.claim("webshop", "k", "hash-a", at(11), at(5))
        assert again is not None and again.created_at == at(10)
        await uow.idempotency.finish("webshop", "k", 200, {"body": {}})
        await uow.commit()
    async with uow_factory() as uow:
        # An answered key is never taken over, however old.
        done = await uow.idempotency.claim("webshop", "k", "hash-a", at(99), at(98))
        assert done is not None and done.status == 200
