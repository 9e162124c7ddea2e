"""Settings from the environment or `.env`. A missing or malformed one stops the program with
one line naming it (exit code 2)."""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

from domain.checkout.shipping_methods import (
    ShippingConfigError,
    ShippingMethod,
    shipping_methods_from_json,
)
from domain.orders.model import PaymentMethod
from domain.shared.money import Money, MoneyError, is_known_currency
from domain.shipping.carriers import Carrier, CarrierConfigError, carriers_from_json

TRACKING_PROVIDERS = ("manual", "aftership")  # jobs and tracking
_TOKEN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{10,100}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


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
    # checkout (domain/checkout/shipping_methods.py): JSON list of delivery and pickup methods;
    # empty: one implicit method at SHIPPING_FEE, chosen without a question
    shipping_methods: str = ""
    timezone: str = "UTC"
    log_level: str = "INFO"
    log_format: str = "text"  # text: one readable line each; json: one JSON object per line
    shop_name: str = "Shop"
    phone_region: str = ""
    # Empty: cod,bank, plus card when PAYMENT_PROVIDER_TOKEN is set (stars when CURRENCY=XTR).
    payment_methods: Annotated[list[str], NoDecode] = Field(default_factory=list)
    bank_transfer_details: str = ""
    page_size: int = Field(default=6, ge=3, le=10)
    concurrent_updates: int = Field(default=16, ge=1, le=256)
    outbox_poll_seconds: float = Field(default=5.0, gt=0, le=3600)
    # payments (bot/payments/)
    payment_provider_token: SecretStr | None = None
    payment_timeout_minutes: int = Field(default=30, ge=1, le=10080)
    payment_reminder_minutes: int | None = Field(default=None, ge=0)  # None: half the timeout
    payment_sweep_seconds: float = Field(default=60.0, gt=0, le=3600)
    # merchant (bot/admin.py): JSON list of carriers; empty means the built-in list
    carriers: str = ""
    # jobs and tracking (bot/tracking.py, jobs/)
    run_jobs: bool = True
    outbox_rate_per_second: float = Field(default=30.0, gt=0, le=1000)
    outbox_private_per_second: float = Field(default=1.0, gt=0, le=100)
    outbox_group_per_minute: float = Field(default=20.0, gt=0, le=6000)
    tracking_provider: str = "manual"
    tracking_api_url: str = "https://api.aftership.com/tracking/2024-04"
    tracking_api_key: SecretStr | None = None
    tracking_poll_minutes: int = Field(default=30, ge=1, le=1440)
    tracking_batch_size: int = Field(default=50, ge=1, le=50)
    auto_complete_days: int = Field(default=7, ge=1, le=365)
    low_stock_report_at: str = "09:00"
    low_stock_cover_days: int = Field(default=14, ge=1, le=365)
    # the low-stock alert level a product added in the admin chat starts with (0: never alert)
    low_stock_default_threshold: int = Field(default=5, ge=0, le=1_000_000)
    # after-sales (bot/after_sales/): days from delivery; where returned goods go
    after_sales_days: int = Field(default=15, ge=1, le=365)
    return_address: str = ""
    # insight (bot/insight/): stock planning defaults for products without their own, forecasts
    lead_time_days: float = Field(default=7.0, gt=0, le=365)
    lead_time_max_days: float = Field(default=14.0, gt=0, le=365)
    order_cost: Decimal = Field(default=Decimal("20.00"), ge=0)  # major units, per purchase order
    holding_cost: Decimal = Field(default=Decimal("5.00"), gt=0)  # major units, per unit-year
    stock_window_days: int = Field(default=28, ge=7, le=365)
    forecast_history_days: int = Field(default=180, ge=28, le=730)
    forecast_days: int = Field(default=14, ge=1, le=90)
    work_hours_per_day: float = Field(default=8.0, gt=0, le=24)
    summary_at: str = "21:00"  # insight's daily summary, HH:MM in TIMEZONE, or "off"
    weekly_summary_day: str = "mon"  # the weekly summary (with charts): mon .. sun, or "off"
    # personal data (issue 12, storage/crypto.py): Fernet keys, comma-separated, the first
    # encrypts; unset with SQLite: a generated key kept in <database file>.key
    data_keys: SecretStr | None = None
    # the daily backup (jobs/backup.py): HH:MM in TIMEZONE, unset or off: none; where; how many
    backup_at: str = "off"
    backup_dir: str = ""  # empty: a "backups" folder next to the SQLite file
    backup_keep: int = Field(default=7, ge=1, le=3650)
    # the web process (`python -m bot web`, bot/web/, issue 14): the webhook Telegram posts to
    # (the public HTTPS address the reverse proxy forwards to WEB_HOST:WEB_PORT), its secret
    # (Telegram sends it back in X-Telegram-Bot-Api-Secret-Token), and how many connections
    # Telegram may open at once; /healthz, /readyz and /metrics are served on the same port.
    webhook_url: str = ""
    webhook_secret: SecretStr | None = None
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=0, le=65535)  # 0: any free port (tests)
    webhook_max_connections: int = Field(default=40, ge=1, le=100)
    # An update kept but not handled this long after it arrived (its process died) is taken
    # over by another web process, or by the same one after a restart.
    webhook_lease_seconds: float = Field(default=30.0, ge=1, le=3600)
    # `python -m bot jobs` serves /healthz, /readyz and /metrics on this port (0: none).
    jobs_port: int = Field(default=0, ge=0, le=65535)
    # The HTTP API (bot/api/, issue 17; served by `python -m bot web`): requests per API key,
    # N/second, N/minute or N/hour, counted in the database for every web process together.
    api_rate_limit: str = "60/minute"

    @field_validator("*", mode="before")
    @classmethod
    def _empty_means_unset(cls, value: object, info: ValidationInfo) -> object:
        # `KEY=` in .env (as .env.example ships) means "not set", not "the empty string".
        if isinstance(value, str) and not value.strip():
            field = cls.model_fields[info.field_name] if info.field_name else None
            if field is not None and not field.is_required():
                default = field.get_default(call_default_factory=True)
                if not isinstance(default, str):
                    return default
        return value

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

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str) -> str:
        value = value.strip()
        if value and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be the public https:// address Telegram posts updates to")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _SECRET.match(value.get_secret_value()):
            raise ValueError("must be 1-256 characters: letters, digits, _ and - (Telegram's rule)")
        return value

    @field_validator("api_rate_limit")
    @classmethod
    def _api_rate_limit(cls, value: str) -> str:
        from bot.api.ratelimit import RateLimit

        RateLimit.parse(value)  # ValueError names what is wrong
        return value.strip().lower()

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
            # "free" is no setting: the checkout offers it only while a total is 0.
            allowed = {m.value for m in PaymentMethod if m != PaymentMethod.FREE}
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

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in {"text", "json"}:
            raise ValueError("must be text or json")
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
        if value and value not in phonenumbers.SUPPORTED_REGIONS:
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

    @field_validator("tracking_provider")
    @classmethod
    def _tracking_provider(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in TRACKING_PROVIDERS:
            raise ValueError(f"must be one of {', '.join(TRACKING_PROVIDERS)}")
        return value

    @field_validator("tracking_api_url")
    @classmethod
    def _tracking_api_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(
                "must be an http(s) URL such as https://api.aftership.com/tracking/2024-04"
            )
        return value

    @field_validator("tracking_api_key", mode="before")
    @classmethod
    def _tracking_key_blank(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("low_stock_report_at", "summary_at", "backup_at")
    @classmethod
    def _report_at(cls, value: str) -> str:
        value = value.strip().lower()
        if value in ("", "off"):
            return "off"
        found = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value)
        if not found:
            raise ValueError("must be a time of day such as 09:00, or off")
        return f"{int(found.group(1)):02d}:{found.group(2)}"

    @model_validator(mode="after")
    def _tracking(self) -> Settings:
        if self.tracking_provider == "aftership" and self.tracking_api_key is None:
            raise ValueError("TRACKING_API_KEY: is required when TRACKING_PROVIDER=aftership")
        return self

    @model_validator(mode="after")
    def _shipping_methods(self) -> Settings:
        try:
            shipping_methods_from_json(self.shipping_methods, self.currency)
        except ShippingConfigError as exc:
            raise ValueError(f"SHIPPING_METHODS: {exc}") from None
        return self

    @property
    def shipping_method_list(self) -> tuple[ShippingMethod, ...]:
        """The shop's shipping methods (SHIPPING_METHODS; none: the flat SHIPPING_FEE)."""
        return shipping_methods_from_json(self.shipping_methods, self.currency)

    @model_validator(mode="after")
    def _backup(self) -> Settings:
        sqlite = self.database_url.startswith("sqlite")
        if self.backup_at != "off" and not self.backup_dir.strip() and not sqlite:
            raise ValueError("BACKUP_DIR: is required with PostgreSQL when BACKUP_AT is set")
        return self

    @property
    def backup_folder(self) -> Path:
        """Where the daily backups go: BACKUP_DIR, or "backups" next to the SQLite file."""
        if self.backup_dir.strip():
            return Path(self.backup_dir.strip()).expanduser()
        database = make_url(self.database_url).database or "."
        return Path(database).expanduser().resolve().parent / "backups"

    @field_validator("return_address")
    @classmethod
    def _return_address(cls, value: str) -> str:
        # Several lines may be given with \n in one-line .env files.
        value = value.replace("\\n", "\n").strip()
        if len(value) > 500:
            raise ValueError("must be at most 500 characters")
        if any(ord(ch) < 32 and ch != "\n" for ch in value):
            raise ValueError("must not contain control characters")
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

    def webhook(self) -> tuple[str, str]:
        """The webhook's URL and secret (`python -m bot web`); raises SettingsError naming the
        one that is not set."""
        if not self.webhook_url:
            raise SettingsError("WEBHOOK_URL: is required for `python -m bot web`")
        if self.webhook_secret is None:
            raise SettingsError("WEBHOOK_SECRET: is required for `python -m bot web`")
        return self.webhook_url, self.webhook_secret.get_secret_value()

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
    def low_stock_time(self) -> time | None:
        """When the daily low-stock report goes out (None: never)."""
        if self.low_stock_report_at == "off":
            return None
        hours, minutes = self.low_stock_report_at.split(":")
        return time(int(hours), int(minutes))

    @property
    def backup_time(self) -> time | None:
        """When the daily backup is made (None: never)."""
        if self.backup_at == "off":
            return None
        hours, minutes = self.backup_at.split(":")
        return time(int(hours), int(minutes))

    @property
    def summary_time(self) -> time | None:
        """When insight's daily (and weekly) summary goes out (None: never)."""
        if self.summary_at == "off":
            return None
        hours, minutes = self.summary_at.split(":")
        return time(int(hours), int(minutes))

    @property
    def weekly_summary_weekday(self) -> int | None:
        """The weekly summary's weekday, 0 = Monday (None: no weekly summary)."""
        day = self.weekly_summary_day.strip().lower()
        return None if day == "off" else WEEKDAYS.index(day)

    @field_validator("weekly_summary_day")
    @classmethod
    def _weekday(cls, value: str) -> str:
        value = value.strip().lower()
        if value != "off" and value not in WEEKDAYS:
            raise ValueError("WEEKLY_SUMMARY_DAY must be mon, tue, wed, thu, fri, sat, sun or off")
        return value

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
