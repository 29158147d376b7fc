"""``dockwatch budget show`` / ``reset`` as real processes, and the back-off of a wrong
``DOCKWATCH_UPSTREAM_URL`` that a corrected URL does not inherit."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fake_upstream import FakeUpstream
from tests.cli_helpers import cli_env, run_cli
from tests.run_helpers import free_port
from tests.worker.test_cli_sync_exits import closed_port, own_lines

INSTANT = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"


@pytest.fixture
def env(database_url: str, redis_prefix: str, fake: FakeUpstream) -> dict[str, str]:
    return cli_env(database_url, redis_prefix, fake.base_url)


@pytest.fixture
def wrong(env: dict[str, str]) -> dict[str, str]:
    """The same settings with an upstream URL nothing answers at."""
    return {**env, "DOCKWATCH_UPSTREAM_URL": f"http://127.0.0.1:{closed_port()}/2.2.0"}


def test_a_corrected_upstream_url_syncs_at_once_despite_the_wrong_ones_back_off(
    env: dict[str, str], wrong: dict[str, str], tmp_path: Path
) -> None:
    failed = run_cli(wrong, "sync", cwd=tmp_path)
    held = run_cli(wrong, "sync", cwd=tmp_path)
    status = run_cli(wrong, "status", cwd=tmp_path)

    fixed = run_cli(env, "sync", cwd=tmp_path)

    assert (failed.returncode, held.returncode) == (1, 75), held.stderr
    [line] = [line for line in status.stdout.splitlines() if "back-off" in line]
    assert line.startswith("upstream back-off: 1 connection failure(s) in a row (")
    assert line.endswith("`dockwatch budget reset` ends it now)")
    assert fixed.returncode == 0, fixed.stderr
    assert json.loads(fixed.stdout.splitlines()[-1])["created"] == 650


def test_budget_reset_ends_the_back_off_and_says_what_it_cleared(
    wrong: dict[str, str], tmp_path: Path
) -> None:
    assert run_cli(wrong, "sync", cwd=tmp_path).returncode == 1
    upstream = wrong["DOCKWATCH_UPSTREAM_URL"]

    reset = run_cli(wrong, "budget", "reset", cwd=tmp_path)
    again = run_cli(wrong, "budget", "reset", cwd=tmp_path)
    retried = run_cli(wrong, "sync", cwd=tmp_path)  # tries upstream again instead of exit 75

    assert reset.returncode == 0, reset.stderr
    lines = reset.stdout.splitlines()
    assert re.fullmatch(
        rf"cleared the back-off after 1 connection failure\(s\) in a row for {re.escape(upstream)}"
        rf" \(127\.0\.0\.1:\d+ refused the connection; it held until {INSTANT}\)",
        lines[0],
    ), lines
    assert lines[1] == "upstream's Retry-After hold: none to clear"
    assert lines[2].startswith("kept the 0 request(s) sent in the sliding hour (limit 15)")
    assert again.stdout.splitlines()[0] == (
        f"back-off after connection failures for {upstream}: none to clear"
    )
    assert retried.returncode == 1, retried.stderr
    assert "refused the connection" in own_lines(retried.stderr)[0]


def test_budget_reset_ends_a_429_hold_but_keeps_the_spent_slots(
    env: dict[str, str], tmp_path: Path, fake: FakeUpstream
) -> None:
    assert run_cli(env, "sync", cwd=tmp_path).returncode == 0  # 7 requests
    fake.faults.throttle(900, times=1)
    assert run_cli(env, "sync", cwd=tmp_path).returncode == 75
    shown = json.loads(run_cli(env, "budget", "show", "--json", cwd=tmp_path).stdout)

    reset = run_cli(env, "budget", "reset", cwd=tmp_path)
    after = json.loads(run_cli(env, "budget", "show", "--json", cwd=tmp_path).stdout)
    synced = run_cli(env, "sync", cwd=tmp_path)

    assert re.fullmatch(INSTANT, shown["not_before"]), shown
    assert reset.returncode == 0, reset.stderr
    assert reset.stdout.splitlines()[1] == (
        f"cleared upstream's Retry-After hold (it held until {shown['not_before']})"
    )
    assert "kept the 8 request(s) sent in the sliding hour (limit 15)" in reset.stdout
    assert (after["not_before"], after["used"]) == (None, 8)
    assert synced.returncode == 0, synced.stderr


def test_budget_show_prints_the_hour_the_next_slot_the_hold_and_the_back_off(
    env: dict[str, str], wrong: dict[str, str], tmp_path: Path, fake: FakeUpstream
) -> None:
    assert run_cli(env, "sync", cwd=tmp_path).returncode == 0
    text = run_cli(env, "budget", "show", cwd=tmp_path)
    as_json = run_cli(env, "budget", "show", "--json", cwd=tmp_path)
    run_cli(wrong, "sync", cwd=tmp_path)
    backing_off = json.loads(run_cli(wrong, "budget", "show", "--json", cwd=tmp_path).stdout)
    backing_off_text = run_cli(wrong, "budget", "show", cwd=tmp_path).stdout

    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines() == [
        f"upstream: {fake.base_url}",
        "requests: 7 used of 15 in the sliding hour (8 left)",
        "next free slot: now",
        "upstream's Retry-After hold: none",
        "back-off after connection failures: none",
    ]
    assert json.loads(as_json.stdout) == {
        "upstream": fake.base_url,
        "used": 7,
        "limit": 15,
        "left": 8,
        "next_slot_at": None,
        "not_before": None,
        "unreachable": None,
    }
    backoff = backing_off["unreachable"]
    assert backoff["failures"] == 1
    assert re.fullmatch(INSTANT, backoff["since"])
    assert re.fullmatch(INSTANT, backoff["until"])
    assert backing_off["next_slot_at"] == backoff["until"]
    assert "back-off after connection failures: 1 in a row (" in backing_off_text
    assert "`dockwatch budget reset` ends the hold and the back-off now" in backing_off_text


def test_budget_show_with_redis_down_is_one_line_exit_1(
    env: dict[str, str], tmp_path: Path
) -> None:
    env["DOCKWATCH_REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"

    result = run_cli(env, "budget", "show", cwd=tmp_path)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("dockwatch: cannot reach Redis at ")
