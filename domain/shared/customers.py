"""Customers: Telegram users who talk to the shop, and the language spoken to them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Language(StrEnum):
    """Languages the bot speaks."""

    EN = "en"
    ZH = "zh"

    @classmethod
    def from_telegram(cls, language_code: str | None) -> Language:
        """zh* becomes Chinese; anything else, or nothing, English."""
        if language_code and language_code.lower().startswith("zh"):
            return cls.ZH
        return cls.EN


@dataclass
class Customer:
    """A Telegram user who talks to the shop."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = None
    language: Language | None = None  # chosen with /language; None follows Telegram
    reachable: bool = True
    # Messages that are not about an order's progress (review invitations): the customer may
    # turn them off with /notifications; order updates always go out.
    optional_messages: bool = True
    # The phone they shared as their own contact in checkout (issue 17); set only by
    # CustomerRepository.set_verified_phone, never by upsert.
    verified_phone: str | None = None

    @property
    def effective_language(self) -> Language:
        """The language to speak to this customer in."""
        return self.language or Language.from_telegram(self.language_code)


# Customers that stand for another sales channel's buyers (domain/channels/) have ids below
# this: Telegram's user and chat ids fit in 52 bits, so no real chat is ever one of them.
CHANNEL_CUSTOMER_BASE = -(2**53)


def has_chat(chat_id: int) -> bool:
    """Whether a chat id can be a Telegram chat (a channel's customer has none: the outbox
    skips what would be sent there)."""
    return chat_id > CHANNEL_CUSTOMER_BASE


class CustomerRepository(Protocol):
    async def get(self, customer_id: int) -> Customer | None: ...
    async def upsert(self, customer: Customer) -> None: ...
    async def set_language(self, customer_id: int, language: str | None) -> None: ...
    async def set_reachable(self, customer_id: int, reachable: bool) -> None: ...
    async def set_optional_messages(self, customer_id: int, wanted: bool) -> None: ...
    async def set_verified_phone(self, customer_id: int, phone: str) -> None:
        """Keep the phone (E.164) the customer shared as their own Telegram contact."""


def display_name(customer: Customer | None, fallback: int | None) -> str:
    """A customer as the merchant knows them: first name and @username (the id when unknown)."""
    if customer is None:
        return str(fallback)
    if customer.username:
        return f"{customer.first_name} (@{customer.username})"
    return customer.first_name


def language_of(customer: Customer | None) -> Language:
    """The language to write to a customer in (English for one the shop never met)."""
    return customer.effective_language if customer else Language.EN


def customer_actor(customer_id: int) -> str:
    """Who did it, in an event's `actor`: a customer."""
    return f"customer:{customer_id}"


def admin_actor(user_id: int) -> str:
    """Who did it, in an event's `actor`: one of the shop's admins."""
    return f"admin:{user_id}"
