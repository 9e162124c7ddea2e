"""The daily backup job (jobs/backup.py) with a fixed clock: due once BACKUP_AT has passed in
the shop's time zone, once a day whatever restarts happen (the files say so), a half-written
file does not count, the newest BACKUP_KEEP kept, each backup in the audit log."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from domain.shared.clock import FixedClock
from jobs.backup import BACKUP_JOB, DailyBackup, backups_in
from jobs.runs import GuardedRun, Skipped
from tests.unit.fakes import FakeUnitOfWorkFactory


def _job(folder: Path, clock: FixedClock, factory: FakeUnitOfWorkFactory, keep: int = 3):  # type: ignore[no-untyped-def]
    made: list[Path] = []

    async def make(target: Path) -> object:
        assert not await asyncio.to_thread(target.exists)
        await asyncio.to_thread(target.write_bytes, b"copy of the database")
        made.append(target)
        return target

    job = DailyBackup(
        make, factory, clock, at=time(3, 0), timezone="Asia/Shanghai", folder=folder, keep=keep
    )
    return job, made


async def test_one_backup_a_day_after_its_time_then_pruned_to_keep(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "backups"
    clock = FixedClock(datetime(2026, 3, 1, 18, 30, tzinfo=UTC))  # 02:30 on the 2nd in Shanghai
    factory = FakeUnitOfWorkFactory()
    job, made = _job(folder, clock, factory)
    assert isinstance(await job.run_once(), Skipped) and made == []

    clock.advance(minutes=45)  # 03:15 local
    caplog.set_level(logging.INFO, logger="jobs")
    result = await GuardedRun(BACKUP_JOB, job.run_once)()
    assert [p.name for p in backups_in(folder)] == ["orderbot-20260302-031500.backup"]
    assert str(result) == "orderbot-20260302-031500.backup (20 bytes), 0 old removed"
    [line] = [r.getMessage() for r in caplog.records]  # the run's one line (jobs/runs.py)
    assert line.startswith(f"job backup: {result} (")
    (entry,) = factory.store.audit
    assert (entry.actor, entry.action, entry.details["file"]) == (
        "system:backup",
        "backup",
        "orderbot-20260302-031500.backup",
    )

    clock.advance(hours=5)  # later the same day, and after a restart: a new job object
    again, made_again = _job(folder, clock, factory)
    assert isinstance(await again.run_once(), Skipped) and made_again == []
    assert len(backups_in(folder)) == 1 and len(factory.store.audit) == 1

    for _ in range(4):  # four more days: only the newest three stay
        clock.advance(days=1)
        await job.run_once()
    assert [p.name[9:17] for p in backups_in(folder)] == ["20260304", "20260305", "20260306"]
    assert len(factory.store.audit) == 5


async def test_a_half_written_backup_does_not_count_and_is_replaced(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "orderbot-20260302-031000.backup.partial").write_bytes(b"cut off by a crash")
    clock = FixedClock(datetime(2026, 3, 1, 19, 20, tzinfo=UTC))  # 03:20 local
    job, made = _job(folder, clock, FakeUnitOfWorkFactory())
    await job.run_once()
    assert [p.name for p in folder.iterdir()] == ["orderbot-20260302-032000.backup"]
    assert len(made) == 1


async def test_a_failed_backup_leaves_no_file_and_no_entry(tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 3, 1, 19, 20, tzinfo=UTC))
    factory = FakeUnitOfWorkFactory()

    async def broken(target: Path) -> object:
        raise OSError("disk full")

    job = DailyBackup(
        broken, factory, clock, at=time(3, 0), timezone="Asia/Shanghai", folder=tmp_path, keep=7
    )
    with pytest.raises(OSError, match="disk full"):
        await job.run_once()
    assert backups_in(tmp_path) == [] and factory.store.audit == []
