"""Typed callback data: short prefixes, strict parsing, always within Telegram's 64 bytes.
Anything that does not parse exactly is treated as a stale or forged button.

This module holds the base class, the registry and the parser; each feature declares its own
buttons in bot/<feature>/callbacks.py, and a type is known to `parse` once its module is
imported (the composition root imports them all)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any, ClassVar, TypeVar

MAX_BYTES = 64


_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,16}")


_NUMBER = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}")


_REGISTRY: dict[str, type[Callback]] = {}


C = TypeVar("C", bound="Callback")


class Callback:
    """Base of all callback payloads; subclasses are frozen dataclasses with a unique prefix."""

    prefix: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.prefix in _REGISTRY:
            raise ValueError(f"duplicate callback prefix {cls.prefix}")
        _REGISTRY[cls.prefix] = cls

    def pack(self) -> str:
        """Serialise as `prefix:field:field`; raises if it would exceed 64 bytes."""
        # Every subclass is a dataclass; the base class itself is not one.
        values = [str(getattr(self, f.name)) for f in dataclasses.fields(self)]  # type: ignore[arg-type]
        data = ":".join([self.prefix, *values])
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data too long: {data}")
        return data

    @classmethod
    def matches(cls, data: object) -> bool:
        """Whether `data` parses as this type (used as a handler pattern). PTB asks every
        button handler in turn, so another type's prefix is refused before any parsing."""
        if not isinstance(data, str) or data.partition(":")[0] != cls.prefix:
            return False
        return isinstance(parse(data), cls)


# Ids in buttons are the tables' keys, PostgreSQL integers: a wider number is no button we
# issued (it reached the database and failed there, "value out of int32 range"). A field that
# holds a Telegram id (BIGINT, up to 52 bits) says so with `field(metadata=TELEGRAM_ID)`.
INT_MAX = 2**31 - 1
TELEGRAM_ID = {"telegram_id": True}


def _convert(kind: Any, raw: str, metadata: Any = None) -> Any:
    if kind in (int, "int"):
        wide = bool(metadata and metadata.get("telegram_id"))
        if not re.fullmatch(r"-?[0-9]{1,16}" if wide else r"-?[0-9]{1,10}", raw):
            raise ValueError(raw)
        value = int(raw)
        if not wide and not -INT_MAX - 1 <= value <= INT_MAX:
            raise ValueError(raw)
        return value
    if kind in ("Token", Token):
        if not _TOKEN.fullmatch(raw):
            raise ValueError(raw)
        return raw
    if kind in ("OrderNo", OrderNo):
        if not _NUMBER.fullmatch(raw):
            raise ValueError(raw)
        return raw
    if kind in ("Words", Words):
        if not raw or ":" in raw or not raw.isprintable() or raw != raw.strip():
            raise ValueError(raw)
        return raw
    if kind in (str, "str"):
        if not re.fullmatch(r"[a-z]{1,8}", raw):
            raise ValueError(raw)
        return raw
    raise TypeError(kind)


def parse(data: object) -> Callback | None:
    """The callback object for `data`, or None if it is not one we issue."""
    if not isinstance(data, str) or not data or len(data.encode()) > MAX_BYTES:
        return None
    prefix, *parts = data.split(":")
    cls = _REGISTRY.get(prefix)
    if cls is None:
        return None
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if len(parts) != len(fields):
        return None
    try:
        values = [_convert(f.type, raw, f.metadata) for f, raw in zip(fields, parts, strict=True)]
    except (ValueError, TypeError):
        return None
    return cls(*values)


def pack_checked(data: Callback) -> str | None:
    """The packed data, or None when it would not come back as the same button (too long, or
    a value `parse` refuses)."""
    try:
        packed = data.pack()
    except ValueError:
        return None
    return packed if parse(packed) == data else None


class Token(str):
    """A checkout token."""


class OrderNo(str):
    """An order number like 7KQ2-M9XD."""


class Words(str):
    """Words a customer typed (a search): printable, no ':' and no outer spaces; the whole
    callback data still within 64 bytes (pack_checked says whether they fit)."""
