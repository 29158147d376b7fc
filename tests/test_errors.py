"""Expected failures are one line naming the problem and the fix, never a traceback.

Unreachable Redis, an unreachable or malformed database URL and invalid settings stop every
command at once (exit 1, or 2 for a setting). An unreachable upstream when ``dockwatch run``
starts is a one-line warning, not fatal: the mirror still serves the local copy and every poll
retries, so a network blip at start does not take the service down.
"""

from __future__ import annotations

import re
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner
from sqlalchemy import inspect, text
from sqlalchemy.exc import OperationalError

from fake_upstream import DEFAULT_NOW, FakeUpstream, generate_history
from models.store.db import make_engine
from tests.cli_helpers import cli_env, run_cli
from tests.run_helpers import RunningJob, free_port, get_json, wait_until
from worker.cli import main


@pytest.fixture
def fake() -> Iterator[FakeUpstream]:
    with FakeUpstream(generate_history(20, 2, seed=7), now=DEFAULT_NOW) as upstream:
        yield upstream


@pytest.fixture
def env(tmp_path: Path, redis_prefix: str, fake: FakeUpstream) -> dict[str, str]:
    return cli_env(f"sqlite:///{tmp_path / 'errors.db'}", redis_prefix, fake.base_url)


def assert_one_line(stderr: str, *needles: str) -> None:
    assert "Traceback" not in stderr
    assert stderr.count("\n") == 1, stderr
    for needle in needles:
        assert needle in stderr, stderr


@pytest.mark.parametrize("command", [["run"], ["sync"]])
def test_unreachable_redis(env: dict[str, str], tmp_path: Path, command: list[str]) -> None:
    env["DOCKWATCH_REDIS_URL"] = "redis://127.0.0.1:1/0"
    result = run_cli(env, *command, cwd=tmp_path)

    assert result.returncode == 1
    assert_one_line(result.stderr, "cannot reach Redis", "DOCKWATCH_REDIS_URL")


def test_subscribe_with_unreachable_redis_is_one_line(env: dict[str, str], tmp_path: Path) -> None:
    env["DOCKWATCH_REDIS_URL"] = "redis://127.0.0.1:1/0"
    result = run_cli(env, "subscribe", cwd=tmp_path, timeout=60)

    assert result.returncode == 1
    assert_one_line(result.stderr, "Redis", "redis://127.0.0.1:1/0")


DATABASE_CASES = {
    "unreachable server": ("postgresql+psycopg://nobody@127.0.0.1:1/none", "cannot use"),
    "missing folder": ("sqlite:////nonexistent/folder/dockwatch.db", "cannot use"),
    "malformed port": ("postgresql+psycopg://u@localhost:notaport/db", "invalid database URL"),
}


@pytest.mark.parametrize("case", DATABASE_CASES)
@pytest.mark.parametrize("command", [["run"], ["serve"], ["status"], ["db", "upgrade"]])
def test_unusable_database(
    env: dict[str, str], tmp_path: Path, case: str, command: list[str]
) -> None:
    url, problem = DATABASE_CASES[case]
    env["DOCKWATCH_DATABASE_URL"] = url
    if command[0] in ("run", "serve"):
        command = [*command, "--port", str(free_port())]
    result = run_cli(env, *command, cwd=tmp_path)

    assert result.returncode == 1
    assert_one_line(result.stderr, problem, "DOCKWATCH_DATABASE_URL")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DOCKWATCH_DATABASE_URL", "mysql://localhost/dockwatch"),
        ("DOCKWATCH_RATE_LIMIT_PER_HOUR", "0"),
        ("DOCKWATCH_UPSTREAM_URL", "ftp://ll.thespacedevs.com/2.2.0"),
        ("DOCKWATCH_NOTIFY_BACKFILL", "maybe"),
        ("DOCKWATCH_REDIS_URL", "localhost:6379"),
        ("DOCKWATCH_STREAM_RETENTION_DAYS", "1"),
        ("DOCKWATCH_POLL_INTERVAL_SECONDS", "inf"),
        ("DOCKWATCH_HTTP_TIMEOUT_SECONDS", "1e10"),
        ("DOCKWATCH_STALE_AFTER_SECONDS", "nan"),
        ("DOCKWATCH_MIRROR_CHECK_SECONDS", "1e-300"),
        ("DOCKWATCH_SSE_KEEPALIVE_SECONDS", "1e-9"),
        ("DOCKWATCH_DATABASE_URL", "postgresqlXYZ://localhost/dockwatch"),
    ],
)
def test_invalid_setting_stops_run_naming_the_variable(
    env: dict[str, str], tmp_path: Path, variable: str, value: str
) -> None:
    env[variable] = value
    result = run_cli(env, "run", cwd=tmp_path)

    assert result.returncode == 2
    assert_one_line(result.stderr, f"invalid setting {variable}")


