"""``dockwatch subscribe`` prints one JSON line per notification and acknowledges it."""

from __future__ import annotations

import json
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis
from click.testing import CliRunner

from models.fleet.stream import DOCKED
from tests.cli_helpers import cli_env, run_cli, start_cli
from tests.conftest import REDIS_URL
from tests.worker.notifications import free_port, group_pending
from worker.cli.subscribe import subscribe_command


def publish(client: redis.Redis, stream: str, *subjects: str) -> list[str]:
    ids = []
    for subject in subjects:
        event = {"specversion": "1.0", "id": f"id-{subject}", "subject": subject}
        client.xadd(stream, {"event": json.dumps(event)})
        ids.append(event["id"])
    return ids


def subscribe(stream: str, *args: str, redis_url: str = REDIS_URL) -> Any:
    env = {"DOCKWATCH_REDIS_URL": redis_url, "DOCKWATCH_STREAM": stream}
    return CliRunner().invoke(subscribe_command, list(args), env=env)


def test_subscribe_prints_one_json_line_per_event_and_acknowledges_it(
    redis_client: redis.Redis, redis_prefix: str
) -> None:
    stream = f"{redis_prefix}:events"
    ids = publish(redis_client, stream, "1", "2", "3")

    result = subscribe(stream, "--group", "cli", "--from-start", "--count", "3")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [json.loads(line)["id"] for line in lines] == ids
    assert group_pending(redis_client, stream, "cli") == 0
    assert result.stderr.startswith(f"dockwatch: listening on stream '{stream}' as group 'cli'")


def test_station_prints_only_that_stations_notifications_and_acknowledges_all(
    redis_client: redis.Redis, redis_prefix: str
) -> None:
    stream = f"{redis_prefix}:events"
    publish(redis_client, stream, "0")  # no data: never a station's
    for subject, station in (("1", "Tiangong"), ("2", "International Space Station")):
        docking = {"docking_location": {"spacestation": {"id": len(station), "name": station}}}
        event = {"id": f"id-{subject}", "type": DOCKED, "data": {"docking_event": docking}}
        redis_client.xadd(stream, {"event": json.dumps(event)})

    result = subscribe(
        stream,
        "--group",
        "iss",
        "--from-start",
        "--station",
        "international space station",
        "--count",
        "1",
    )

    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["id-2"]
    assert group_pending(redis_client, stream, "iss") == 0


def test_subscribe_again_with_the_same_group_resumes_after_what_it_printed(
    redis_client: redis.Redis, redis_prefix: str
) -> None:
    stream = f"{redis_prefix}:events"
    publish(redis_client, stream, "1", "2")
    subscribe(stream, "--group", "cli", "--from-start", "--count", "2")
    later = publish(redis_client, stream, "3")

    result = subscribe(stream, "--group", "cli", "--from-start", "--count", "1")

    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == later


def test_subscribe_without_from_start_skips_the_history_of_a_new_group(
    redis_client: redis.Redis, redis_prefix: str
) -> None:
    stream = f"{redis_prefix}:events"
    publish(redis_client, stream, "old")
    redis_client.xgroup_create(stream, "late", id="$")  # as a first run would create it
    new = publish(redis_client, stream, "new")

    result = subscribe(stream, "--group", "late", "--count", "1")

    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == new


def test_subscribe_to_an_unreachable_redis_fails_with_one_line(redis_prefix: str) -> None:
    url = f"redis://:secret@127.0.0.1:{free_port()}/0"

    result = subscribe(f"{redis_prefix}:events", "--count", "1", redis_url=url)

    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert result.stderr.startswith("dockwatch: cannot read notifications from Redis")
    assert "secret" not in result.output
    assert "Traceback" not in result.output


def test_a_bad_setting_fails_with_one_line_naming_it(redis_prefix: str) -> None:
    result = subscribe(f"{redis_prefix}:events", redis_url="http://nope")

    assert result.exit_code == 2
    assert result.stderr.startswith("dockwatch: invalid setting DOCKWATCH_REDIS_URL")
    assert len(result.output.strip().splitlines()) == 1


@contextmanager
def subscribing(redis_prefix: str, cwd: Path, *args: str) -> Iterator[Any]:
    """A real ``dockwatch subscribe ARGS`` on the test's stream, killed if still running."""
    env = cli_env(f"sqlite:///{cwd / 'unused.db'}", redis_prefix, "http://127.0.0.1:9/2.2.0")
    process = start_cli(env, "subscribe", *args, cwd=cwd)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_waiting_subscriber_says_what_it_listens_to_then_prints_and_stops_on_ctrl_c(
    redis_client: redis.Redis, redis_prefix: str, tmp_path: Path
) -> None:
    with subscribing(redis_prefix, tmp_path, "--group", "waiting") as process:
        listening = process.stderr.readline()  # printed once the group exists, before any event
        ids = publish(redis_client, f"{redis_prefix}:events", "1")
        printed = process.stdout.readline()
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
        rest = process.stderr.read()

    assert listening == (
        f"dockwatch: listening on stream '{redis_prefix}:events' as group 'waiting' (consumer"
        f" '{socket.gethostname()}'; a new group: new notifications only); Ctrl-C stops\n"
    )
    assert json.loads(printed)["id"] == ids[0]
    assert code == 0
    assert rest == ""


def test_a_stream_deleted_under_a_subscriber_ends_it_with_one_line(
    redis_client: redis.Redis, redis_prefix: str, tmp_path: Path
) -> None:
    with subscribing(redis_prefix, tmp_path) as process:
        process.stderr.readline()  # listening: the group exists and the read blocks
        redis_client.delete(f"{redis_prefix}:events")
        code = process.wait(timeout=30)
        error = process.stderr.read()

    assert code == 1
    assert error.count("\n") == 1, error
    assert error.startswith(f"dockwatch: the stream '{redis_prefix}:events' (or its group)")


def test_an_empty_group_name_is_a_usage_error() -> None:
    result = CliRunner().invoke(subscribe_command, ["--group", " "])

    assert result.exit_code == 2
    assert "--group" in result.output


def test_station_and_vehicle_match_the_notifications_a_sync_really_writes(
    database_url: str, redis_prefix: str, redis_client: redis.Redis, fake: Any, tmp_path: Path
) -> None:
    env = cli_env(database_url, redis_prefix, fake.base_url, DOCKWATCH_NOTIFY_BACKFILL="true")
    assert run_cli(env, "sync", cwd=tmp_path).returncode == 0
    stream = env["DOCKWATCH_STREAM"]
    events = [json.loads(fields[b"event"]) for _, fields in redis_client.xrange(stream)]

    def station_id(event: dict[str, Any]) -> int:
        return int(event["data"]["docking_event"]["docking_location"]["spacestation"]["id"])

    at_iss = [event["id"] for event in events if station_id(event) == 4]
    craft = events[0]["data"]["docking_event"]["flight_vehicle"]["spacecraft"]["name"]
    assert 0 < len(at_iss) < len(events)

    by_initials = subscribe(
        stream, "--group", "s", "--from-start", "--station", "ISS", "--count", str(len(at_iss))
    )
    by_craft = subscribe(stream, "--group", "v", "--from-start", "--vehicle", craft, "--count", "1")

    assert by_initials.exit_code == 0, by_initials.output
    assert [json.loads(line)["id"] for line in by_initials.stdout.splitlines()] == at_iss
    assert json.loads(by_craft.stdout.splitlines()[0])["id"] == events[0]["id"]
