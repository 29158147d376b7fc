"""``dockwatch sync`` as a real process: honest exit codes, one-line messages, a dead network
that costs no budget, a lock a killed sync leaves behind, and credentials that stay secret."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import signal
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import MetaData, select
from sqlalchemy.engine import make_url

from fake_upstream import FakeUpstream
from models.store.db import make_engine
from tests.cli_helpers import cli_env, run_cli, start_cli
from tests.worker.test_cli_sync import wait_until

INSTANT = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"


@pytest.fixture
def env(database_url: str, redis_prefix: str, fake: FakeUpstream) -> dict[str, str]:
    return cli_env(database_url, redis_prefix, fake.base_url)


def summary_of(stdout: str) -> dict[str, Any]:
    return dict(json.loads(stdout.strip().splitlines()[-1]))


def own_lines(stderr: str) -> list[str]:
    """dockwatch's own stderr lines (log lines, which carry a timestamp, left out)."""
    assert "Traceback" not in stderr
    return [line for line in stderr.splitlines() if line.startswith("dockwatch:")]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens once the socket is closed


# ------------------------------------------------------------------------------ exit 75


def test_a_sync_stopped_by_the_budget_exits_75_saying_when_it_resumes(
    env: dict[str, str], tmp_path: Path
) -> None:
    env["DOCKWATCH_RATE_LIMIT_PER_HOUR"] = "3"  # the first fill needs 7 pages

    result = run_cli(env, "sync", cwd=tmp_path)

    assert result.returncode == 75, result.stderr
    summary = summary_of(result.stdout)
    assert (summary["complete"], summary["reason"], summary["requests"]) == (False, "budget", 3)
    assert 0 < summary["created"] < 650  # what was fetched is kept
    [line] = own_lines(result.stderr)
    assert re.fullmatch(
        r"dockwatch: sync stopped early by the request budget; resumes at"
        r" \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",  # to the second: the JSON has the microseconds
        line,
    )
    assert line.endswith(summary["resume_at"][:19] + "Z")


def test_a_full_sync_stopped_by_the_budget_exits_75_and_is_not_complete(
    env: dict[str, str], tmp_path: Path, fake: FakeUpstream
) -> None:
    env["DOCKWATCH_RATE_LIMIT_PER_HOUR"] = "9"  # the fill takes 7; the full walk needs 1 + 7
    assert run_cli(env, "sync", cwd=tmp_path).returncode == 0
    fake.log.clear()

    result = run_cli(env, "sync", "--full", cwd=tmp_path)

    assert result.returncode == 75, result.stderr
    summary = summary_of(result.stdout)
    assert (summary["complete"], summary["reason"], summary["requests"]) == (False, "budget", 2)
    assert [r.params.get("offset", "0") for r in fake.log.records if r.route == "list"] == [
        "0",  # the poll's page
        "0",  # the walk's first page, from the list's start
    ]
    [line] = own_lines(result.stderr)
    assert line.startswith("dockwatch: sync stopped early by the request budget; resumes at ")


def test_a_sync_stopped_by_a_429_exits_75_saying_when_it_resumes(
    env: dict[str, str], tmp_path: Path, fake: FakeUpstream
) -> None:
    fake.faults.throttle(900)
    started = dt.datetime.now(dt.UTC)

    result = run_cli(env, "sync", cwd=tmp_path)

    assert result.returncode == 75, result.stderr
    summary = summary_of(result.stdout)
    assert (summary["complete"], summary["reason"]) == (False, "throttled")
    [line] = own_lines(result.stderr)
    assert line.startswith("dockwatch: sync stopped early by upstream's 429; resumes at ")
    resumes = dt.datetime.fromisoformat(line.rsplit(" ", 1)[1])
    assert dt.timedelta(seconds=899) <= resumes - started <= dt.timedelta(seconds=1000)


def test_a_sync_held_back_by_an_earlier_429_says_so_not_the_budget(
    env: dict[str, str], tmp_path: Path, fake: FakeUpstream
) -> None:
    fake.faults.throttle(900, times=1)
    first = run_cli(env, "sync", cwd=tmp_path)
    requests = fake.log.count()

    second = run_cli(env, "sync", cwd=tmp_path)  # the budget has room; the deadline holds

    assert first.returncode == second.returncode == 75
    assert summary_of(second.stdout)["reason"] == "throttled"
    [line] = own_lines(second.stderr)
    assert line.startswith("dockwatch: sync stopped early by upstream's 429; resumes at ")
    assert fake.log.count() == requests  # nothing was sent before the deadline


