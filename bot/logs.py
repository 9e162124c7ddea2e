"""Logging for every command: one readable line per business event at INFO, no library chatter,
no secrets, and `LOG_FORMAT=json` for machines (one JSON object per line, library loggers too).

The business events are written by the use cases through `domain/shared/journal.py` once their
transaction commits, and by the job runs (jobs/runs.py); this module only decides how lines
look and which loggers may speak at INFO."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.settings import Settings

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Libraries that speak at INFO about their own plumbing: APScheduler two lines per job run,
# transitions one per state callback, httpx one per request (with the token in the URL),
# alembic per migration step, PTB and uvicorn per start, stop and request (uvicorn.error is
# its general logger: "Started server process", "Uvicorn running on ..."). Warnings and errors
# still come through; LOG_LEVEL=DEBUG lets everything through.
CHATTY = tuple(
    "apscheduler transitions httpx httpcore alembic telegram aiosqlite asyncio uvicorn.access "
    "uvicorn.error matplotlib PIL".split()
)

# Louder still: APScheduler warns at every tick that finds the job's last run still going
# ("maximum number of running instances reached"), which is how the jobs are meant to run (one
# run at a time; the outbox goes round again itself while messages wait).
QUIET_UNLESS_ERROR = (logging.getLogger("apscheduler").getChild("scheduler").name,)

# The attributes every LogRecord has; anything else on a record came in through `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the fields a
    line carries (`extra=`, e.g. order and event), and the traceback as one string."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False)


class Redact(logging.Filter):
    """Takes secrets out of every log line (messages and tracebacks alike)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is removed whole.
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<redacted>")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self._clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._clean(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        return True


def secrets_of(settings: Settings) -> list[str]:
    """Every secret a setting holds: each SecretStr setting (tokens, keys, the webhook's
    secret; each of several comma-separated keys too) and the database password."""
    found: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr) and value.get_secret_value():
            text = value.get_secret_value()
            found += [text, *(part.strip() for part in text.split(",") if part.strip())]
    try:
        password = make_url(settings.database_url).password
    except Exception:  # a malformed URL is reported elsewhere, with the setting's name
        password = None
    if password:
        found.append(str(password))
    return found


def configure_logging(
    level: str = "INFO",
    fmt: str = "text",
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
) -> logging.Handler:
    """Send every logger's lines to stderr as text or JSON, with secrets taken out, and keep
    the chatty libraries at WARNING unless `level` is DEBUG. Replaces the handler an earlier
    call installed (tests call it more than once); leaves other handlers alone."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_orderbot", False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._orderbot = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(Redact(secrets))
    root.addHandler(handler)
    root.setLevel(level)
    debug = level == "DEBUG"
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.NOTSET if debug else logging.WARNING)
    for name in QUIET_UNLESS_ERROR:
        logging.getLogger(name).setLevel(logging.NOTSET if debug else logging.ERROR)
    return handler


def configure_from(settings: Settings) -> logging.Handler:
    """`configure_logging` with LOG_LEVEL, LOG_FORMAT and the settings' secrets."""
    return configure_logging(
        settings.log_level, getattr(settings, "log_format", "text"), secrets_of(settings)
    )
