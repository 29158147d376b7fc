"""``dockwatch webhooks``: endpoints in the database, managed from the command line."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import redis
from click.testing import CliRunner, Result
from standardwebhooks import Webhook

from harness.webhook_receiver import WebhookReceiver
from models.store.webhook_endpoints import consumer_group
from tests.cli_helpers import REPO, run_cli
from tests.conftest import REDIS_URL
from worker.cli import main as dockwatch_cli


@pytest.fixture
def env(database_url: str, redis_prefix: str) -> dict[str, str]:
    return {
        "DOCKWATCH_DATABASE_URL": database_url,
        "DOCKWATCH_REDIS_URL": REDIS_URL,
        "DOCKWATCH_STREAM": f"{redis_prefix}:events",
    }


def webhooks(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(dockwatch_cli, ["webhooks", *args], env=env)


def one_error_line(result: Result) -> str:
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def test_add_list_enable_remove(
    env: dict[str, str], redis_client: redis.Redis, redis_prefix: str
) -> None:
    url = "https://hooks.example/in?token=s3cret"
    added = webhooks(env, "add", url, "--type", "docking_event.docked")
    given = webhooks(env, "add", "http://127.0.0.1:9/x", "--secret", "whsec_" + "QUJD" * 8)
    listed = webhooks(env, "list", "--json")
    table = webhooks(env, "list")

    assert added.exit_code == 0, added.output
    line = json.loads(added.stdout)
    assert set(line) == {"id", "url", "secret"}
    assert line["url"] == url
    assert line["secret"].startswith("whsec_")
    Webhook(line["secret"])  # a usable key
    assert json.loads(given.stdout)["secret"] == "whsec_" + "QUJD" * 8
    views = json.loads(listed.stdout)
    assert [view["id"] for view in views] == [line["id"], line["id"] + 1]
    assert views[0]["url"] == "https://hooks.example/in"
    assert views[0]["types"] == ["docking_event.docked"]
    assert views[0]["enabled"] is True
    assert (views[0]["failures_in_a_row"], views[0]["delivered"]) == (0, 0)
    assert "s3cret" not in listed.stdout + table.stdout
    assert "whsec_" not in listed.stdout + table.stdout
    assert "https://hooks.example/in" in table.stdout
    header, *rows = table.stdout.splitlines()
    assert len(rows) == 2
    for column in ("enabled", "delivered", "types", "url"):  # each column starts at one offset
        start = header.index(column)
        assert {row[start - 2 : start] for row in rows} == {"  "}
        assert all(row[start] != " " for row in rows)
    stream = f"{redis_prefix}:events"
    groups = {g["name"].decode() for g in redis_client.xinfo_groups(stream)}
    assert groups == {consumer_group(line["id"]), consumer_group(line["id"] + 1)}

    assert webhooks(env, "enable", str(line["id"])).exit_code == 0
    removed = webhooks(env, "remove", str(line["id"]))
    assert removed.exit_code == 0, removed.output
    assert [v["id"] for v in json.loads(webhooks(env, "list", "--json").stdout)] == [line["id"] + 1]
    groups = {g["name"].decode() for g in redis_client.xinfo_groups(stream)}
    assert groups == {consumer_group(line["id"] + 1)}
    readded = json.loads(webhooks(env, "add", "https://hooks.example/again").stdout)
    assert readded["id"] == line["id"] + 2  # ids are never reused: each names its group


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["add", "ftp://hooks.example/"], "http"),
        (["add", "https://user:pw@hooks.example/"], "credentials"),
        (["add", "https://hooks.example/", "--secret", "nope"], "whsec_"),
        (["add", "https://hooks.example/", "--type", "docking_event.sunk"], "docking_event.docked"),
        (["remove", "zero"], "ID"),
        (["remove", "99999999999999999999999"], "ID"),
        (["test", "-3"], "ID"),
    ],
)
def test_bad_input_is_a_usage_error_naming_it(
    args: list[str], named: str, redis_prefix: str, tmp_path: Path
) -> None:
    env = {
        "DOCKWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
        "DOCKWATCH_STREAM": redis_prefix,
    }
    result = webhooks(env, *args)

    assert result.exit_code == 2
    assert named in result.stderr
    assert "pw" not in result.stderr
    assert webhooks(env, "list", "--json").stdout.strip() == "[]"


def test_an_unknown_id_is_one_line_naming_the_list(redis_prefix: str, tmp_path: Path) -> None:
    env = {
        "DOCKWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
        "DOCKWATCH_REDIS_URL": REDIS_URL,
        "DOCKWATCH_STREAM": f"{redis_prefix}:events",
    }
    for command in ("remove", "enable", "test"):
        result = webhooks(env, command, "42")
        assert result.exit_code == 1, command
        assert "no webhook endpoint has id 42" in one_error_line(result)
        assert "dockwatch webhooks list" in result.stderr


def test_add_without_redis_stores_nothing(tmp_path: Path) -> None:
    env = {
        "DOCKWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
        "DOCKWATCH_REDIS_URL": "redis://127.0.0.1:9/0",
    }
    result = webhooks(env, "add", "https://hooks.example/")

    assert result.exit_code == 1
    assert "cannot reach Redis" in one_error_line(result)
    assert webhooks(env, "list", "--json").stdout.strip() == "[]"


def test_test_sends_a_signed_test_delivery_and_prints_the_status(env: dict[str, str]) -> None:
    with WebhookReceiver([200, 503]) as receiver:
        added = json.loads(webhooks(env, "add", receiver.url + "?token=s3cret").stdout)
        ok = webhooks(env, "test", str(added["id"]))
        failing = webhooks(env, "test", str(added["id"]))
        first = receiver.wait_for(2)[0]

    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout) == {"id": added["id"], "status": 200}
    event: Any = Webhook(added["secret"]).verify(first.body, first.headers)
    assert event["type"] == "dockwatch.webhook.test"
    assert failing.exit_code == 1
    assert json.loads(failing.stdout)["status"] == 503
    assert "answered 503" in one_error_line(failing)
    assert "s3cret" not in failing.stderr


def test_verbose_logs_never_show_the_endpoint_query_string(
    env: dict[str, str], tmp_path: Path
) -> None:
    with WebhookReceiver([200]) as receiver:
        added = json.loads(webhooks(env, "add", receiver.url + "?token=s3cret").stdout)
        done = run_cli(
            {**os.environ, **env, "PYTHONPATH": str(REPO)},
            "-v", "webhooks", "test", str(added["id"]), cwd=tmp_path,
        )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "s3cret" not in done.stdout + done.stderr
