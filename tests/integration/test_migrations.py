"""The Alembic migrations build exactly the schema the code maps, on both backends; their
history is one line; and the package ships every file they need at run time.

To see by hand that the migrations match the metadata (the same check as the first test):
    .venv/bin/alembic -c storage/alembic.ini -x url=sqlite+aiosqlite:///./data/check.db upgrade head
    .venv/bin/alembic -c storage/alembic.ini -x url=sqlite+aiosqlite:///./data/check.db check
"""

from __future__ import annotations

import inspect as pyinspect
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import CheckConstraint, ForeignKeyConstraint, inspect, text
from sqlalchemy.engine import Connection

from storage.db import create_engine
from storage.migrate import ALEMBIC_INI, alembic_config, upgrade
from storage.schema import metadata

ROOT = Path(__file__).resolve().parents[2]
STORAGE = ROOT / "storage"


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "compare_server_default": True,
            "render_as_batch": connection.dialect.name == "sqlite",
        },
    )
    return compare_metadata(context, metadata)


def _where(clause: Any) -> str | None:
    """A partial index's WHERE clause, as comparable text (PostgreSQL adds parentheses)."""
    return None if clause is None else re.sub(r"[\s()]", "", str(clause)).lower()


def _constraints(connection: Connection) -> dict[str, Any]:
    """What autogenerate does not compare, or not fully: CHECK constraints, partial indexes'
    WHERE clauses; and foreign keys' ON DELETE, spelled out."""
    inspector = inspect(connection)
    where = f"{connection.dialect.name}_where"
    return {
        table: {
            "checks": sorted(c["name"] or "" for c in inspector.get_check_constraints(table)),
            "foreign_keys": sorted(
                (fk["name"] or "", (fk.get("options") or {}).get("ondelete"))
                for fk in inspector.get_foreign_keys(table)
            ),
            "index_where": sorted(
                (str(i["name"]), _where(i.get("dialect_options", {}).get(where)))
                for i in inspector.get_indexes(table)
                if i["name"] in {ix.name for ix in metadata.tables[table].indexes}
            ),
        }
        for table in sorted(metadata.tables)
    }


def _expected_constraints(dialect: str) -> dict[str, Any]:
    return {
        name: {
            "checks": sorted(
                str(c.name) for c in table.constraints if isinstance(c, CheckConstraint)
            ),
            "foreign_keys": sorted(
                (str(c.name), c.ondelete)
                for c in table.constraints
                if isinstance(c, ForeignKeyConstraint)
            ),
            "index_where": sorted(
                (str(i.name), _where(i.dialect_kwargs.get(f"{dialect}_where")))
                for i in table.indexes
            ),
        }
        for name, table in sorted(metadata.tables.items())
    }


def _snapshot(connection: Connection) -> dict[str, Any]:
    inspector = inspect(connection)
    tables = sorted(t for t in inspector.get_table_names())
    return {
        "tables": tables,
        "columns": {t: [c["name"] for c in inspector.get_columns(t)] for t in tables},
        "indexes": {t: sorted(i["name"] or "" for i in inspector.get_indexes(t)) for t in tables},
        "version": connection.execute(text("SELECT version_num FROM alembic_version")).all(),
    }


async def _run(url: str, fn: Any) -> Any:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(fn)
    finally:
        await engine.dispose()


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def _head() -> str:
    head = _script().get_current_head()  # raises if the history has more than one head
    assert head
    return head


# --- the migrated schema is the metadata's ---


async def test_upgrade_creates_a_schema_autogenerate_finds_identical_to_the_models(
    empty_database_url: str,
) -> None:
    await upgrade(empty_database_url)

    diff = await _run(empty_database_url, _diff)

    assert diff == []


async def test_upgrade_creates_the_models_checks_on_delete_rules_and_partial_indexes(
    empty_database_url: str,
) -> None:
    await upgrade(empty_database_url)

    def actual_and_expected(connection: Connection) -> tuple[Any, Any]:
        return _constraints(connection), _expected_constraints(connection.dialect.name)

    actual, expected = await _run(empty_database_url, actual_and_expected)

    assert actual == expected