def test_a_dot_env_that_is_not_utf8_is_one_line_and_exit_2(
    env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / ".env").write_bytes(b"\xff\xfe\n")
    result = run_cli(env, "status", cwd=tmp_path)

    assert result.returncode == 2
    assert_one_line(result.stderr, "cannot read the .env file")


def test_a_database_of_another_app_is_refused_in_one_line_naming_the_setting(
    database_url: str, redis_prefix: str, fake: FakeUpstream, tmp_path: Path
) -> None:
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE orders (id INTEGER PRIMARY KEY)"))
    env = cli_env(database_url, redis_prefix, fake.base_url)

    commands = (["db", "upgrade"], ["sync"], ["status"], ["webhooks", "list"])
    results = [run_cli(env, *command, cwd=tmp_path) for command in commands]

    for result in results:
        assert result.returncode == 2
        assert_one_line(
            result.stderr,
            "dockwatch: DOCKWATCH_DATABASE_URL names a database",
            "holds 1 table (orders) but no dockwatch schema",
        )
    assert inspect(engine).get_table_names() == ["orders"]
    engine.dispose()


@pytest.mark.parametrize("where", ["environment", ".env"])
def test_a_misspelt_variable_is_a_warning_naming_the_closest_setting(
    env: dict[str, str], tmp_path: Path, where: str
) -> None:
    if where == ".env":
        (tmp_path / ".env").write_text("DOCKWATCH_RATE_LIMT_PER_HOUR=s3cret-looking-value\n")
    else:
        env["DOCKWATCH_RATE_LIMT_PER_HOUR"] = "s3cret-looking-value"
    result = run_cli(env, "db", "upgrade", cwd=tmp_path)

    assert result.returncode == 0
    assert result.stdout == "database is up to date\n"
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.endswith(
        " WARNING worker.cli: unknown setting DOCKWATCH_RATE_LIMT_PER_HOUR is ignored"
        " (did you mean DOCKWATCH_RATE_LIMIT_PER_HOUR?)\n"
    )
    assert "s3cret" not in result.stderr


