"""The daily backup, on a timer (issue 12).

Checked every few minutes, like the low-stock report: once the local time has passed BACKUP_AT
and the backup folder holds no backup of today, it makes one. The files themselves are the
record (`orderbot-YYYYMMDD-HHMMSS.backup`, named in the shop's time zone), so a restart, a
second runner or a run after a crash never makes a second backup the same day. A backup is
written under a temporary name and renamed when complete, so a half-written file never counts.
The newest BACKUP_KEEP backups are kept, older ones deleted."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from domain.shared.audit import NOTHING, record
from domain.shared.clock import Clock
from domain.shared.ports import SharedUnitOfWork, UnitOfWorkFactory
from jobs.runs import Skipped

BACKUP_JOB = "backup"
BACKUP_CHECK_EVERY = timedelta(minutes=5)
BACKUP_ACTOR = "system:backup"
NAME = re.compile(r"orderbot-(\d{8})-(\d{6})\.backup")


def backups_in(folder: Path) -> list[Path]:
    """The finished backups in `folder`, oldest first (their names sort by time)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if NAME.fullmatch(p.name))


class DailyBackup:
    """A backup of the database once a day at `at` in the shop's time zone, `keep` kept."""

    def __init__(
        self,
        make: Callable[[Path], Awaitable[object]],
        uow: UnitOfWorkFactory[SharedUnitOfWork],
        clock: Clock,
        *,
        at: time,
        timezone: str,
        folder: Path,
        keep: int,
    ) -> None:
        self.make = make  # writes a consistent copy of the database to the path it is given
        self.uow = uow
        self.clock = clock
        self.at = at
        self.zone = ZoneInfo(timezone)
        self.folder = folder
        self.keep = keep

    async def run_once(self) -> object:
        """Make today's backup if it is due and not made yet; prune old ones."""
        now = self.clock.now()
        local = now.astimezone(self.zone)
        if local < datetime.combine(local.date(), self.at, tzinfo=self.zone):
            return Skipped(f"not before {self.at.strftime('%H:%M')}")
        day = local.strftime("%Y%m%d")
        existing = await asyncio.to_thread(backups_in, self.folder)
        if any(p.name.startswith(f"orderbot-{day}-") for p in existing):
            return Skipped("already backed up today")
        target = self.folder / f"orderbot-{day}-{local.strftime('%H%M%S')}.backup"
        partial = target.with_name(target.name + ".partial")
        await asyncio.to_thread(self._forget_partial)  # left by a crash
        await self.make(partial)
        await asyncio.to_thread(partial.replace, target)
        size = (await asyncio.to_thread(target.stat)).st_size
        async with self.uow() as uow:
            details = {"file": target.name, "bytes": size}
            await record(uow, BACKUP_ACTOR, "backup", NOTHING, details, at=now)
            await uow.commit()
        removed = await asyncio.to_thread(self._prune)
        # The run's one log line (jobs/runs.py) and what /jobs shows.
        return f"{target.name} ({size} bytes), {len(removed)} old removed"

    def _forget_partial(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for path in self.folder.glob("orderbot-*.backup.partial"):
            path.unlink(missing_ok=True)

    def _prune(self) -> list[Path]:
        old = backups_in(self.folder)[: -self.keep]
        for path in old:
            path.unlink(missing_ok=True)
        return old
