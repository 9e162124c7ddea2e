"""API keys: one per sales channel, with scopes. The token is 32 random bytes shown once; the
database keeps its SHA-256 (a random 256-bit token needs no slow hash: there is nothing to
guess) and its first characters, so listings can tell keys apart."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from domain.shared.audit import CLI_ACTOR, NOTHING, record
from domain.shared.clock import Clock
from storage.api import ApiKey
from storage.db import Database

TOKEN_PREFIX = "ob_"  # a token says what it is, for secret scanners and people
PREFIX_SHOWN = 11  # "ob_" and 8 characters of the random part

READ_PRODUCTS = "products:read"
READ_ORDERS = "orders:read"
WRITE_ORDERS = "orders:write"
ADMIN = "admin"  # the merchant's own tools: mark paid, ship, sync every channel's orders
SCOPES = (READ_PRODUCTS, READ_ORDERS, WRITE_ORDERS, ADMIN)
DEFAULT_SCOPES = (READ_PRODUCTS, READ_ORDERS, WRITE_ORDERS)

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


class ApiKeyError(Exception):
    """A key command refused (the message says why, in one line)."""


def hash_token(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh token: the prefix and 32 random bytes, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def has_scope(key: ApiKey, scope: str) -> bool:
    """Whether the key may do what `scope` names (admin may do everything)."""
    return scope in key.scopes or ADMIN in key.scopes


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    token: str  # shown once, never stored


class ApiKeys:
    """Creating, revoking and listing keys (the command line), each audited as the CLI."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def create(self, name: str, scopes: Iterable[str]) -> CreatedKey:
        """A new key named after its channel; ApiKeyError when the name is taken or malformed."""
        name = name.strip().lower()
        if not _NAME.match(name):
            raise ApiKeyError(
                f"NAME: {name!r} must be 1-32 characters: a-z, 0-9, _ and -, "
                "starting with a letter or digit"
            )
        wanted = frozenset(scopes) or frozenset(DEFAULT_SCOPES)
        unknown = sorted(wanted - set(SCOPES))
        if unknown:
            raise ApiKeyError(f"--scope: unknown {', '.join(unknown)} (known: {', '.join(SCOPES)})")
        token = new_token()
        now = self._clock.now()
        key = ApiKey(name=name, prefix=token[:PREFIX_SHOWN], scopes=wanted, created_at=now)
        async with self._db.uow() as uow:
            if not await uow.api_keys.add(key, hash_token(token)):
                raise ApiKeyError(
                    f"NAME: a key named {name!r} exists (revoked keys keep their name)"
                )
            details = {"name": name, "scopes": sorted(wanted), "prefix": key.prefix}
            await record(uow, CLI_ACTOR, "api_key_create", NOTHING, details, at=now)
            await uow.commit()
        return CreatedKey(key, token)

    async def revoke(self, name: str) -> None:
        """Revoke the active key of that name at once; ApiKeyError when there is none."""
        now = self._clock.now()
        async with self._db.uow() as uow:
            if not await uow.api_keys.revoke(name.strip().lower(), now):
                raise ApiKeyError(f"NAME: no active key named {name!r}")
            await record(uow, CLI_ACTOR, "api_key_revoke", NOTHING, {"name": name}, at=now)
            await uow.commit()

    async def listed(self) -> list[ApiKey]:
        """Every key, revoked ones too."""
        async with self._db.uow(readonly=True) as uow:
            return await uow.api_keys.listed()