def test_a_complete_sync_exits_0_with_nothing_of_its_own_on_stderr(
    env: dict[str, str], tmp_path: Path
) -> None:
    result = run_cli(env, "sync", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert summary_of(result.stdout)["complete"] is True
    assert own_lines(result.stderr) == []


# ------------------------------------------------------------------- a dead network


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "dockwatch-test.invalid"])
def test_an_unreachable_upstream_costs_no_budget_and_backs_off(
    env: dict[str, str], tmp_path: Path, host: str
) -> None:
    port = closed_port()
    env["DOCKWATCH_UPSTREAM_URL"] = f"http://{host.format(port=port)}/2.2.0"
    cause = (
        f"127.0.0.1:{port} refused the connection"
        if host.startswith("127.")
        else "cannot resolve dockwatch-test.invalid: "
    )

    failed = run_cli(env, "sync", cwd=tmp_path)
    backing_off = run_cli(env, "sync", cwd=tmp_path)
    report = json.loads(run_cli(env, "status", "--json", cwd=tmp_path).stdout)
    text = run_cli(env, "status", cwd=tmp_path).stdout

    assert failed.returncode == 1, failed.stderr
    [line] = own_lines(failed.stderr)
    assert line.startswith(f"dockwatch: sync failed: GET /2.2.0/docking_event/ failed: {cause}")
    assert "DOCKWATCH_UPSTREAM_URL" in line
    assert summary_of(failed.stdout)["requests"] == 0
    assert backing_off.returncode == 75, backing_off.stderr
    [line] = own_lines(backing_off.stderr)
    assert line.startswith(
        "dockwatch: sync stopped early by the back-off after connection failures "
        f"(upstream was unreachable once ({cause}"
    )
    assert "; nothing is sent before " in line
    assert (report["budget"]["used"], report["budget"]["left"]) == (0, 15)
    backoff = report["budget"]["unreachable"]
    assert backoff["failures"] == 1
    assert backoff["error"].startswith(cause)
    span = dt.datetime.fromisoformat(backoff["until"]) - dt.datetime.fromisoformat(backoff["since"])
    assert span.total_seconds() == pytest.approx(30, abs=1)
    assert f"upstream back-off: 1 connection failure(s) in a row ({cause}" in text


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize("path", ["", "/", "/api", "/2.2.0/docking_event"])
def test_an_upstream_url_without_a_version_is_a_bad_setting(
    env: dict[str, str], tmp_path: Path, fake: FakeUpstream, path: str
) -> None:
    env["DOCKWATCH_UPSTREAM_URL"] = f"http://127.0.0.1:{fake.port}{path}"

    result = run_cli(env, "sync", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("dockwatch: invalid setting DOCKWATCH_UPSTREAM_URL: ")
    assert "API version" in result.stderr
    assert fake.request_count() == 0


# ------------------------------------------------------------------ the lock's holder


@pytest.fixture
def lock_key(redis_prefix: str) -> str:
    return f"{redis_prefix}:sync-lock"


@pytest.fixture
def start_holder(
    env: dict[str, str],
    tmp_path: Path,
    fake: FakeUpstream,
    redis_client: redis.Redis,
    lock_key: str,
) -> Callable[[float], subprocess.Popen[str]]:
    """Starts a ``dockwatch sync`` held N seconds in its first request; returns once it holds
    the lock."""

    def start(hold: float) -> subprocess.Popen[str]:
        fake.faults.slow(hold)
        process = start_cli(env, "sync", cwd=tmp_path)
        wait_until(lambda: redis_client.exists(lock_key) == 1, "the lock")
        return process

    return start


def test_a_sigkilled_sync_leaves_a_lock_the_next_sync_takes_over_at_once(
    env: dict[str, str],
    tmp_path: Path,
    fake: FakeUpstream,
    redis_client: redis.Redis,
    lock_key: str,
    start_holder: Callable[[float], subprocess.Popen[str]],
) -> None:
    first = start_holder(60)
    held = json.loads(run_cli(env, "status", "--json", cwd=tmp_path).stdout)["lock"]
    text = run_cli(env, "status", cwd=tmp_path).stdout
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=60)
    after_kill = run_cli(env, "status", cwd=tmp_path).stdout
    fake.faults.clear()
    left_for = redis_client.pttl(lock_key)

    second = run_cli(env, "sync", cwd=tmp_path)

    assert first.returncode == -signal.SIGKILL
    assert (held["held"], held["pid"], held["host"]) == (True, first.pid, socket.gethostname())
    assert f"sync lock: held by process {first.pid} on {socket.gethostname()} since " in text
    assert f"sync lock: held by process {first.pid} on {socket.gethostname()}, which is gone" in (
        after_kill
    )
    assert isinstance(left_for, int)
    assert left_for > 10_000  # the dead holder's lock had most of its 60 s TTL left
    assert second.returncode == 0, second.stderr
    assert "already running" not in second.stderr
    assert f"from process {first.pid} on this host, which died holding it" in second.stderr
    assert summary_of(second.stdout)["created"] == 650
    assert json.loads(run_cli(env, "status", "--json", cwd=tmp_path).stdout)["lock"] == {
        "held": False
    }


