"""The image's install, without Docker (issue 14, part 4): the files docs/deploy/Dockerfile
copies are built into a wheel as `pip install .` builds it (offline, not editable, no dev
extra), and the installed package, not this source tree, runs `python -m bot`: its commands,
its texts, and its migrations on a fresh database. `.ci/run` builds the real image where a
Docker engine runs."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

from bot.settings import Settings
from tests.e2e.harness import TOKEN
from tests.unit.bot.test_deploy import ROOT, instructions


def _copy_what_the_image_copies(into: Path) -> None:
    for word, args in instructions():
        if word != "COPY":
            continue
        *sources, _target = args.split()
        for source in sources:
            path = ROOT / source
            if path.is_dir():
                shutil.copytree(
                    path, into / source, ignore=shutil.ignore_patterns("__pycache__", "*.db*")
                )
            else:
                shutil.copy2(path, into / source)


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=240)


def test_the_installed_package_runs_its_commands_and_migrates_a_fresh_database(
    tmp_path: Path,
) -> None:
    source, wheels, site, work = (tmp_path / name for name in ("src", "wheels", "site", "work"))
    for folder in (source, site, work):
        folder.mkdir()
    _copy_what_the_image_copies(source)
    settings = {name.upper() for name in Settings.model_fields}
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "PIP_")) and k not in settings
    }
    offline = ["--no-deps", "--no-build-isolation", "--no-index", "--wheel-dir", str(wheels)]
    built = _run([sys.executable, "-m", "pip", "wheel", *offline, str(source)], tmp_path, env)
    assert built.returncode == 0, built.stderr[-3000:]
    [wheel] = wheels.glob("orderbot-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
        names = set(archive.namelist())
    assert {
        "bot/locales/en.toml",
        "bot/locales/zh.toml",
        "storage/alembic.ini",
        "storage/migrations/env.py",
        "bot/playground/static/index.html",
        "bot/demo/catalog.csv",
        "bot/web/app.py",
    } <= names
    # Every revision ships (the newest is the head a fresh database ends at).
    revisions = sorted(p.name for p in (ROOT / "storage/migrations/versions").glob("0*.py"))
    assert {f"storage/migrations/versions/{name}" for name in revisions} <= names
    assert not any(name.startswith(("tests/", "bench/", "docs/")) for name in names)

    # The installed package comes first on the path, before this checkout's editable install.
    env.update(PYTHONPATH=str(site), DATABASE_URL=f"sqlite+aiosqlite:///{work}/data/shop.db")
    where = _run(
        [
            sys.executable,
            "-c",
            "import bot, storage.migrate as m; print(bot.__file__, m.ALEMBIC_INI)",
        ],
        work,
        env,
    )
    assert where.stdout.split() == [
        str(site / "bot" / "__init__.py"),
        str(site / "storage" / "alembic.ini"),
    ]

    usage = _run([sys.executable, "-m", "bot", "--help"], work, env)
    assert usage.returncode == 0 and "web" in usage.stdout and "jobs" in usage.stdout
    texts = _run([sys.executable, "-c", "from bot.texts import Texts; Texts()"], work, env)
    assert texts.returncode == 0, texts.stderr[-2000:]

    migrated = _run([sys.executable, "-m", "bot", "migrate"], work, env)
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    with sqlite3.connect(work / "data" / "shop.db") as conn:
        [(version,)] = conn.execute("select version_num from alembic_version").fetchall()
        tables = {name for (name,) in conn.execute("select name from sqlite_master")}
    assert version == revisions[-1].removesuffix(".py")
    assert {"orders", "outbox", "update_inbox", "promo_codes", "api_keys"} <= tables

    # What the image's default command needs before it serves: the webhook's settings.
    web = _run([sys.executable, "-m", "bot", "web"], work, env | {"BOT_TOKEN": TOKEN})
    assert web.returncode == 2 and "WEBHOOK_URL" in web.stderr, web.stderr[-2000:]
