"""``dockwatch status``: human text, honest failures, and nothing created where it runs."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from fake_upstream import FakeUpstream
from models.fleet.readings import BudgetUsage, Unreachable
from models.ll2.formats import parse_instant
from models.store.cycle_summary import CycleSummary
from models.store.status import ReadFailure
from models.store.sync_state import LastCycle
from models.support.stop_reason import StopReason
from tests.cli_helpers import cli_env, run_cli
from tests.run_helpers import free_port
from worker.cli.status import budget_line, cycle_line, next_poll_line, unreachable_line

NOW = dt.datetime(2025, 4, 4, 5, 24, 14, tzinfo=dt.UTC)
INSTANT = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


@pytest.fixture
def env(database_url: str, redis_prefix: str, fake: FakeUpstream) -> dict[str, str]:
    return cli_env(database_url, redis_prefix, fake.base_url)


def test_status_in_an_empty_folder_creates_nothing_and_names_the_fix(
    env: dict[str, str], tmp_path: Path
) -> None:
    del env["DOCKWATCH_DATABASE_URL"]  # the default: ./dockwatch.db
    folder = tmp_path / "empty"
    folder.mkdir()

    result = run_cli(env, "status", cwd=folder)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"dockwatch: no database at {folder / 'dockwatch.db'}: nothing has synced there yet."
        " Run `dockwatch db upgrade` or `dockwatch run` first, or point DOCKWATCH_DATABASE_URL"
        " at the database in use.\n"
    )
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("as_json", [False, True])
def test_status_with_redis_down_prints_the_report_then_says_so_in_one_line_and_exits_1(
    env: dict[str, str], tmp_path: Path, as_json: bool
) -> None:
    assert run_cli(env, "db", "upgrade", cwd=tmp_path).returncode == 0
    port = free_port()
    env["DOCKWATCH_REDIS_URL"] = f"redis://:s3cret@127.0.0.1:{port}/0"

    result = run_cli(env, "status", *(["--json"] if as_json else []), cwd=tmp_path)

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(
        f"dockwatch: cannot reach Redis at redis://:***@127.0.0.1:{port}/0"
    )
    assert result.stderr.rstrip().endswith("Start redis-server or set DOCKWATCH_REDIS_URL.")
    assert "s3cret" not in result.stdout + result.stderr
    if as_json:
        report = json.loads(result.stdout)
        # Unknown, as every part read from Redis: an error in place of the budget (and so of
        # its back-off) and of the lock, never a back-off of none.
        assert list(report["budget"]) == ["error"]
        assert report["budget"]["error"].startswith("ConnectionError")
        assert list(report["lock"]) == ["error"]
    else:
        assert "budget: unavailable (Redis unreachable)\n" in result.stdout
        assert "upstream back-off: unknown (Redis unreachable)\n" in result.stdout
        assert "upstream back-off: none" not in result.stdout
        assert "events: 0 (0 still docked)\n" in result.stdout


def test_status_text_tells_the_last_cycle_and_the_next_poll_in_words(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert run_cli(env, "sync", cwd=tmp_path).returncode == 0

    result = run_cli(env, "status", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert re.fullmatch(rf"last successful sync: {INSTANT} \(\d+ s ago\)", lines[0]), lines
    assert re.fullmatch(
        rf"last cycle: {INSTANT} \(\d+ s ago\): 7 requests, 650 created, 0 updated,"
        r" \d+ unchanged, 0 removed, 0 notifications; complete",
        lines[1],
    ), lines
    # 15 requests an hour: 13 polls, one every 3600 / 13 = 276.9 s.
    assert re.fullmatch(
        rf"next poll: by {INSTANT} \(in 4 min \d+ s; one every 4 min 37 s\)", lines[2]
    ), lines
    assert "{" not in result.stdout  # no raw JSON
    assert lines[-1] == "state: fresh"


def test_status_json_carries_last_cycle_once(env: dict[str, str], tmp_path: Path) -> None:
    assert run_cli(env, "sync", cwd=tmp_path).returncode == 0

    result = run_cli(env, "status", "--json", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.count('"last_cycle"') == 1
    assert json.loads(result.stdout)["last_cycle"]["summary"]["created"] == 650


def cycle(finished_at: dt.datetime, **summary: Any) -> LastCycle:
    return LastCycle(finished_at=finished_at, summary=CycleSummary(**summary))


def epoch(instant: str) -> float:
    return parse_instant(instant).timestamp()


def test_the_next_poll_is_unknown_before_any_cycle_and_when_cycles_stopped() -> None:
    assert next_poll_line(None, 300, NOW) == (
        "next poll: unknown (no cycle has run yet; one every 5 min while the worker and beat run)"
    )
    last = cycle(NOW - dt.timedelta(seconds=1000))
    assert next_poll_line(last, 300, NOW) == (
        "next poll: unknown (no cycle for 16 min 40 s, one every 5 min expected: are the worker"
        " and exactly one beat running?)"
    )


def test_the_next_poll_is_at_most_one_interval_after_the_last_cycle() -> None:
    last = cycle(NOW - dt.timedelta(seconds=100))
    assert next_poll_line(last, 300, NOW) == (
        "next poll: by 2025-04-04T05:27:34Z (in 3 min 20 s; one every 5 min)"
    )
    assert next_poll_line(cycle(NOW - dt.timedelta(seconds=400)), 300, NOW) == (
        "next poll: due now (one every 5 min)"
    )


def test_a_cycle_stopped_early_says_why_and_when_it_resumes() -> None:
    stopped = cycle(
        NOW - dt.timedelta(seconds=42),
        requests=1,
        created=2,
        complete=False,
        reason=StopReason.BUDGET,
        resume_at="2025-04-04T06:00:00Z",
    )
    assert cycle_line(stopped, NOW) == (
        "last cycle: 2025-04-04T05:23:32Z (42 s ago): 1 request, 2 created, 0 updated,"
        " 0 unchanged, 0 removed, 0 notifications; stopped early (budget, resumes at"
        " 2025-04-04T06:00:00Z)"
    )
    failed = cycle(
        NOW, complete=False, reason=StopReason.UPSTREAM, error="GET /x failed: " + "y" * 300
    )
    assert cycle_line(failed, NOW).endswith(
        "stopped early (upstream): GET /x failed: " + "y" * 144 + "…"
    )


def test_the_back_off_is_unknown_unless_the_budget_was_read() -> None:
    assert unreachable_line(ReadFailure(error="ConnectionError: refused")) == (
        "upstream back-off: unknown (Redis unreachable)"
    )
    assert unreachable_line(None) == "upstream back-off: unknown (not read)"
    usage = BudgetUsage(used=0, limit=15, left=15, next_slot_at=None, not_before=None)
    assert unreachable_line(usage) == "upstream back-off: none"


def test_a_back_off_and_a_retry_after_hold_name_the_command_that_clears_them() -> None:
    backoff = Unreachable(
        failures=2,
        since=epoch("2025-04-04T05:20:00.25Z"),
        until=epoch("2025-04-04T05:21:30.25Z"),
        error="cannot resolve ll.example",
    )
    budget = BudgetUsage(
        used=3,
        left=12,
        limit=15,
        next_slot_at=epoch("2025-04-04T05:30:00.5Z"),
        not_before=epoch("2025-04-04T05:30:00.5Z"),
        unreachable=backoff,
    )

    assert unreachable_line(budget) == (
        "upstream back-off: 2 connection failure(s) in a row (cannot resolve ll.example) since"
        " 2025-04-04T05:20:00Z; no request before 2025-04-04T05:21:30Z (an answer from upstream"
        " ends it; after fixing DOCKWATCH_UPSTREAM_URL or the network, `dockwatch budget reset`"
        " ends it now)"
    )
    assert budget_line(budget) == (
        "budget: 3 used, 12 left of 15 per hour; next request at 2025-04-04T05:30:00Z"
        " (upstream's Retry-After holds until 2025-04-04T05:30:00Z; `dockwatch budget reset`"
        " clears it)"
    )
