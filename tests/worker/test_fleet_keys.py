"""Every Redis key dockwatch writes is named in ``models.fleet.keys`` (or is the stream)."""

from __future__ import annotations

from pathlib import Path

from fake_upstream import FakeUpstream
from harness.redis_keys import keys_containing
from models.fleet.keys import FleetKeys, upstream_tag
from tests.cli_helpers import cli_env, run_cli
from tests.conftest import REDIS_URL


def test_the_keys_a_sync_writes_are_the_ones_fleet_keys_names(
    database_url: str, redis_prefix: str, fake: FakeUpstream, tmp_path: Path
) -> None:
    env = cli_env(database_url, redis_prefix, fake.base_url)
    fake.faults.error(503, times=None)  # a failed cycle writes its counters and the budget too
    assert run_cli(env, "sync", cwd=tmp_path).returncode == 1
    fake.faults.clear()
    assert run_cli(env, "sync", cwd=tmp_path).returncode == 0

    stream = env["DOCKWATCH_STREAM"]
    written = set(keys_containing(REDIS_URL, redis_prefix)) - {stream}
    keys = FleetKeys(redis_prefix)
    assert {keys.budget, keys.counters("sync_cycles")} <= written
    assert [key for key in written if not keys.owns(key)] == []


def test_owns_is_exact_and_the_upstream_tag_hides_the_url() -> None:
    keys = FleetKeys("p")
    assert keys.owns("p:budget")
    assert keys.owns(keys.unreachable("https://user:secret@example.com/2.2.0"))
    assert keys.owns("p:_kombu.binding.tasks")
    assert not keys.owns("p:budgets")
    assert not keys.owns("q:budget")
    assert not keys.owns("p:events")  # the stream is named by DOCKWATCH_STREAM, not here
    tag = upstream_tag("https://user:secret@example.com/2.2.0")
    assert tag == upstream_tag("https://user:other@example.com/2.2.0")  # credentials redacted
    assert len(tag) == 16
    assert "secret" not in keys.unreachable("https://user:secret@example.com/2.2.0")
