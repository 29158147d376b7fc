"""A Redis outage under ``dockwatch run``: one line when it starts, one when it ends.

Before, the worker logged every reconnection attempt and beat a ~40-line traceback for every
task it could not queue (~116 lines in 25 s). The job runs against a Redis of the test's own,
which the test stops while beat keeps trying to send, then starts again on the same port.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from fake_upstream import FakeUpstream
from tests.cli_helpers import cli_env, run_cli
from tests.run_helpers import RunningJob, free_port, get_json, wait_until
from tests.worker.notifications import own_redis

# Beat attempts this many sends while Redis is down (each used to log a traceback) and the
# worker's consumer retries its connection meanwhile, before Redis comes back.
SENDS_DURING_THE_OUTAGE = 5


@pytest.mark.slow
def test_a_redis_outage_under_run_is_one_line_and_its_end_another(
    redis_prefix: str, fake: FakeUpstream, tmp_path: Path
) -> None:
    redis_port, mirror_port = free_port(), free_port()
    env = cli_env(
        f"sqlite:///{tmp_path / 'run.db'}",
        redis_prefix,
        fake.base_url,
        DOCKWATCH_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        DOCKWATCH_RATE_LIMIT_PER_HOUR="3600",  # a poll every ~1.2 s
        # Beat's "Sending due task" lines (routine: DEBUG only) count its tries during the outage.
        DOCKWATCH_LOG_LEVEL="DEBUG",
    )
    base = f"http://127.0.0.1:{mirror_port}"
    with own_redis(redis_port):
        # An endpoint, so the webhook delivery (a child of run) reads the stream too.
        added = run_cli(env, "webhooks", "add", f"http://127.0.0.1:{free_port()}/", cwd=tmp_path)
        assert added.returncode == 0, added.stderr
        job = RunningJob(env, ["run", "--port", str(mirror_port)], tmp_path)
        try:
            wait_until(
                lambda: (
                    (get_json(f"{base}/2.2.0/docking_event/?limit=1") or {}).get("count")
                    == len(fake.ids)
                ),
                "the first fill",
            )
        except BaseException:
            job.kill_everything()
            raise
    try:
        # Redis is down now.
        wait_until(lambda: "Redis unreachable" in job.stderr(), "the outage line")
        sends = job.stderr().count("Sending due task")
        wait_until(
            lambda: job.stderr().count("Sending due task") >= sends + SENDS_DURING_THE_OUTAGE,
            "beat to try to send while Redis is down",
        )
        during = job.stderr()
        requests = fake.log.count()
        with own_redis(redis_port):
            wait_until(lambda: "Redis is back" in job.stderr(), "the line saying it is back")
            wait_until(lambda: fake.log.count() > requests, "a poll after the outage")
            code = job.interrupt(signal.SIGINT)
    finally:
        job.kill_everything()

    stderr = job.stderr()
    assert code == 0
    # Each a log line of the supervisor's: the message follows the format's "logger: ".
    outage = [line.split(": ", 1)[1] for line in stderr.splitlines() if "Redis unreachable" in line]
    assert outage == [
        f"dockwatch: Redis unreachable at redis://127.0.0.1:{redis_port}/0 (Error 111 connecting"
        f" to 127.0.0.1:{redis_port}. Connection refused); retrying. Start redis-server or check"
        " DOCKWATCH_REDIS_URL."
    ]
    back = [line.split(": ", 1)[1] for line in stderr.splitlines() if "Redis is back" in line]
    assert len(back) == 1
    assert back[0].startswith(f"dockwatch: Redis is back at redis://127.0.0.1:{redis_port}/0")
    assert "Redis is back" not in during
    noise = (
        "Traceback",
        "Connection refused",
        "Cannot connect",
        "broker lost",
        "relay failed",
        "delivery stopped",
    )
    # The DEBUG lines the test asked for may name the refused connection (the progress reader's
    # retries, say); what would be shown at any other level may not.
    shown = "\n".join(line for line in stderr.splitlines() if line.split(" ")[1:2] != ["DEBUG"])
    for text in noise:
        assert text not in shown.replace(outage[0], ""), text