def test_the_database_url_error_lists_every_accepted_form(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from settings import Settings, SettingsError, load_settings

    monkeypatch.setenv("DOCKWATCH_DATABASE_URL", "mysql://dock@db/x")
    with pytest.raises(SettingsError) as caught:
        load_settings()

    message = str(caught.value)
    for accepted in ("sqlite://", "postgresql+psycopg://", "postgresql://", "postgres://"):
        assert accepted in message
        url = f"{accepted}/x" if accepted.startswith("sqlite") else f"{accepted}dock@db/x"
        assert Settings(database_url=url).database_url  # each form it names is accepted


def test_a_plain_postgresql_url_means_the_driver_dockwatch_ships() -> None:
    from settings import Settings

    url = Settings(database_url="postgresql://dock@db:5432/x").database_url
    assert url == "postgresql+psycopg://dock@db:5432/x"


@pytest.mark.parametrize(("command", "port"), [("serve", "99999"), ("run", "0"), ("demo", "-1")])
def test_a_port_out_of_range_is_a_usage_error(
    env: dict[str, str], tmp_path: Path, command: str, port: str
) -> None:
    result = run_cli(env, command, "--port", port, cwd=tmp_path)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--port" in result.stderr


@pytest.mark.parametrize("command", ["run", "serve"])
def test_a_busy_port_is_one_line_and_exit_1(
    env: dict[str, str], tmp_path: Path, command: str
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = run_cli(env, command, "--port", str(busy.getsockname()[1]), cwd=tmp_path)

    assert result.returncode == 1
    assert_one_line(
        result.stderr, "dockwatch: cannot serve the mirror", "Address already in use", "--port"
    )


@pytest.mark.slow
def test_run_with_unreachable_upstream_warns_in_one_line_and_keeps_serving(
    env: dict[str, str], tmp_path: Path
) -> None:
    env["DOCKWATCH_UPSTREAM_URL"] = f"http://127.0.0.1:{free_port()}/2.2.0"
    port = free_port()
    job = RunningJob(env, ["run", "--port", str(port)], tmp_path)
    try:
        wait_until(lambda: get_json(f"http://127.0.0.1:{port}/healthz"), "the mirror")
        code = job.interrupt(signal.SIGINT)
    finally:
        job.kill_everything()

    warnings = [line for line in job.stderr().splitlines() if "is unreachable" in line]
    assert code == 0
    assert len(warnings) == 1
    assert re.search(r"upstream http://127\.0\.0\.1:\d+/2\.2\.0 is unreachable", warnings[0])
    assert "Connection refused" in warnings[0]
    assert "DOCKWATCH_UPSTREAM_URL" in warnings[0]
    assert "Traceback" not in job.stderr()


def test_sync_with_unreachable_upstream_fails_in_one_error_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    env["DOCKWATCH_UPSTREAM_URL"] = f"http://127.0.0.1:{port}/2.2.0"
    env["DOCKWATCH_HTTP_MAX_ATTEMPTS"] = "1"
    result = run_cli(env, "sync", cwd=tmp_path)

    errors = [line for line in result.stderr.splitlines() if line.startswith("dockwatch:")]
    assert result.returncode == 1
    assert errors == [
        f"dockwatch: sync failed: GET /2.2.0/docking_event/ failed: 127.0.0.1:{port} refused"
        " the connection (check DOCKWATCH_UPSTREAM_URL and the network; the data so far is kept)"
    ]
    assert "Traceback" not in result.stderr


DATABASE_GONE = OperationalError(
    "SELECT 1", {}, Exception("connection to postgresql://dock:s3cret@db:5432/x lost")
)
REDIS_GONE = redis.ConnectionError("Error 111 connecting to redis://:s3cret@127.0.0.1:6379/0.")


@pytest.mark.parametrize(
    ("error", "setting"),
    [(DATABASE_GONE, "DOCKWATCH_DATABASE_URL"), (REDIS_GONE, "DOCKWATCH_REDIS_URL")],
)
def test_a_store_going_away_mid_command_is_one_line_without_the_password(
    monkeypatch: pytest.MonkeyPatch, error: Exception, setting: str
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise error

    monkeypatch.setenv("DOCKWATCH_DATABASE_URL", "postgresql+psycopg://dock:s3cret@db:5432/x")
    monkeypatch.setattr("worker.cli.status.status_command", broken)
    result = CliRunner().invoke(main, ["status"])

    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert_one_line(result.stderr, setting)
    assert "s3cret" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("variable", "url"),
    [
        (
            "DOCKWATCH_DATABASE_URL",
            "postgresql+psycopg://postgres@127.0.0.1:1/test?password=Qpw_S3",
        ),
        ("DOCKWATCH_REDIS_URL", "redis://127.0.0.1:1/0?password=Rpw_S3"),
    ],
)
def test_a_password_given_as_a_url_parameter_never_reaches_the_error(
    env: dict[str, str], tmp_path: Path, variable: str, url: str
) -> None:
    env[variable] = url
    result = run_cli(env, "sync", cwd=tmp_path)

    assert result.returncode == 1
    assert_one_line(result.stderr, "password=***")
    assert "_S3" not in result.stderr
