"""The deployment files (docs/deploy/, issue 14 part 4) run what the code has: every command is a
subcommand of `python -m bot`, every variable given to the bot is a setting, every file they
name exists, every port they probe is the one the process listens on, and what the README's
"Deployment" section shows is there. `.ci/run` builds the image where Docker runs;
tests/e2e/test_deploy_package.py builds and runs the package as the image installs it."""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import _parser
from bot.settings import Settings
from bot.web.app import health_routes
from bot.web.metrics import Metrics
from storage.db import Database

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "docs" / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
SETTINGS = {name.upper() for name in Settings.model_fields}
README = (ROOT / "README.md").read_text(encoding="utf-8")


def subcommands() -> set[str]:
    parser = _parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return set(sub.choices)


def parses(argv: list[str]) -> argparse.Namespace:
    """`python -m bot ARGV` as the command line reads it (fails the test on a usage error)."""
    try:
        return _parser().parse_args(argv)
    except SystemExit:
        pytest.fail(f"`python -m bot {' '.join(argv)}` is not a command of bot/cli.py")


# --- compose.yaml ---


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    return loaded


def bot_services() -> dict[str, dict[str, Any]]:
    """The services that run the image of docs/deploy/Dockerfile."""
    found = {}
    for name, service in compose()["services"].items():
        build = service.get("build") or {}
        if build:
            assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE
            found[name] = service
    return found


