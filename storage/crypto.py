"""Personal data at rest: Fernet encryption under rotating keys, and blind indexes.

`DataKeys` holds the keys the composition root was given (DATA_KEYS: several Fernet keys, the
first one encrypts, every one decrypts). `Database` hands them to its engine's dialect, where the
column types below find them: the repositories read and write plain `str` and `dict` values and
never see a key.

Blind index: HMAC-SHA256 of a normalised value under an index key. Each data key has its own
index key, HKDF-SHA256(the 32 bytes the Fernet key decodes to, salt=None, length=32,
info=b"orderbot blind index v1"), so the index key is never the encryption key and rotating the
data keys rotates the index keys too: new terms are written under the first key's index key, and
lookups ask for the terms of every key, so a search finds rows before, during and after
`python -m bot rotate-keys` (which rewrites them under the first key).

A value that is not a Fernet token is read as it is: rows written before encryption are still
readable, and `rotate-keys` encrypts them."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import unicodedata
from base64 import urlsafe_b64decode
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Text
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.types import TypeDecorator

# Fernet tokens are base64 of a version byte 0x80 and a timestamp: they start like this.
TOKEN_PREFIX = "gAAAAA"
_DIALECT_ATTR = "orderbot_data_keys"
_INDEX_INFO = b"orderbot blind index v1"


class DataKeyError(Exception):
    """The data keys are missing, malformed, or do not decrypt what is stored."""


class DataKeys:
    """The Fernet keys of personal data: the first encrypts, all decrypt."""

    def __init__(self, keys: Sequence[str]) -> None:
        keys = [k.strip() for k in keys if k.strip()]
        if not keys:
            raise DataKeyError("no key given")
        fernets: list[Fernet] = []
        index_keys: list[bytes] = []
        for number, key in enumerate(keys, 1):
            try:
                fernets.append(Fernet(key))
                raw = urlsafe_b64decode(key.encode())
            except (ValueError, TypeError):
                raise DataKeyError(
                    f"key {number} is not a Fernet key (32 url-safe base64-encoded bytes)"
                ) from None
            hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INDEX_INFO)
            index_keys.append(hkdf.derive(raw))
        self._fernet = MultiFernet(fernets)
        self._index_keys = tuple(index_keys)
        self.count = len(keys)

    def __repr__(self) -> str:  # never the keys themselves
        return f"DataKeys({self.count} keys)"

    @staticmethod
    def generate() -> str:
        """A new random key (for DATA_KEYS or the SQLite key file)."""
        return Fernet.generate_key().decode()

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, stored: str) -> str:
        """The plaintext of a stored value; a value that is no token is returned as it is."""
        if not is_token(stored):
            return stored
        try:
            return self._fernet.decrypt(stored.encode()).decode()
        except InvalidToken:
            raise DataKeyError("DATA_KEYS do not decrypt the stored personal data") from None

    def rotate(self, stored: str) -> str:
        """The value encrypted under the first key (a plaintext value is encrypted)."""
        if not is_token(stored):
            return self.encrypt(stored)
        try:
            return self._fernet.rotate(stored.encode()).decode()
        except InvalidToken:
            raise DataKeyError("DATA_KEYS do not decrypt the stored personal data") from None

    def term(self, kind: str, normalised: str) -> str:
        """The blind index term of a normalised value, under the first key."""
        return _hmac(self._index_keys[0], kind, normalised)

    def terms_for_lookup(self, kind: str, normalised: str) -> list[str]:
        """The value's term under every key: what a lookup asks for while keys rotate."""
        return [_hmac(k, kind, normalised) for k in self._index_keys]


def _hmac(key: bytes, kind: str, normalised: str) -> str:
    return hmac.new(key, f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()


def is_token(stored: str) -> bool:
    """Whether a stored value looks encrypted (legacy plaintext does not)."""
    return stored.startswith(TOKEN_PREFIX)


def parse_keys(raw: str) -> DataKeys:
    """DATA_KEYS as written in the settings: keys separated by commas or spaces."""
    return DataKeys(re.split(r"[,\s]+", raw.strip()))


def key_file_of(database_url: str) -> Path | None:
    """Where a SQLite database keeps its generated development key: `<file>.key` beside it.
    None for PostgreSQL and in-memory SQLite."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).with_name(Path(url.database).name + ".key")


def load_or_create_key_file(path: Path) -> tuple[DataKeys, bool]:
    """The key kept in `path`, made (mode 0600) when there is none. Returns (keys, created)."""
    if path.exists():
        return parse_keys(path.read_text()), False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = DataKeys.generate()
    with open(path, "x", opener=lambda p, f: os.open(p, f, 0o600)) as out:
        out.write(key + "\n")
    return parse_keys(key), True


def attach_keys(engine: AsyncEngine, keys: DataKeys | None) -> None:
    """Make the keys available to the encrypted column types of this engine."""
    setattr(engine.sync_engine.dialect, _DIALECT_ATTR, keys)


def keys_of(target: AsyncSession | Dialect) -> DataKeys:
    """The data keys of a session's (or dialect's) engine."""
    dialect = target.get_bind().dialect if isinstance(target, AsyncSession) else target
    keys: DataKeys | None = getattr(dialect, _DIALECT_ATTR, None)
    if keys is None:
        raise DataKeyError("no DATA_KEYS were given to this database")
    return keys


class Encrypted(TypeDecorator[str]):
    """A text column stored as a Fernet token (personal data)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keys_of(dialect).encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or not is_token(value):
            return value
        return keys_of(dialect).decrypt(value)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value stored as a Fernet token: dialog drafts, notification parameters, payment
    payloads, which carry names, phones, addresses and customers' texts."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        plain = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return keys_of(dialect).encrypt(plain)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if is_token(value):
            value = keys_of(dialect).decrypt(value)
        return json.loads(value)


# --- normalising what a blind index holds ---

PHONE_TAIL = 8  # digits: "+86 138 0013 8000", "138-0013-8000", "0086 13800138000" agree


def phone_digits(text: str) -> str:
    """Only the digits of a phone number (full-width digits too)."""
    return "".join(c for c in unicodedata.normalize("NFKC", text) if c.isdigit())


def phone_key(text: str) -> str | None:
    """What the phone index holds: the last PHONE_TAIL digits; None for too short a number.
    Candidates are confirmed on the decrypted number (a tail may be shared)."""
    digits = phone_digits(text)
    return digits[-PHONE_TAIL:] if len(digits) >= 7 else None


def name_words(text: str) -> set[str]:
    """The words of a name, case-folded, plus the whole name without spaces (Chinese names
    have no spaces; "Alice Smith" is found by "alice", "smith" or "alice smith")."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    words = {w for w in re.split(r"[\W_]+", folded) if w}
    joined = "".join(re.split(r"[\W_]+", folded))
    if joined:
        words.add(joined)
    return words


def username_key(text: str) -> str:
    """A Telegram username as indexed: without @, lower case."""
    return text.strip().lstrip("@").casefold()


def order_terms(
    keys: DataKeys,
    *,
    names: Iterable[str | None],
    phone: str | None,
    username: str | None,
) -> set[str]:
    """The blind index terms of one order: its names' words, its phone, the customer's
    username."""
    terms: set[str] = set()
    for name in names:
        for word in name_words(name or ""):
            terms.add(keys.term("name", word))
    tail = phone_key(phone or "")
    if tail:
        terms.add(keys.term("phone", tail))
    if username:
        terms.add(keys.term("user", username_key(username)))
    return terms