async def test_upgrade_records_the_head_revision(empty_database_url: str) -> None:
    await upgrade(empty_database_url)

    snapshot = await _run(empty_database_url, _snapshot)

    assert snapshot["version"] == [(_head(),)]
    assert set(snapshot["tables"]) == set(metadata.tables) | {"alembic_version"}


async def test_upgrading_twice_is_a_no_op(empty_database_url: str) -> None:
    await upgrade(empty_database_url)
    before = await _run(empty_database_url, _snapshot)

    await upgrade(empty_database_url)

    assert await _run(empty_database_url, _snapshot) == before
    assert await _run(empty_database_url, _diff) == []


async def test_downgrade_to_base_removes_everything_and_upgrade_rebuilds_it(
    empty_database_url: str,
) -> None:
    await upgrade(empty_database_url)

    def downgrade(connection: Connection) -> list[str]:
        config = alembic_config(empty_database_url)
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
        connection.commit()
        return inspect(connection).get_table_names()

    remaining = await _run(empty_database_url, downgrade)
    assert set(remaining) <= {"alembic_version"}

    await upgrade(empty_database_url)
    assert await _run(empty_database_url, _diff) == []


def test_the_alembic_command_line_upgrades_and_finds_nothing_to_generate(tmp_path: Path) -> None:
    """`alembic -c storage/alembic.ini ...` works for a developer, from any directory."""
    url = f"sqlite+aiosqlite:///{tmp_path}/cli/dev.db"

    def alembic(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "alembic", "-c", str(ALEMBIC_INI), "-x", f"url={url}", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )

    upgraded = alembic("upgrade", "head")
    assert upgraded.returncode == 0, upgraded.stderr
    current = alembic("current")
    assert current.returncode == 0, current.stderr
    assert _head() in current.stdout
    checked = alembic("check")
    assert checked.returncode == 0, checked.stdout + checked.stderr


# --- the history is one line ---


def test_upgrade_goes_to_the_single_head_by_default() -> None:
    assert pyinspect.signature(upgrade).parameters["revision"].default == "head"


def test_history_is_one_line_from_a_single_base_to_a_single_head() -> None:
    script = _script()
    revisions: list[Script] = list(script.walk_revisions())

    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1
    for revision in revisions:
        assert revision.down_revision is None or isinstance(revision.down_revision, str), (
            f"{revision.revision} merges {revision.down_revision}"
        )
        assert not revision.is_merge_point
        assert not revision.is_branch_point, f"{revision.revision} has several children"
        assert not revision.dependencies, f"{revision.revision} has depends_on"
        assert not revision.branch_labels, f"{revision.revision} has branch labels"

    # Following down_revision from the head visits every revision once, ending at the base.
    chain: list[str] = []
    down: str | None = _head()
    while down is not None:
        current = script.get_revision(down)
        assert current is not None
        chain.append(current.revision)
        down = current.down_revision  # type: ignore[assignment]
    assert chain == [r.revision for r in revisions]
    assert len(set(chain)) == len(chain)


def test_every_revision_id_is_its_file_name_and_every_file_is_a_revision() -> None:
    script = _script()
    revisions = list(script.walk_revisions())

    for revision in revisions:
        assert revision.path is not None
        assert Path(revision.path).stem == revision.revision

    versions = Path(script.versions)
    assert {p.stem for p in versions.glob("*.py")} == {r.revision for r in revisions}


# --- the package ships what the migrations need at run time ---


def _package_data_patterns() -> list[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns: list[str] = pyproject["tool"]["setuptools"]["package-data"]["storage"]
    return patterns


def test_every_storage_package_data_pattern_matches_files() -> None:
    for pattern in _package_data_patterns():
        assert [p for p in STORAGE.glob(pattern) if p.is_file()], f"{pattern!r} matches nothing"


def test_package_data_covers_the_alembic_config_environment_template_and_revisions() -> None:
    shipped = {p.resolve() for pattern in _package_data_patterns() for p in STORAGE.glob(pattern)}
    script = _script()
    migrations = Path(script.dir)
    needed = {
        ALEMBIC_INI,  # storage/migrate.py loads it
        migrations / "env.py",
        migrations / "script.py.mako",
        *(Path(r.path) for r in script.walk_revisions()),
    }

    assert all(path.is_file() for path in needed)
    assert {p.resolve() for p in needed} - shipped == set()