def test_the_compose_file_runs_the_image_as_migrate_web_and_jobs() -> None:
    services = bot_services()
    commands = {name: service["command"] for name, service in services.items()}
    assert commands == {"migrate": ["migrate"], "web": ["web"], "jobs": ["jobs"]}
    for argv in commands.values():
        assert parses(argv).command == argv[0]
    web, jobs = services["web"], services["jobs"]
    assert web["deploy"]["replicas"] >= 2, "web × N"
    assert jobs["deploy"]["replicas"] == 2, "an active jobs runner and a standby"
    assert web["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["migrate"]["restart"] == "no"


def test_every_variable_the_compose_file_gives_the_bot_is_a_setting() -> None:
    for name, service in bot_services().items():
        unknown = set(service["environment"]) - SETTINGS
        assert unknown == set(), f"{name}: {unknown} are not settings (bot/settings.py)"
        assert service["env_file"] == ".env"
    web = bot_services()["web"]["environment"]
    assert web["RUN_JOBS"] == "false", "the jobs service runs the jobs"
    assert web["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert web["WEB_HOST"] == "0.0.0.0"


def test_postgresql_keeps_its_data_in_a_volume_and_the_bot_waits_for_it() -> None:
    db = compose()["services"]["db"]
    assert db["image"] == "postgres:15", "pg_dump in the image is PostgreSQL 15's (Dockerfile)"
    assert "pgdata:/var/lib/postgresql/data" in db["volumes"]
    assert "pgdata" in compose()["volumes"]
    assert db["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    url = bot_services()["web"]["environment"]["DATABASE_URL"]
    user, database = db["environment"]["POSTGRES_USER"], db["environment"]["POSTGRES_DB"]
    assert url.startswith(f"postgresql+asyncpg://{user}:") and url.endswith(f"@db:5432/{database}")


def _probe(service: dict[str, Any]) -> tuple[int, str]:
    """The port and path a healthcheck asks for."""
    found = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", " ".join(service["healthcheck"]["test"]))
    assert found, service["healthcheck"]
    return int(found.group(1)), found.group(2)


def test_healthchecks_ask_the_port_and_path_each_process_serves(tmp_path: Path) -> None:
    routes = {
        getattr(route, "path", "")
        for route in health_routes(Database(f"sqlite+aiosqlite:///{tmp_path}/x.db"), Metrics())
    }
    services = bot_services()
    web_port = int(services["web"]["environment"]["WEB_PORT"])
    jobs_port = int(services["jobs"]["environment"]["JOBS_PORT"])
    assert _probe(services["web"]) == (web_port, "/readyz")
    assert _probe(services["jobs"]) == (jobs_port, "/healthz")
    assert {"/readyz", "/healthz", "/metrics"} <= routes


def test_the_proxy_serves_https_for_the_web_replicas_and_keeps_health_and_metrics_inside() -> None:
    proxy = compose()["services"]["proxy"]
    caddyfile = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    assert {"80:80", "443:443"} <= set(proxy["ports"])
    assert "{$SHOP_DOMAIN} {" in caddyfile and "SHOP_DOMAIN" in proxy["environment"]
    web_port = bot_services()["web"]["environment"]["WEB_PORT"]
    assert f"dynamic a web {web_port}" in caddyfile
    assert "@inside path /healthz /readyz /metrics" in caddyfile
    assert "respond @inside 404" in caddyfile


def test_files_the_compose_file_mounts_exist() -> None:
    for service in compose()["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).is_file(), volume


# --- the Dockerfile and its ignore file ---


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def test_the_image_runs_python_m_bot_with_a_real_command_by_default() -> None:
    steps = dict(instructions())
    assert json.loads(steps["ENTRYPOINT"]) == ["python", "-m", "bot"]
    cmd = json.loads(steps["CMD"])
    assert parses(cmd).command == cmd[0] == "web"
    assert steps["FROM"].startswith("python:3.11-slim")
    assert int(steps["EXPOSE"]) == Settings.model_fields["web_port"].default


def test_the_image_runs_as_a_user_it_created_with_the_package_alone() -> None:
    steps = instructions()
    users = [args for word, args in steps if word == "USER"]
    assert users == ["orderbot"]
    runs = " ".join(args for word, args in steps if word == "RUN")
    assert "useradd --system --uid 10001" in runs and " orderbot" in runs
    [install] = [args for word, args in steps if word == "RUN" and "pip install" in args]
    assert 'pip install ".${EXTRAS:+[${EXTRAS}]}"' in install
    assert " -e " not in install and "dev" not in install
    assert dict(steps)["ARG"] == "EXTRAS=forecast"
    for word, args in steps:
        if word == "ENV":
            names = {n for n in re.findall(r"(\w+)=", args)}
            unknown = {n for n in names - SETTINGS if not n.startswith(("PYTHON", "PIP_"))}
            assert unknown == set(), f"ENV {unknown} are not settings"


def ignored(path: str) -> bool:
    """Whether Dockerfile.dockerignore keeps `path` (relative to the root) out of the context:
    the last pattern that matches the path or one of its parents decides."""
    patterns = [
        line.strip()
        for line in (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    verdict = False
    for pattern in patterns:
        negate, glob = pattern.startswith("!"), pattern.lstrip("!")
        for prefix in prefixes:
            if fnmatch.fnmatchcase(prefix, glob) or (
                glob.startswith("**/") and fnmatch.fnmatchcase(prefix.split("/")[-1], glob[3:])
            ):
                verdict = not negate
                break
    return verdict


def test_the_build_context_holds_the_package_and_no_secrets_or_data() -> None:
    sources = [
        args.split()[0] for word, args in instructions() if word == "COPY" and "--from" not in args
    ]
    assert sources == ["pyproject.toml", "bot", "domain", "storage", "jobs"]
    for source in [*sources, "README.md"]:
        assert (ROOT / source).exists() and not ignored(source), source
    for kept in (
        "bot/locales/en.toml",
        "storage/alembic.ini",
        "storage/migrations/versions/0001_baseline.py",
        "bot/playground/static/index.html",
    ):
        assert (ROOT / kept).is_file() and not ignored(kept), kept
    for secret in (
        ".env",
        "docs/deploy/.env",
        "data/orderbot.db",
        "data/orderbot.db.key",
        "bot/orderbot.db",
        ".venv/bin/python",
        "tests/unit/fakes.py",
        "bench/README.md",
        "backups/orderbot-20260101-030000.backup",
        "bot/__pycache__/app.cpython-311.pyc",
        "orderbot.egg-info/PKG-INFO",
        ".git/HEAD",
    ):
        assert ignored(secret), secret


def test_copy_lines_name_the_readme_pyproject_reads() -> None:
    [copy] = [args for word, args in instructions() if word == "COPY" and "pyproject" in args]
    assert copy.split()[:2] == ["pyproject.toml", "README.md"]  # readme = "README.md"


# --- systemd units ---


def units() -> dict[str, dict[str, list[str]]]:
    """Each unit file as {key: [values]} (keys may repeat, as Environment= does)."""
    found: dict[str, dict[str, list[str]]] = {}
    for path in sorted((DEPLOY / "systemd").glob("*.service")):
        keys: dict[str, list[str]] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            if "=" in line and not line.startswith(("#", "[")):
                key, _, value = line.partition("=")
                keys.setdefault(key.strip(), []).append(value.strip())
        found[path.name] = keys
    return found


def test_every_unit_runs_a_real_command_with_real_settings() -> None:
    commands = {}
    for name, unit in units().items():
        [exec_start] = unit["ExecStart"]
        argv = shlex.split(exec_start)
        assert argv[:3] == ["/opt/orderbot/.venv/bin/python", "-m", "bot"], exec_start
        commands[name] = parses(argv[3:]).command
        for assignment in unit.get("Environment", []):
            setting = assignment.split("=")[0]
            assert setting in SETTINGS, f"{name}: {setting} is not a setting"
        assert unit["EnvironmentFile"] == ["/etc/orderbot/orderbot.env"]
        assert unit["User"] == ["orderbot"] and unit["Restart"] == ["always"]
        assert unit["WorkingDirectory"] == unit["ReadWritePaths"] == ["/var/lib/orderbot"]
    assert commands == {
        "orderbot.service": "run",
        "orderbot-web@.service": "web",
        "orderbot-jobs@.service": "jobs",
    }
    assert "RUN_JOBS=false" in units()["orderbot-web@.service"]["Environment"]


# --- the README's Deployment section ---


def deployment_section() -> str:
    return README.split("\n## Deployment\n", 1)[1].split("\n## ", 1)[0]


def test_every_python_m_bot_command_in_the_readme_exists() -> None:
    shown = set(re.findall(r"python -m bot ([a-z][a-z-]*)", README))
    assert shown - subcommands() == set()
    assert {"web", "jobs", "migrate"} <= shown


def test_every_deployment_file_the_readme_names_exists_and_every_file_is_named() -> None:
    section = deployment_section()
    named = set(re.findall(r"docs/deploy/[\w@./-]+\w", section)) - {"docs/deploy/.env"}
    assert named, "the Deployment section points at docs/deploy/"
    assert "cp .env.example docs/deploy/.env" in section  # compose.yaml's env_file
    for path in named:
        assert (ROOT / path).exists(), path
    files = {p.relative_to(ROOT).as_posix() for p in DEPLOY.rglob("*") if p.is_file()}
    assert files - named == set(), "every file in docs/deploy/ is described in the README"
    assert "docker build -f docs/deploy/Dockerfile" in section
    assert "docker compose -f docs/deploy/compose.yaml up -d --build" in section


def test_every_metric_the_readme_names_is_exported(tmp_path: Path) -> None:
    exported = {metric.name for metric in Metrics().registry.collect()}
    named = set(re.findall(r"`(orderbot_\w+?)(?:_total)?[`{]", deployment_section()))
    assert named and named - exported == set(), named - exported
    assert exported - named == set(), f"not in the README: {exported - named}"


def test_every_setting_the_deployment_section_names_is_a_setting() -> None:
    named = set(re.findall(r"`([A-Z][A-Z_]{3,})(?:=[^`]*)?`", deployment_section()))
    compose_only = {"POSTGRES_PASSWORD", "SHOP_DOMAIN"}  # read by compose.yaml, not the bot
    assert named - SETTINGS - compose_only == set()
    assert compose_only <= named
