"""Settings from the environment or `.env`. A missing or malformed one stops the program with
one line naming it (exit code 2)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from domain.checkout import PaymentMethod
from domain.money import Money, MoneyError, is_known_currency
from domain.shipping import Carrier, CarrierConfigError, carriers_from_json

_TOKEN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{10,100}$")


class Settings(BaseSettings):
    """Everything the bot can be told; see the table in README.md."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    database_url: str = "sqlite+aiosqlite:///./data/orderbot.db"
    admin_chat_id: int | None = None
    admin_user_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    admin_language: str = "en"
    currency: str = "USD"
    shipping_fee: Decimal = Decimal("0")
    timezone: str = "UTC"
    log_level: str = "INFO"
    shop_name: str = "Shop"
    phone_region: str = ""
    # Empty: cod,bank, plus card when PAYMENT_PROVIDER_TOKEN is set (stars when CURRENCY=XTR).
    payment_methods: Annotated[list[str], NoDecode] = Field(default_factory=list)
    bank_transfer_details: str = ""
    page_size: int = Field(default=6, ge=3, le=10)
    concurrent_updates: int = Field(default=16, ge=1, le=256)
    outbox_poll_seconds: float = Field(default=5.0, gt=0, le=3600)
    # payments (bot/payments.py)
    payment_provider_token: SecretStr | None = None
    payment_timeout_minutes: int = Field(default=30, ge=1, le=10080)
    payment_reminder_minutes: int | None = Field(default=None, ge=0)  # None: half the timeout
    payment_sweep_seconds: float = Field(default=60.0, gt=0, le=3600)
    # merchant (bot/admin.py): JSON list of carriers; empty means the built-in list
    carriers: str = ""

    @field_validator("bot_token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TOKEN.match(value.get_secret_value()):
            raise ValueError("must look like 123456789:AA... (from @BotFather)")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http(s) URL such as https://api.telegram.org")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("admin_user_ids", mode="before")
    @classmethod
    def _ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in re.split(r"[,\s]+", value.strip()) if p]
            try:
                return [int(p) for p in parts]
            except ValueError:
                raise ValueError("must be Telegram user ids separated by commas") from None
        return value

    @field_validator("payment_methods", mode="before")
    @classmethod
    def _methods(cls, value: object) -> object:
        if isinstance(value, str):  # empty: chosen from the other settings (see _payments)
            value = [p for p in re.split(r"[,\s]+", value.strip()) if p]
        if isinstance(value, list):
            allowed = {m.value for m in PaymentMethod}
            bad = [v for v in value if v not in allowed]
            if bad:
                raise ValueError(
                    f"must be a comma-separated subset of {', '.join(sorted(allowed))}"
                )
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        value = value.strip().upper()
        if not is_known_currency(value):
            raise ValueError("must be an ISO 4217 code such as USD, EUR or CNY")
        return value

    @field_validator("shipping_fee")
    @classmethod
    def _fee(cls, value: Decimal) -> Decimal:
        if value < 0:
            raise ValueError("must not be negative")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as UTC or Asia/Shanghai") from None
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.strip().upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value

    @field_validator("admin_language")
    @classmethod
    def _admin_language(cls, value: str) -> str:
        if value not in {"en", "zh"}:
            raise ValueError("must be en or zh")
        return value

    @field_validator("phone_region")
    @classmethod
    def _region(cls, value: str) -> str:
        value = value.strip().upper()
        if value and not re.match(r"^[A-Z]{2}$", value):
            raise ValueError("must be a two-letter country code such as CN or US, or empty")
        return value

    @field_validator("carriers")
    @classmethod
    def _carriers(cls, value: str) -> str:
        try:
            carriers_from_json(value)
        except CarrierConfigError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("payment_provider_token", "payment_reminder_minutes", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _payments(self) -> Settings:
        stars = self.currency == "XTR"
        if not self.payment_methods:
            self.payment_methods = (
                ["stars"]
                if stars
                else ["cod", "bank"] + (["card"] if self.payment_provider_token else [])
            )
        methods = set(self.payment_methods)
        if stars and methods != {"stars"}:
            raise ValueError(
                "PAYMENT_METHODS: a shop pricing in Telegram Stars (CURRENCY=XTR) offers only stars"
            )
        if "stars" in methods and not stars:
            raise ValueError("PAYMENT_METHODS: stars needs CURRENCY=XTR (prices in Telegram Stars)")
        if "card" in methods and self.payment_provider_token is None:
            raise ValueError("PAYMENT_METHODS: card needs PAYMENT_PROVIDER_TOKEN")
        reminder = self.payment_reminder_minutes
        if reminder is not None and reminder >= self.payment_timeout_minutes:
            raise ValueError(
                "PAYMENT_REMINDER_MINUTES: must be less than PAYMENT_TIMEOUT_MINUTES, or 0 for none"
            )
        return self

    def token(self) -> str:
        """The bot token; raises SettingsError when it is not set."""
        if self.bot_token is None:
            raise SettingsError("BOT_TOKEN: is required but not set")
        return self.bot_token.get_secret_value()

    @property
    def shipping(self) -> Money:
        """The flat shipping fee as exact money."""
        try:
            return Money.from_major(self.shipping_fee, self.currency)
        except MoneyError as exc:
            raise ValueError(f"SHIPPING_FEE: {exc}") from exc

    @property
    def api_base_url(self) -> str:
        """PTB's base_url: the token is appended to it."""
        return f"{self.telegram_api_url}/bot"

    @property
    def api_file_url(self) -> str:
        """PTB's base_file_url, so downloads also go to the configured server."""
        return f"{self.telegram_api_url}/file/bot"

    @property
    def carrier_list(self) -> tuple[Carrier, ...]:
        """The carriers offered when shipping (CARRIERS, or the built-in list)."""
        return carriers_from_json(self.carriers)


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it."""


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into one readable line."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
        settings.shipping  # noqa: B018 - validates the fee against the currency's minor unit
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else ""
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "missing":
            message = "is required but not set"
        # Checks across settings have no single field; their message names the setting.
        raise SettingsError(f"{name}: {message}" if name else message) from None
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
    return settings
