"""Tables of jobs: the rows its repositories read and write."""

from __future__ import annotations

from sqlalchemy import (
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, intpk, timestamp


class JobRunRow(Base):
    """One run of a scheduled job: when, how long, and what it did (the last few per job)."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_started", "job", "started_at"),)

    id: Mapped[intpk]
    job: Mapped[str] = mapped_column(String(32))
    runner: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[timestamp]
    finished_at: Mapped[timestamp]
    duration_ms: Mapped[int]
    ok: Mapped[bool]
    summary: Mapped[str] = mapped_column(Text, default="")


class JobLockRow(Base):
    """Who runs a job now (SQLite; PostgreSQL uses advisory locks): a lease that the holder
    renews while it runs and that another runner may take once it has expired."""

    __tablename__ = "job_locks"

    job: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    locked_until: Mapped[timestamp]
