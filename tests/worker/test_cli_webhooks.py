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
    for command in ("remove", "enable", "test", "update"):
        result = webhooks(env, command, "42", *(["--all"] if command == "update" else []))
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


def option_help(command: list[str], option: str) -> str:
    """The --help text of ``option`` (joined across its wrapped lines)."""
    shown = CliRunner().invoke(dockwatch_cli, [*command, "--help"], terminal_width=200).stdout
    [line] = [line for line in shown.splitlines() if line.strip().startswith(option + " ")]
    return " ".join(line.split()[1:])


def test_add_and_update_take_subscribes_filter_and_list_shows_it(
    env: dict[str, str], redis_client: redis.Redis, redis_prefix: str
) -> None:
    added = webhooks(
        env, "add", "https://hooks.example/iss",
        "--station", "ISS", "--station", "Tiangong, 4", "--vehicle", "Crew Dragon",
        "--type", "docking_event.docked", "--type", "docking_event.docked",
    )  # fmt: skip
    plain = webhooks(env, "add", "https://hooks.example/all")
    first, second = (json.loads(result.stdout)["id"] for result in (added, plain))
    views = json.loads(webhooks(env, "list", "--json").stdout)
    table = webhooks(env, "list").stdout
    updated = webhooks(
        env, "update", str(first), "--vehicle", "77", "--type", "docking_event.undocked"
    )
    after_update = json.loads(webhooks(env, "list", "--json").stdout)[0]
    cleared = webhooks(env, "update", str(first), "--all")
    after_clear = json.loads(webhooks(env, "list", "--json").stdout)[0]

    assert added.exit_code == 0, added.output
    assert (views[0]["stations"], views[0]["vehicles"]) == (
        ["ISS", "Tiangong", "4"],
        ["Crew Dragon"],
    )
    assert views[0]["types"] == ["docking_event.docked"]
    assert (views[1]["types"], views[1]["stations"], views[1]["vehicles"]) == ([], [], [])
    assert views[0]["skipped"] == views[1]["skipped"] == 0
    header, *rows = table.splitlines()
    assert "ISS,Tiangong,4" in rows[0]
    assert "Crew Dragon" in rows[0]
    for column in ("skipped", "types", "stations", "vehicles", "url"):  # aligned columns
        start = header.index(column)
        assert {row[start - 2 : start] for row in rows} == {"  "}, column
        assert all(row[start] != " " for row in rows), column
    assert rows[1][header.index("stations") :].startswith("all")
    assert rows[1][header.index("vehicles") :].startswith("all")
    assert updated.exit_code == 0, updated.output
    assert updated.stdout.strip() == (
        f"updated webhook endpoint {first}: types docking_event.undocked, stations all, vehicles 77"
    )
    assert (after_update["types"], after_update["stations"], after_update["vehicles"]) == (
        ["docking_event.undocked"], [], ["77"],
    )  # fmt: skip
    assert cleared.exit_code == 0, cleared.output
    assert (after_clear["types"], after_clear["stations"], after_clear["vehicles"]) == ([], [], [])
    groups = {g["name"].decode() for g in redis_client.xinfo_groups(f"{redis_prefix}:events")}
    assert groups == {consumer_group(first), consumer_group(second)}  # update kept the group


def test_webhooks_filter_options_are_subscribes(env: dict[str, str]) -> None:
    for option in ("--station", "--vehicle", "--type"):
        subscribe = option_help(["subscribe"], option)
        assert subscribe
        assert option_help(["webhooks", "add"], option) == subscribe
        assert option_help(["webhooks", "update"], option) == subscribe


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ([], "--all"),
        (["--all", "--station", "ISS"], "not both"),
        (["--type", "docking_event.sunk"], "docking_event.docked"),
    ],
)
def test_update_needs_a_filter_or_all(env: dict[str, str], args: list[str], named: str) -> None:
    added = json.loads(webhooks(env, "add", "https://hooks.example/", "--station", "ISS").stdout)
    result = webhooks(env, "update", str(added["id"]), *args)

    assert result.exit_code == 2
    assert named in result.stderr
    assert json.loads(webhooks(env, "list", "--json").stdout)[0]["stations"] == ["ISS"]