def test_a_busy_sync_names_the_live_holder(
    env: dict[str, str], tmp_path: Path, start_holder: Callable[[float], subprocess.Popen[str]]
) -> None:
    first = start_holder(8)

    second = run_cli(env, "sync", cwd=tmp_path)
    first.communicate(timeout=120)

    assert second.returncode == 0
    assert own_lines(second.stderr) == [
        f"dockwatch: a sync cycle is already running (process {first.pid} on "
        f"{socket.gethostname()}); nothing to do"
    ]


# ------------------------------------------------------------------------ credentials


def _table_text(database_url: str) -> str:
    """Every row of every table as text."""
    engine = make_engine(database_url)
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        rows = [
            str(row)
            for table in metadata.sorted_tables
            for row in connection.execute(select(table))
        ]
    engine.dispose()
    return "\n".join(rows)


def test_credentials_in_urls_never_reach_logs_notifications_or_tables(
    env: dict[str, str],
    tmp_path: Path,
    fake: FakeUpstream,
    database_url: str,
    redis_client: redis.Redis,
    redis_prefix: str,
) -> None:
    secret = "Upstr3am-s3cret"
    env["DOCKWATCH_UPSTREAM_URL"] = f"http://reader:{secret}@127.0.0.1:{fake.port}/2.2.0"
    env["DOCKWATCH_NOTIFY_BACKFILL"] = "true"  # the fill notifies: 650 docked events
    db_secret = "Datab4se-s3cret"
    if database_url.startswith("postgresql"):  # trust auth: any password is accepted
        url = make_url(database_url).set(password=db_secret)
        env["DOCKWATCH_DATABASE_URL"] = url.render_as_string(hide_password=False)

    result = run_cli(env, "-v", "sync", cwd=tmp_path)
    status = run_cli(env, "status", "--json", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "HTTP Request: GET http://127.0.0.1:" in result.stderr  # -v: httpx's own lines
    stream = redis_client.xrange(f"{redis_prefix}:events")
    assert isinstance(stream, list)
    assert len(stream) >= 650  # a docked per event, an undocked per visit already over
    sources = {
        json.loads(fields[b"event"])["source"].split("/docking_event/")[0] for _, fields in stream
    }
    assert sources == {f"http://127.0.0.1:{fake.port}/2.2.0"}
    for text in (result.stdout, result.stderr, status.stdout, status.stderr, str(stream)):
        assert secret not in text
        assert db_secret not in text
    assert secret not in _table_text(database_url)
    expected = "Basic " + base64.b64encode(f"reader:{secret}".encode()).decode()
    assert {record.header("authorization") for record in fake.requests} == {expected}


def test_a_redis_password_never_reaches_the_error(env: dict[str, str], tmp_path: Path) -> None:
    env["DOCKWATCH_REDIS_URL"] = "redis://:R3dis-s3cret@127.0.0.1:1/0"

    result = run_cli(env, "sync", cwd=tmp_path)

    assert result.returncode == 1
    [line] = own_lines(result.stderr)
    assert "R3dis-s3cret" not in result.stderr
    assert "redis://:***@127.0.0.1:1/0" in line
