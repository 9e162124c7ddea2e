"""BACKUP_AT, BACKUP_DIR and BACKUP_KEEP: off by default, a bad value refused naming the setting
(the program ends with that one line, exit code 2: bot/__main__.py), the folder next to the
SQLite file by default, and the jobs table gets the backup row only when it is on."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from bot.app import daily_backup
from bot.settings import SettingsError, load_settings
from domain.shared.clock import FixedClock
from jobs.backup import BACKUP_CHECK_EVERY
from tests.unit.fakes import FakeUnitOfWorkFactory

TOKEN = "123456789:AAtest-token-for-settings-only-0000000"


def test_backup_is_off_unless_backup_at_is_set(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/data/shop.db"
    settings = load_settings(bot_token=TOKEN, database_url=url)
    assert (settings.backup_time, settings.backup_keep) == (None, 7)
    assert daily_backup(settings, FakeUnitOfWorkFactory(), FixedClock()) is None  # type: ignore[arg-type]
    on = load_settings(bot_token=TOKEN, database_url=url, backup_at="2:05", backup_keep=3)
    assert on.backup_time == time(2, 5) and on.backup_folder == tmp_path / "data" / "backups"
    job = daily_backup(on, FakeUnitOfWorkFactory(), FixedClock())  # type: ignore[arg-type]
    assert job is not None and (job.folder, job.keep) == (tmp_path / "data" / "backups", 3)
    assert BACKUP_CHECK_EVERY.total_seconds() <= 600
    elsewhere = load_settings(bot_token=TOKEN, database_url=url, backup_dir=str(tmp_path / "x"))
    assert elsewhere.backup_folder == tmp_path / "x"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"backup_at": "25:00"}, "BACKUP_AT: must be a time of day such as 09:00, or off"),
        ({"backup_at": "soon"}, "BACKUP_AT: must be a time of day"),
        ({"backup_keep": 0}, "BACKUP_KEEP: "),
        ({"backup_keep": "many"}, "BACKUP_KEEP: "),
        (
            {"backup_at": "03:00", "database_url": "postgresql+asyncpg://u@h/db"},
            "BACKUP_DIR: is required with PostgreSQL when BACKUP_AT is set",
        ),
    ],
)
def test_a_bad_backup_setting_is_refused_naming_it(
    values: dict[str, object], expected: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(bot_token=TOKEN, **values)
    assert str(refused.value).startswith(expected) and "\n" not in str(refused.value)
