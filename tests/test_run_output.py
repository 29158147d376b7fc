"""What ``dockwatch run`` prints: one format for every process, dockwatch's own lines at INFO,
and an unreachable upstream named by its cause with the next try, every time it is mentioned."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest

from fake_upstream import FakeUpstream
from tests.cli_helpers import cli_env, run_cli
from tests.run_helpers import RunningJob, free_port, wait_until
from worker.log_format import LINE

# RFC 6761: a name under .invalid never resolves.
NOWHERE = "http://no-such-host.invalid/2.2.0"
NEXT_TRY = re.compile(r"next try at \d\d:\d\d:\d\d UTC|nothing is sent before|the first poll tries")
NOISE = (
    "Context impl",  # Alembic
    "Will assume",  # Alembic
    "Running upgrade",  # Alembic
    "succeeded in",  # Celery's task result
    "] received",  # Celery's task receipt
    "Sending due task",  # beat
    "Started server process",  # uvicorn
    "Traceback",
)


@pytest.mark.slow
def test_run_against_an_unresolvable_upstream_reads_as_one_log(
    redis_prefix: str, tmp_path: Path
) -> None:
    env = cli_env(
        f"sqlite:///{tmp_path / 'run.db'}",
        redis_prefix,
        NOWHERE,
        DOCKWATCH_HTTP_MAX_ATTEMPTS="1",
        DOCKWATCH_RATE_LIMIT_PER_HOUR="3600",
        DOCKWATCH_RATE_LIMT_PER_HOUR="3600",  # misspelt: a warning, once for the whole job
    )
    job = RunningJob(env, ["run", "--port", str(free_port())], tmp_path)
    try:
        wait_until(lambda: "sync poll stopped early (upstream)" in job.stderr(), "a failed poll")
        wait_until(lambda: "stopped early (backoff)" in job.stderr(), "a cycle the back-off held")
        code = job.interrupt(signal.SIGINT)
    finally:
        job.kill_everything()

    stderr = job.stderr()
    lines = stderr.splitlines()
    assert code == 0
    assert [line for line in lines if not LINE.match(line)] == []
    assert [noise for noise in NOISE if noise in stderr] == []
    assert " INFO worker.cli.supervisor: started worker" in stderr  # INFO is the default level
    about_it = [line for line in lines if "unreachable" in line or "no-such-host" in line]
    assert len(about_it) >= 4  # the start's probe, the client, the failed and the held cycle
    for line in about_it:
        assert "cannot resolve no-such-host.invalid" in line, line
        assert NEXT_TRY.search(line), line
    typo = [line for line in lines if "DOCKWATCH_RATE_LIMT_PER_HOUR" in line]
    assert len(typo) == 1
    assert "did you mean DOCKWATCH_RATE_LIMIT_PER_HOUR?" in typo[0]


def test_one_shot_commands_log_warnings_only_unless_the_level_is_set(
    database_url: str, redis_prefix: str, fake: FakeUpstream, tmp_path: Path
) -> None:
    env = cli_env(database_url, redis_prefix, fake.base_url)
    quiet = run_cli(env, "sync", cwd=tmp_path)
    told = run_cli({**env, "DOCKWATCH_LOG_LEVEL": "info"}, "sync", cwd=tmp_path)
    verbose = run_cli(env, "sync", "--verbose", cwd=tmp_path)

    assert (quiet.returncode, told.returncode, verbose.returncode) == (0, 0, 0)
    assert quiet.stderr == ""
    assert [line for line in told.stderr.splitlines() if not LINE.match(line)] == []
    assert " INFO worker.sync.cycle: sync poll complete: requests=1" in told.stderr
    assert " DEBUG worker.upstream.client: GET /2.2.0/docking_event/" in verbose.stderr


def test_a_bad_log_level_is_one_line_and_exit_2(
    database_url: str, redis_prefix: str, fake: FakeUpstream, tmp_path: Path
) -> None:
    env = cli_env(database_url, redis_prefix, fake.base_url, DOCKWATCH_LOG_LEVEL="LOUD")
    result = run_cli(env, "sync", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "invalid setting DOCKWATCH_LOG_LEVEL" in result.stderr
