"""The offline demo end to end: a docking and an undocking reach a ``dockwatch subscribe``."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import redis
from click.testing import CliRunner

from tests.cli_helpers import REDIS_URL, REPO, dockwatch_argv
from tests.run_helpers import RunningJob, free_port, session_pids, wait_until
from worker.cli import main as dockwatch_cli


def demo_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKWATCH_")}
    env.update(DOCKWATCH_REDIS_URL=REDIS_URL, PYTHONPATH=str(REPO), **extra)
    return env


def run_demo(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``dockwatch demo ARGS`` to completion (for the ones that end at once)."""
    return subprocess.run(
        dockwatch_argv("demo", *args),
        env=demo_env(),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
def test_demo_plays_a_docking_and_an_undocking_that_a_subscriber_prints(
    redis_prefix: str, redis_client: redis.Redis, tmp_path: Path
) -> None:
    stream = f"{redis_prefix}:events"
    # The second terminal: started first, it creates its group; --from-start covers any race.
    subscriber = subprocess.Popen(
        dockwatch_argv("subscribe", "--from-start", "--count", "2"),
        env=demo_env(DOCKWATCH_STREAM=stream),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    port = free_port()
    argv = dockwatch_argv("demo", "--port", str(port), "--pause", "0")
    argv += ["--exit-when-done", "--key-prefix", redis_prefix, "--stream", stream]
    demo = RunningJob(demo_env(), [], tmp_path, argv=argv)
    try:
        code = demo.process.wait(timeout=90)
        printed, errors = subscriber.communicate(timeout=30)
        wait_until(lambda: not session_pids(demo.pid), "the demo's processes to end", timeout=5)
    finally:
        demo.kill_everything()
        subscriber.kill()
        subscriber.wait()

    assert code == 0, demo.stdout() + demo.stderr()
    events = [json.loads(line) for line in printed.splitlines()]
    assert [e["type"] for e in events] == ["docking_event.docked", "docking_event.undocked"], errors
    assert events[0]["subject"] == events[1]["subject"]
    assert events[1]["data"]["changes"]["departure"][0] is None
    story = demo.stdout()
    assert "notification docking_event.docked" in story
    assert "notification docking_event.undocked" in story
    assert f"DOCKWATCH_STREAM={stream}" in story
    assert "subscribe --from-start" in story
    assert "curl -s 'http://127.0.0.1:" in story
    assert f"Open the live page in a browser: http://127.0.0.1:{port}/" in story
    assert f"curl -N http://127.0.0.1:{port}/events" in story
    assert "DOCKWATCH_DATABASE_URL=sqlite:///" in story
    # Its keys (budget, lock, Celery's queue and bindings) and its stream are gone with it.
    assert list(redis_client.scan_iter(match=f"*{redis_prefix}*")) == []


def printed_exports(story: str) -> dict[str, str]:
    """The variables of the demo's ``export …`` line, as a shell would set them."""
    [line] = [
        line for line in story.splitlines() if line.split("] ", 1)[-1].strip().startswith("export ")
    ]
    words = shlex.split(line.split("] ", 1)[1])
    assert words[0] == "export"
    return dict(word.split("=", 1) for word in words[1:])


def story_line(demo: RunningJob, start: str) -> int | None:
    """The index of the first line of the demo's story that starts with ``start`` (stamp aside)."""
    for index, line in enumerate(demo.stdout().splitlines()):
        if line.split("] ", 1)[-1].strip().startswith(start):
            return index
    return None


@pytest.mark.slow
def test_the_demo_shows_its_feed_once_the_mirror_answers_and_exports_its_whole_deployment(
    redis_prefix: str, tmp_path: Path
) -> None:
    port = free_port()
    mirror = f"http://127.0.0.1:{port}"
    argv = dockwatch_argv("demo", "--port", str(port), "--pause", "600", "--events", "40")
    argv += ["--key-prefix", redis_prefix, "--stream", f"{redis_prefix}:events"]
    demo = RunningJob(demo_env(), [], tmp_path, argv=argv)
    try:
        feed = wait_until(
            lambda: story_line(demo, f"curl -N {mirror}/events"), "the /events command", 90
        )
        # Printed only once the mirror answers: the command works the moment it is shown.
        assert httpx.get(f"{mirror}/healthz", timeout=5).status_code == 200
        answers = story_line(demo, f"the mirror answers at {mirror}")
        assert answers is not None
        assert answers < feed
        filled = wait_until(lambda: story_line(demo, "first fill done"), "the first fill", 90)
        held = re.search(r"the mirror holds (\d+) events", demo.stdout().splitlines()[filled])
        assert held is not None

        # `dockwatch status` with exactly the printed exports reports the demo's deployment.
        exports = printed_exports(demo.stdout())
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKWATCH_")}
        env.update(exports, PYTHONPATH=str(REPO))
        status = subprocess.run(
            dockwatch_argv("status", "--json"),
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert status.returncode == 0, status.stdout + status.stderr
        report = json.loads(status.stdout)
        assert report["events"] == int(held.group(1)) > 0  # the demo's database
        assert report["budget"]["limit"] == 1800  # the demo's budget, not the default 15
        assert report["budget"]["used"] >= 1  # its own prefix: the budget the demo spent
        assert report["stale"] is False
        assert exports["DOCKWATCH_KEY_PREFIX"] == redis_prefix
        assert exports["DOCKWATCH_UPSTREAM_URL"].startswith("http://127.0.0.1:")
        assert demo.interrupt() == 0
    finally:
        demo.kill_everything()


def test_demo_help_reads_like_the_other_commands() -> None:
    demo = CliRunner().invoke(dockwatch_cli, ["demo", "--help"], prog_name="dockwatch")
    sync = CliRunner().invoke(dockwatch_cli, ["sync", "--help"], prog_name="dockwatch")

    assert demo.exit_code == 0
    assert demo.output.startswith("Usage: dockwatch demo [OPTIONS]\n\n  The offline demo")
    assert sync.output.startswith("Usage: dockwatch sync [OPTIONS]\n\n")
    assert "\nOptions:\n" in demo.output
    assert "\nOptions:\n" in sync.output
    assert "--exit-when-done" in demo.output
    assert "[default: 8000; 1<=x<=65535]" in demo.output


def test_the_demo_refuses_a_key_prefix_in_use_and_deletes_nothing(
    redis_prefix: str, redis_client: redis.Redis, tmp_path: Path
) -> None:
    redis_client.set(f"{redis_prefix}:budget", "someone else's")
    port = str(free_port())
    result = run_demo(
        "--port", port, "--exit-when-done", "--key-prefix", redis_prefix, cwd=tmp_path
    )

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"dockwatch: Redis key '{redis_prefix}:budget' already exists")
    assert "--key-prefix" in result.stderr
    assert redis_client.get(f"{redis_prefix}:budget") == b"someone else's"


def test_the_demo_and_its_data_import_nothing_from_tests(tmp_path: Path) -> None:
    # Outside the checkout and without PYTHONPATH: what the installed packages import.
    code = (
        "import sys, worker.cli, worker.cli.offline_demo, fake_upstream\n"
        "assert len(fake_upstream.generate_history(20)) == 20\n"
        "print(sorted(m for m in sys.modules if m.partition('.')[0] == 'tests'))"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_fake_upstream_imports_nothing_of_the_product(tmp_path: Path) -> None:
    # Every module of the fake in a fresh interpreter: the demo's run is the product's, not its.
    code = (
        "import pkgutil, sys, fake_upstream\n"
        "for found in pkgutil.iter_modules(fake_upstream.__path__):\n"
        "    __import__(f'fake_upstream.{found.name}')\n"
        "product = {'models', 'worker', 'api_mirror', 'settings', 'celeryconfig'}\n"
        "print(sorted(m for m in sys.modules if m.partition('.')[0] in product))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_demo_with_a_busy_port_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_demo("--port", str(port), "--exit-when-done", cwd=REPO)

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("dockwatch: cannot serve the mirror")
    assert "--port" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_demo_whose_reader_goes_away_still_cleans_up(
    redis_prefix: str, redis_client: redis.Redis, tmp_path: Path
) -> None:
    # `dockwatch demo | head -3`: the pipe closes while the demo still has its story to tell.
    temp = tmp_path / "tmp"
    temp.mkdir()
    port = free_port()
    argv = dockwatch_argv("demo", "--port", str(port), "--pause", "0")
    argv += ["--exit-when-done", "--key-prefix", redis_prefix, "--stream", f"{redis_prefix}:ev"]
    demo = subprocess.Popen(
        argv,
        env=demo_env(TMPDIR=str(temp)),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        assert demo.stdout is not None
        first = [demo.stdout.readline() for _ in range(3)]
        demo.stdout.close()
        demo.wait(timeout=120)
        wait_until(lambda: not session_pids(demo.pid), "the demo's processes to end", timeout=30)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()

    assert all(first)
    assert list(temp.iterdir()) == []  # its database and files are gone
    assert list(redis_client.scan_iter(match=f"*{redis_prefix}*")) == []  # and its keys
