"""``dockwatch run``: the whole job in one foreground command, stopped without orphans."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import signal
import socket
import sqlite3
import sys
from pathlib import Path

import pytest

from fake_upstream import FakeUpstream
from tests.cli_helpers import cli_env
from tests.run_helpers import RunningJob, free_port, get_json, session_pids, wait_until
from worker.bootstrap import ServiceError
from worker.cli.console import ChildOutput, Console
from worker.cli.listener import check_port
from worker.cli.progress import FillProgress, Progress
from worker.cli.supervisor import Child, Supervisor, probe_upstream
from worker.log_format import LINE


def run_env(database_url: str, redis_prefix: str, fake: FakeUpstream) -> dict[str, str]:
    # 3600 requests an hour: a poll every ~1.3 s, so the test sees several cycles quickly.
    return cli_env(database_url, redis_prefix, fake.base_url, DOCKWATCH_RATE_LIMIT_PER_HOUR="3600")


def started_pids(stderr: str) -> dict[str, int]:
    """The children the supervisor reported, by name (the latest start wins)."""
    return {m[1]: int(m[2]) for m in re.finditer(r"started (\w+) \(pid (\d+)\)", stderr)}


def synced_status(base: str) -> dict[str, object] | None:
    status = get_json(f"{base}/status")
    return status if status and status.get("last_successful_sync") else None


@pytest.mark.slow
def test_run_serves_and_syncs_then_ctrl_c_stops_every_process(
    database_url: str, redis_prefix: str, fake: FakeUpstream, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    job = RunningJob(
        run_env(database_url, redis_prefix, fake), ["run", "--port", str(port)], tmp_path
    )
    try:
        wait_until(lambda: get_json(f"{base}/healthz") is not None, "the mirror")
        status = wait_until(lambda: synced_status(base), "a first sync")
        page = get_json(f"{base}/2.2.0/docking_event/?limit=1")
        wait_until(lambda: "first fill complete" in job.stderr(), "the progress report")
        processes = session_pids(job.pid)
        children = started_pids(job.stderr())

        code = job.interrupt(signal.SIGINT)
        wait_until(lambda: not session_pids(job.pid), "every child to exit", timeout=5)
    finally:
        job.kill_everything()

    assert set(children) == {"worker", "beat", "relay", "webhooks", "mirror"}
    assert set(children.values()) <= processes
    assert len(processes) >= 7  # the supervisor, its five children and the Celery pool process
    assert status["events"] == 650
    assert page["count"] == 650
    assert code == 0
    stderr = job.stderr()
    assert "dockwatch is running" in stderr
    # Plain progress lines (stderr is not a terminal); a fast fill may show only its end.
    assert "\r" not in stderr
    assert "Traceback" not in stderr
    assert "dockwatch stopped" in stderr


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_clean_stop_leaves_the_sqlite_database_without_its_wal_and_shm_files(
    signum: signal.Signals, redis_prefix: str, fake: FakeUpstream, tmp_path: Path
) -> None:
    database = tmp_path / "run.db"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    job = RunningJob(
        run_env(f"sqlite:///{database}", redis_prefix, fake), ["run", "--port", str(port)], tmp_path
    )
    try:
        wait_until(lambda: synced_status(base), "a first sync")
        wait_until(lambda: "first fill complete" in job.stderr(), "the progress report")
        # The worker wrote through WAL and the mirror reads: the side files are there now.
        open_with = sorted(path.name for path in tmp_path.glob("run.db*"))
        code = job.interrupt(signum)
        wait_until(lambda: not session_pids(job.pid), "every child to exit", timeout=5)
    finally:
        job.kill_everything()

    assert open_with == ["run.db", "run.db-shm", "run.db-wal"]
    assert code == 0
    # Every process closed its connections; the last one folded the WAL into the file.
    assert sorted(path.name for path in tmp_path.glob("run.db*")) == ["run.db"]
    with contextlib.closing(sqlite3.connect(database)) as connection:
        assert connection.execute("SELECT count(*) FROM docking_event").fetchone() == (650,)
    assert "Traceback" not in job.stderr()


def test_serve_ends_on_sigterm_like_on_ctrl_c_closing_the_database(
    redis_prefix: str, fake: FakeUpstream, tmp_path: Path
) -> None:
    # Compose stops a service with SIGTERM; uvicorn's own handling would end on it at once,
    # before the engine is disposed (the mirror may be the database's last process).
    port = free_port()
    env = run_env(f"sqlite:///{tmp_path / 'serve.db'}", redis_prefix, fake)
    job = RunningJob(env, ["serve", "--port", str(port)], tmp_path)
    try:
        page = wait_until(
            lambda: get_json(f"http://127.0.0.1:{port}/2.2.0/docking_event/"), "the mirror"
        )
        open_with = sorted(path.name for path in tmp_path.glob("serve.db*"))
        os.kill(job.pid, signal.SIGTERM)
        code = job.process.wait(timeout=30)
    finally:
        job.kill_everything()

    assert page["count"] == 0
    assert open_with == ["serve.db", "serve.db-shm", "serve.db-wal"]
    assert code == 0
    assert sorted(path.name for path in tmp_path.glob("serve.db*")) == ["serve.db"]
    assert "Traceback" not in job.stderr()


@pytest.mark.slow
def test_a_crashed_child_restarts_and_a_killed_supervisor_takes_its_children_along(
    redis_prefix: str, fake: FakeUpstream, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = run_env(f"sqlite:///{tmp_path / 'run.db'}", redis_prefix, fake)
    job = RunningJob(env, ["run", "--port", str(port)], tmp_path)
    try:
        wait_until(lambda: get_json(f"{base}/healthz") is not None, "the mirror")
        relay = started_pids(job.stderr())["relay"]
        os.kill(relay, signal.SIGKILL)
        wait_until(lambda: "relay exited with -9; restarting it" in job.stderr(), "a restart")
        restarted = wait_until(lambda: started_pids(job.stderr())["relay"] != relay, "new relay")
        alive_before = session_pids(job.pid)

        os.kill(job.pid, signal.SIGKILL)
        job.process.wait(timeout=10)
        # A child ends its task before it stops (Celery's warm shutdown): slow under load.
        wait_until(lambda: not session_pids(job.pid), "the children to follow", timeout=90)
    finally:
        job.kill_everything()

    assert restarted
    assert started_pids(job.stderr())["relay"] in alive_before
    assert relay not in alive_before


# --- the supervisor alone, with stand-in children ----------------------------------------------

STUBBORN = """
import os, signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"])
open(sys.argv[1], "w").write(str(child.pid))
time.sleep(600)
"""


def test_stop_kills_a_child_that_ignores_sigterm_and_its_grandchild(tmp_path: Path) -> None:
    marker = tmp_path / "grandchild.pid"
    polite = Child("polite", [sys.executable, "-c", "import time; time.sleep(600)"])
    stubborn = Child("stubborn", [sys.executable, "-c", STUBBORN, str(marker)])
    supervisor = Supervisor([polite, stubborn], grace=0.5)
    supervisor.start()
    grandchild = int(wait_until(lambda: marker.exists() and marker.read_text(), "the grandchild"))
    pids = {*supervisor.pids().values(), grandchild}

    supervisor.stop()

    # SIGKILL is delivered at once, but an orphaned grandchild is reaped by init when it gets
    # to it: wait (bounded) for every pid to be gone or a zombie.
    gone = lambda: all(not Path(f"/proc/{pid}").exists() or _zombie(pid) for pid in pids)  # noqa: E731
    assert wait_until(gone, "every process of the group to die", timeout=10)
    assert {r.process.returncode for r in supervisor.running.values()} == {-signal.SIGTERM, -9}


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_a_child_crashing_again_and_again_ends_the_wait_with_its_name(
    caplog: pytest.LogCaptureFixture,
) -> None:
    crasher = Child("crasher", [sys.executable, "-c", "raise SystemExit(3)"])
    sleeper = Child("sleeper", [sys.executable, "-c", "import time; time.sleep(600)"])
    supervisor = Supervisor([crasher, sleeper], grace=2)
    supervisor.start()
    try:
        dead = supervisor.wait(tick=0.05)
    finally:
        supervisor.stop()

    assert dead == "crasher"
    assert caplog.text.count("crasher exited with 3; restarting it") == 3
    assert "crasher exited with 3 again; stopping everything" in caplog.text


def test_children_log_at_the_supervisors_level_through_its_console(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)  # as with ``dockwatch run --quiet``
    out = io.StringIO()
    says = "import os, sys; print(os.environ['DOCKWATCH_LOG_LEVEL'], file=sys.stderr)"
    fails = "import sys; print('Traceback (most recent call last):'); sys.exit(3)"
    supervisor = Supervisor(
        [
            Child("level", [sys.executable, "-c", says]),
            Child("crash", [sys.executable, "-c", fails]),
        ],
        grace=1,
        console=Console(out),
    )
    supervisor.start()
    wait_until(lambda: all(r.exited() for r in supervisor.running.values()), "both to exit")
    supervisor.stop()

    lines = out.getvalue().splitlines()
    assert [line for line in lines if not LINE.match(line)] == []
    # The child's stray line is below the job's level; its traceback is not.
    assert [line.split(" ", 1)[1] for line in lines] == [
        "ERROR crash: Traceback (most recent call last):"
    ]


def test_a_childs_stray_output_gets_the_format_and_its_name(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    out = io.StringIO()
    says = "import os; print(os.environ['DOCKWATCH_LOG_LEVEL'])"
    supervisor = Supervisor([Child("level", [sys.executable, "-c", says])], console=Console(out))
    supervisor.start()
    wait_until(lambda: supervisor.running["level"].exited(), "the child to exit")
    supervisor.stop()

    assert [line.split(" ", 1)[1] for line in out.getvalue().splitlines()] == ["INFO level: INFO"]


def test_a_second_signal_kills_at_once() -> None:
    supervisor = Supervisor([], grace=60)
    supervisor.handle_signal(signal.SIGINT, None)
    assert supervisor.stopping.is_set()
    assert not supervisor.forced.is_set()
    supervisor.handle_signal(signal.SIGINT, None)
    assert supervisor.forced.is_set()


def test_a_busy_mirror_port_is_one_line_naming_the_fix() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ServiceError, match=r"--port") as caught:
            check_port("127.0.0.1", port)
    assert "\n" not in str(caught.value)
    check_port("127.0.0.1", free_port())  # a free one passes


def test_probe_upstream_names_a_refused_connection(fake: FakeUpstream) -> None:
    assert probe_upstream(fake.base_url) is None
    reason = probe_upstream(f"http://127.0.0.1:{free_port()}/2.2.0")
    assert reason is not None
    assert "refused" in reason.lower()


# --- progress rendering ------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def snapshot(events: int, *, done: bool = False, left: int = 9) -> Progress:
    return Progress(done, events, 650, left, 15, None if left else 1_900_000_000.0)


def test_progress_is_log_lines_off_a_terminal(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    out = io.StringIO()
    renderer = FillProgress(Console(out))
    for progress in (snapshot(99), snapshot(99), snapshot(0, left=0), snapshot(650, done=True)):
        renderer.show(progress)

    assert out.getvalue() == ""
    assert [r.getMessage() for r in caplog.records if r.name == "worker.cli.progress"] == [
        "first fill: 99/650 events, budget 9/15 left",
        "first fill: 0/650 events, budget 0/15 left, resumes at 17:46:40 UTC",
        "first fill complete: 650 events",
    ]


def test_progress_is_a_redrawn_bar_on_a_terminal(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    out = Terminal()
    renderer = FillProgress(Console(out))
    renderer.show(snapshot(325))
    renderer.show(snapshot(650, done=True))

    text = out.getvalue()
    assert text.startswith("\r[" + "#" * 15 + "-" * 15 + "] first fill: 325/650")
    assert "\r[" + "#" * 30 + "] first fill complete" in text
    assert text.endswith("\n")
    assert text.count("\n") == 1


def test_a_log_line_never_breaks_the_progress_bar(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    out = Terminal()
    console = Console(out)
    renderer = FillProgress(console)
    renderer.show(snapshot(325))
    console.line("2026-12-07T08:00:00Z WARNING worker.upstream.client: upstream unreachable")
    renderer.show(snapshot(650, done=True))

    # What a terminal shows: "\r" returns to the line's start and "\033[K" clears the rest.
    screen = [part.split("\r")[-1].replace("\033[K", "") for part in out.getvalue().split("\n")]
    assert screen == [
        "2026-12-07T08:00:00Z WARNING worker.upstream.client: upstream unreachable",
        "[" + "#" * 30 + "] first fill complete: 650 events",
        "",
    ]
    # The bar was redrawn below the log line at once, before the next snapshot.
    assert "unreachable\n[" + "#" * 15 in out.getvalue()


def test_a_childs_lines_reach_the_console_in_the_one_format(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)  # the job's level: stray INFO lines are shown
    output = ChildOutput("worker", io.BytesIO(), Console(io.StringIO()))
    ours = "2026-12-07T08:00:00Z INFO worker.sync.cycle: sync poll complete: requests=1"

    assert output.shown(ours) == ours
    assert output.shown("") is None
    stray = output.shown("worker: Warm shutdown (MainProcess)")
    trace = [
        output.shown(text)
        for text in ("Traceback (most recent call last):", '  File "x.py", line 1', "KeyError: 1")
    ]
    after = output.shown("plain again")
    shown = [line or "" for line in (stray, *trace, after)]
    assert [line for line in shown if not LINE.match(line)] == []
    assert " INFO worker: worker: Warm shutdown" in shown[0]
    assert all(" ERROR worker: " in line for line in shown[1:4])
    assert " INFO worker: plain again" in shown[4]


def test_a_killed_pool_process_s_quoted_traceback_is_all_error_lines(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)  # the job's level: stray INFO lines are shown
    # What billiard prints when a pool process dies under the Celery worker.
    output = ChildOutput("worker", io.BytesIO(), Console(io.StringIO()))
    billiard = [
        "Traceback (most recent call last):",
        '  File "billiard/pool.py", line 1265, in mark_as_worker_lost',
        "    raise WorkerLostError(",
        "billiard.einfo.ExceptionWithTraceback:",
        '"""',
        "Traceback (most recent call last):",
        '  File "billiard/pool.py", line 1265, in mark_as_worker_lost',
        "billiard.exceptions.WorkerLostError: Worker exited prematurely: signal 9 (SIGKILL).",
        '"""',
    ]
    shown = [output.shown(text) or "" for text in billiard]
    after = output.shown("plain again") or ""

    assert all(" ERROR worker: " in line for line in shown), shown
    assert " INFO worker: plain again" in after
