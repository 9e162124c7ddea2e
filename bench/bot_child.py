"""A bot in a process of its own, so that its CPU time can be read from /proc (issue 13).

The benchmarks run the local Bot API server and the simulated users in their own process and
start the bot under test here: either the shop (the application `python -m bot` builds, as
tests/e2e/harness.py starts it) or a bare python-telegram-bot echo bot, the floor. The child
writes one line per update it has fully handled (`<update id>`) to its stdout, so the
benchmark knows when a user may go on without adding a Bot API call to the bot's work.

    parent: ChildBot("shop", api.url, database_url) ... await bot.handled(update_id)
    child:  python bench/bot_child.py shop|echo API_URL [DATABASE_URL]

`tree=` runs the bot from another checkout of the repository (a `git worktree`), so one
command measures a commit before and after a change side by side; `hide_sniffio=` hides the
sniffio package from it, as the environment was before issue 13 declared it; `seed=` (stock
by SKU) has the child load the demo catalog with its own tree's migration first.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

TREE = Path(os.environ.get("BENCH_TREE") or Path(__file__).resolve().parents[1])
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SCRIPT = str(Path(__file__).resolve())
WAIT_S = 120.0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process (all its threads), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


class ChildBot:
    """The parent's handle on a bot process."""

    def __init__(
        self,
        kind: str,
        api_url: str,
        database_url: str = "",
        *,
        concurrency: int = 16,
        tree: Path | None = None,
        hide_sniffio: bool = False,
        seed: dict[str, int] | None = None,
    ) -> None:
        self.args = [kind, api_url, database_url, str(concurrency)]
        self.tree = tree or TREE
        self.hide_sniffio = hide_sniffio
        self.seed = seed
        self.process: asyncio.subprocess.Process | None = None
        self._events: dict[int, asyncio.Event] = {}
        self._reader: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    async def start(self) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": str(self.tree),
            "BENCH_TREE": str(self.tree),
            "OPENBLAS_NUM_THREADS": "1",
        }
        if self.hide_sniffio:
            env["BENCH_HIDE_SNIFFIO"] = "1"
        if self.seed is not None:
            env["BENCH_SEED"] = json.dumps(self.seed)
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            SCRIPT,
            *self.args,
            cwd=self.tree,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            limit=1 << 20,
        )
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), 120)
        if line.strip() != b"ready":
            raise RuntimeError(f"bot child did not start: {line!r}")
        self._reader = asyncio.create_task(self._read())
        await self.idle()

    async def idle(self, quiet_s: float = 0.3, at_most_s: float = 15.0) -> None:
        """Wait until the child has used no CPU (less than a clock tick) for `quiet_s`: the
        shop's jobs run once at start (the outbox, the sweeps, the day's stock plans), which
        is start-up, not the cost of the updates a benchmark times next."""
        deadline = asyncio.get_running_loop().time() + at_most_s
        last = self.cpu()
        while asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(quiet_s)
            now = self.cpu()
            if now - last < 1.5 / CLOCK_TICKS:
                return
            last = now

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        async for line in self.process.stdout:
            with contextlib.suppress(ValueError):
                self._event(int(line)).set()

    def _event(self, update_id: int) -> asyncio.Event:
        return self._events.setdefault(update_id, asyncio.Event())

    async def handled(self, update: dict[str, Any]) -> None:
        """Wait until the child has fully handled this update."""
        await asyncio.wait_for(self._event(update["update_id"]).wait(), WAIT_S)

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        if self._reader is not None:
            self._reader.cancel()


# ----------------------------------------------------------------------------- the child


def _say(line: str) -> None:
    os.write(1, (line + "\n").encode())


def _watch(app: Any) -> None:
    """Report an update once PTB is done with it (a dialog handler may stop it early)."""
    process = app.process_update

    async def process_update(update: object) -> None:
        try:
            await process(update)
        finally:
            update_id = getattr(update, "update_id", None)
            if update_id is not None:
                _say(str(update_id))

    app.process_update = process_update


