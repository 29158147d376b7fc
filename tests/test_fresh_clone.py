"""A newcomer's path: clone, the README's test command, the main job, a docked notification.

The slow test clones the repository's HEAD into a temporary folder, runs ``make test`` there
exactly as the README writes it (on a reduced selection), then starts ``dockwatch run`` from the
clone's own virtualenv against the fake upstream, docks a spacecraft upstream and expects the
clone's ``dockwatch subscribe`` to print the docked event. The fast tests keep the README honest:
its settings table covers every setting, its Python examples run.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from sqlmodel import SQLModel

from fake_upstream import DEFAULT_NOW, FakeUpstream, generate_history, make_event
from models.store.db import make_engine
from settings import ENV_PREFIX, Settings
from tests.cli_helpers import REDIS_URL, REPO, cli_env
from tests.docs_helpers import documentation
from tests.run_helpers import RunningJob, free_port, get_json, session_pids, wait_until
from worker.cli.errors import EXIT_CONFIG, EXIT_FAILURE, EXIT_STALE

README = (REPO / "README.md").read_text()
# The README and its docs/ pages: what a user reads.
DOCS = documentation()
CONFIGURATION = (REPO / "docs" / "configuration.md").read_text()
SELECTION = "tests/test_compose.py -x -q"


def readme_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOCS, re.DOTALL)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a newcomer's shell: no dockwatch settings, no virtualenv active."""
    drop = ("DOCKWATCH_", "PYTHONPATH", "VIRTUAL_ENV", "PYTEST_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(extra)
    return env


@pytest.fixture
def fake() -> Iterator[FakeUpstream]:
    with FakeUpstream(generate_history(120, 4, seed=11), now=DEFAULT_NOW) as upstream:
        yield upstream


@pytest.mark.slow
def test_a_fresh_clone_tests_runs_and_notifies(
    tmp_path: Path, redis_prefix: str, fake: FakeUpstream
) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True, timeout=60)
    test_command = "make test"
    assert test_command in README

    tested = subprocess.run(
        ["make", "test", f"PYTEST_ARGS={SELECTION}"],
        cwd=clone,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert tested.returncode == 0, tested.stdout[-3000:] + tested.stderr[-3000:]
    assert re.search(r"\d+ passed", tested.stdout), tested.stdout[-2000:]
    dockwatch = clone / ".venv" / "bin" / "dockwatch"
    assert dockwatch.exists()

    workdir = tmp_path / "job"
    workdir.mkdir()
    env = cli_env(
        f"sqlite:///{workdir / 'dockwatch.db'}",
        redis_prefix,
        fake.base_url,
        DOCKWATCH_RATE_LIMIT_PER_HOUR="3600",
    )
    env.pop("PYTHONPATH")  # the clone's own installation, not this checkout
    port = free_port()
    job = RunningJob(env, [], workdir, argv=[str(dockwatch), "run", "--port", str(port)])
    subscriber: subprocess.Popen[str] | None = None
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: (get_json(f"{base}/2.2.0/docking_event/?limit=1") or {}).get("count")
                   == 120, "the first fill")  # fmt: skip
        subscriber = subprocess.Popen(
            [str(dockwatch), "subscribe", "--from-start", "--count", "1"],
            env=env,
            cwd=workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        event_id = max(fake.ids) + 1
        fake.add_event(make_event(event_id, datetime.now(UTC), now=DEFAULT_NOW))
        printed, errors = subscriber.communicate(timeout=60)
        commands = [cmdline(pid) for pid in session_pids(job.pid)]
        code = job.interrupt(signal.SIGINT)
        wait_until(lambda: not session_pids(job.pid), "the job's processes to end", timeout=5)
    finally:
        job.kill_everything()
        if subscriber is not None and subscriber.poll() is None:
            subscriber.kill()
            subscriber.wait()

    event = json.loads(printed)
    assert (event["type"], event["subject"]) == ("docking_event.docked", str(event_id)), errors
    assert code == 0
    # Every process of the job runs the clone's interpreter and code.
    assert len(commands) >= 5
    assert all(str(clone) in command for command in commands), commands


def cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_the_settings_table_lists_every_setting() -> None:
    documented = set(re.findall(r"^\| `(DOCKWATCH_[A-Z_]+)` \|", CONFIGURATION, re.MULTILINE))
    fields = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    assert documented == fields


def test_the_settings_table_states_the_real_defaults() -> None:
    rows = dict(re.findall(r"^\| `(DOCKWATCH_[A-Z_]+)` \| ([^|]+) \|", CONFIGURATION, re.MULTILINE))
    for name, field in Settings.model_fields.items():
        written = rows[ENV_PREFIX + name.upper()].strip().strip("`")
        default = field.default
        if default is None:
            assert written == "unset", name
        elif isinstance(default, bool):
            assert written == str(default).lower(), name
        elif isinstance(default, float):
            assert float(written) == default, name
        else:
            assert written == str(default), name


def readme_block(needle: str) -> str:
    return next(block for block in readme_blocks("python") if needle in block)


def test_the_readme_python_examples_compile_and_the_offline_query_reads_the_database_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocks = readme_blocks("python")
    assert len(blocks) == 3  # the subscriber, the webhook receiver, the offline query
    for block in blocks:
        compile(block, "README.md", "exec")
    monkeypatch.chdir(tmp_path)  # no ./dockwatch.db here: the setting must be read
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    monkeypatch.setenv("DOCKWATCH_DATABASE_URL", url)

    exec(readme_block("query_events"), {})

    assert capsys.readouterr().out.strip() == "0 []"
    assert not (tmp_path / "dockwatch.db").exists()


def test_the_readme_subscriber_follows_the_stream_setting_and_ends_cleanly_on_ctrl_c(
    redis_client: redis.Redis, redis_prefix: str, tmp_path: Path
) -> None:
    stream = f"{redis_prefix}:events"
    env = clean_env(
        DOCKWATCH_REDIS_URL=REDIS_URL,
        DOCKWATCH_STREAM=stream,
        PYTHONPATH=str(REPO),
        PYTHONUNBUFFERED="1",
    )
    example = subprocess.Popen(
        [sys.executable, "-c", readme_block("Subscriber(")],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        event = {
            "id": "e1",
            "type": "docking_event.docked",
            "subject": "7",
            "data": {"docking_event": {"docking": "2025-04-04T02:05:33Z"}},
        }
        redis_client.xadd(stream, {"event": json.dumps(event)})
        assert example.stdout is not None
        # Bounded: an example on another stream would wait forever.
        assert select.select([example.stdout], [], [], 30)[0], "the example printed nothing"
        printed = example.stdout.readline()
        example.send_signal(signal.SIGINT)
        code = example.wait(timeout=30)
        errors = example.communicate()[1]
    finally:
        if example.poll() is None:
            example.kill()
            example.wait()

    assert printed == "docked: 7 2025-04-04T02:05:33Z\n"
    assert code == 0
    assert errors == ""


OPERATIONS = (REPO / "docs" / "operations.md").read_text()
TROUBLE = OPERATIONS[OPERATIONS.index("## Troubleshooting") :]
SOURCES = "\n".join(
    path.read_text()
    for package in ("worker", "models", "fake_upstream", "settings.py")
    for path in ([REPO / package] if package.endswith(".py") else (REPO / package).rglob("*.py"))
)


def test_the_troubleshooting_messages_are_ones_the_code_prints() -> None:
    messages = re.findall(r"^\| `dockwatch: ([^`]+)`", TROUBLE, re.MULTILINE)
    assert len(messages) >= 8
    for message in messages:
        # `dockwatch sync` prints "sync failed: <the upstream error>", and the client's error is
        # "GET <target> failed: <the cause>": each part is its own source.
        error = message.removeprefix("sync failed: ")
        readings = {message, error, re.sub(r"^GET \S+ failed: ", "", error)}
        assert any(_fixed_words(reading) in SOURCES for reading in readings), message


def _fixed_words(message: str) -> str:
    """The first words of ``message`` between placeholders (an elision, a quoted name, a URL, a
    variable's name, a number), or "" when they are too few to identify a source."""
    pieces = re.split(r"…|'|redis://|127\.0\.0\.1|DOCKWATCH_\w*|\b\d+\b", message)
    fixed = next((piece for piece in pieces if piece.strip()), "")
    return fixed if len(fixed) >= 10 else "\0"


def test_the_troubleshooting_exit_codes_are_the_code_s() -> None:
    codes = {int(code) for code in re.findall(r"`(\d+)` ", TROUBLE.split("\n\n")[1])}
    assert {0, EXIT_FAILURE, EXIT_CONFIG, EXIT_STALE} <= codes


def test_the_readme_names_the_real_commands() -> None:
    commands = (
        "run",
        "sync",
        "serve",
        "subscribe",
        "status",
        "budget show",
        "budget reset",
        "db upgrade",
        "demo",
        "webhooks add",
    )
    for command in commands:
        assert f"`dockwatch {command}" in DOCS, command
    makefile = (REPO / "Makefile").read_text()
    for target in ("run", "test", "demo"):
        assert f"make {target}" in README
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target


def test_make_run_installs_no_test_or_lint_tools() -> None:
    """``make run``'s install step is dockwatch alone; the dev extra is ``make install``'s."""
    printed = subprocess.run(
        ["make", "--dry-run", "--always-make", "run"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installs = [line for line in printed.splitlines() if "pip install" in line and "-e" in line]
    assert installs, printed
    assert all("[dev" not in line for line in installs), installs