async def _echo(api_url: str, concurrency: int, token: str) -> Any:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, MessageHandler, filters

    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .concurrent_updates(concurrency)
        .build()
    )

    async def echo(update: Update, _context: Any) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text)

    app.add_handler(MessageHandler(filters.TEXT, echo))
    _watch(app)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(timeout=1, poll_interval=0)
    return app


async def _shop(api_url: str, database_url: str, concurrency: int) -> Any:
    from tests.e2e.harness import BotUnderTest, seed_demo_catalog

    if seed := os.environ.get("BENCH_SEED"):
        # The tree's own migration and catalog import: another commit's schema may differ.
        await seed_demo_catalog(database_url, json.loads(seed))

    class Api:  # the harness only needs the server's address
        url = api_url

    bot = BotUnderTest(Api(), database_url, {"concurrent_updates": concurrency})  # type: ignore[arg-type]
    original = bot._watch

    def watch(app: Any) -> None:
        original(app)
        _watch(app)

    bot._watch = watch  # type: ignore[method-assign]
    await bot.start()
    return bot


async def _child(kind: str, api_url: str, database_url: str, concurrency: int) -> None:
    from bot.logs import configure_logging
    from tests.e2e.harness import TOKEN

    # The product's logging (bot/logs.py), as a deployment runs it: warnings, no library
    # chatter (APScheduler's "maximum number of running instances reached" at each tick that
    # finds the outbox's run still going is how the outbox is meant to run).
    configure_logging("WARNING")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    if kind == "echo":
        app = await _echo(api_url, concurrency, TOKEN)
    else:
        bot = await _shop(api_url, database_url, concurrency)
    _say("ready")
    if _PROFILER is not None:  # the updates only: start-up (imports, migration) left out
        _PROFILER.enable()
    await stop.wait()
    if _PROFILER is not None:
        _PROFILER.disable()
    if kind == "echo":
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    else:
        await bot.stop()


_PROFILER: Any = None  # BENCH_PROFILE: the profiler, enabled once the bot is ready


class _Started:
    """pyinstrument's profiler as cProfile's enable/disable."""

    def __init__(self, profiler: Any) -> None:
        self.enable, self.disable = profiler.start, profiler.stop


class _NoSniffio:
    """Hides sniffio, as the environment was before issue 13 declared it."""

    @staticmethod
    def find_spec(name: str, *_args: Any) -> None:
        if name == "sniffio":
            raise ModuleNotFoundError("No module named 'sniffio'", name=name)


if __name__ == "__main__":
    sys.path.insert(0, str(TREE))
    if os.environ.get("BENCH_HIDE_SNIFFIO"):
        sys.meta_path.insert(0, _NoSniffio())  # type: ignore[arg-type]
    kind, url, database, workers = sys.argv[1:5]
    run = _child(kind, url, database, int(workers))
    profile = os.environ.get("BENCH_PROFILE", "")  # the shop's only, never the echo bot's
    if kind == "echo" or not profile:
        asyncio.run(run)
    elif profile.endswith(".prof"):  # cProfile from "ready" on: self time per function
        import cProfile
        import time

        # The main thread's CPU time, not the clock's: on a loaded machine a system call
        # that lets another process run would be charged with the other process's time.
        _PROFILER = cProfile.Profile(time.thread_time)
        try:
            asyncio.run(run)
        finally:
            _PROFILER.dump_stats(profile)
    else:  # pyinstrument (a local tool, not a dependency), from "ready" on: a call tree
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005, async_mode="disabled")
        _PROFILER = _Started(profiler)
        try:
            asyncio.run(run)
        finally:
            Path(profile).write_text(profiler.output_text(unicode=True, show_all=False))
            Path(profile + ".html").write_text(profiler.output_html())
            if profiler.last_session is not None:  # pyinstrument --load FILE to look again
                profiler.last_session.save(profile + ".pyisession")
