"""The documentation's "Subscribing": every snippet, extracted from docs/notifications.md, runs
as written against a running ``dockwatch run`` and sees one docking.

The snippets are written for the defaults (mirror on 127.0.0.1:8000, a receiver on port 8080);
the only change made to them is those two port numbers, replaced by free ones. Their settings
(the stream, Redis, the database) come from the environment, as the README says.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

import pytest
import redis

from fake_upstream import FakeUpstream, make_event
from tests.browser_helpers import chromium
from tests.cli_helpers import cli_env
from tests.docs_helpers import documentation
from tests.run_helpers import RunningJob, free_port, wait_until

pytestmark = pytest.mark.slow

SNIPPET = re.compile(r"<!-- snippet: ([\w-]+) -->\n```\w+\n(.*?)\n```", re.DOTALL)
NAMES = {
    "stream-cli", "stream-redis-cli", "python", "webhook-add", "webhook-receiver",
    "sse-curl", "sse-replay", "sse-browser",
}  # fmt: skip


def snippets(mirror_port: int, receiver_port: int) -> dict[str, str]:
    """The README's snippets by name, with the two ports replaced."""
    found = dict(SNIPPET.findall(documentation()))
    assert set(found) == NAMES
    return {
        name: text.replace("127.0.0.1:8000", f"127.0.0.1:{mirror_port}")
        .replace("127.0.0.1:8080", f"127.0.0.1:{receiver_port}")
        .replace('("127.0.0.1", 8080)', f'("127.0.0.1", {receiver_port})')
        for name, text in found.items()
    }


class Running:
    """A snippet running in a subprocess; its stdout and stderr lines are collected apart."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.process = subprocess.Popen(
            argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.lines: list[str] = []
        self.errors: list[str] = []  # diagnostics (e.g. `dockwatch subscribe`'s listening line)
        for pipe, into in ((self.process.stdout, self.lines), (self.process.stderr, self.errors)):
            threading.Thread(target=self._collect, args=(pipe, into), daemon=True).start()

    @staticmethod
    def _collect(pipe: IO[str] | None, into: list[str]) -> None:
        assert pipe is not None
        for line in pipe:
            into.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


def connection_ports(pid: int) -> set[int]:
    """The local TCP ports of a process's sockets (from /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd) if fd.is_symlink() else ""
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def blocked_in_xread(client: redis.Redis, pid: int) -> bool:
    """Whether process ``pid`` has a Redis connection waiting in XREAD."""
    ports = connection_ports(pid)
    return any(
        entry["cmd"] == "xread" and int(entry["addr"].rsplit(":", 1)[1]) in ports
        for entry in client.client_list()
    )


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def test_every_subscribing_snippet_sees_a_docking(
    database_url: str,
    redis_prefix: str,
    redis_client: redis.Redis,
    fake: FakeUpstream,
    tmp_path: Path,
) -> None:
    mirror_port, receiver_port = free_port(), free_port()
    code = snippets(mirror_port, receiver_port)
    env = cli_env(
        database_url,
        redis_prefix,
        fake.base_url,
        DOCKWATCH_RATE_LIMIT_PER_HOUR="3600",
        DOCKWATCH_SSE_KEEPALIVE_SECONDS="0.5",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    )
    job = RunningJob(env, ["run", "--port", str(mirror_port)], tmp_path)
    started: list[Running] = []

    def start(argv: list[str], **extra: str) -> Running:
        started.append(Running(argv, {**env, **extra}, tmp_path))
        return started[-1]

    try:
        with chromium() as browser:
            wait_until(lambda: "first fill complete" in job.stderr(), "the first fill", 90)
            added = subprocess.run(
                ["bash", "-c", code["webhook-add"]], env=env, cwd=tmp_path,
                capture_output=True, text=True, timeout=60, check=True,
            )  # fmt: skip
            secret = json.loads(added.stdout)["secret"]
            receiver = start(
                [sys.executable, "-c", code["webhook-receiver"]], WEBHOOK_SECRET=secret
            )
            stream_cli = start(["bash", "-c", code["stream-cli"]])
            redis_cli = start(["bash", "-c", code["stream-redis-cli"]])
            python = start([sys.executable, "-c", code["python"]], PYTHONUNBUFFERED="1")
            curl = start(["bash", "-c", code["sse-curl"]])
            replay = start(["bash", "-c", code["sse-replay"]])
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{mirror_port}/")
            page.add_script_tag(content=code["sse-browser"])
            page.wait_for_function("source.readyState === EventSource.OPEN")
            wait_until(lambda: listening(receiver_port), "the receiver")
            wait_until(lambda: ": keep-alive" in curl.output(), "curl's connection")
            wait_until(lambda: blocked_in_xread(redis_client, redis_cli.process.pid), "redis-cli")

            subject = str(max(fake.ids) + 1)
            docked_logged = page.expect_console_message(
                lambda message: message.text.startswith(f"docked: {subject} "), timeout=60_000
            )
            with docked_logged as logged:
                fake.add_event(make_event(int(subject), fake.now, location_id=19, now=fake.now))
                wait_until(lambda: f"docking_event.docked {subject}" in receiver.output(), "hook")
                wait_until(lambda: f'"subject":"{subject}"' in stream_cli.output(), "subscribe")
                wait_until(lambda: f'"subject":"{subject}"' in redis_cli.output(), "redis-cli")
                wait_until(lambda: f"docked: {subject} " in python.output(), "the Python one")
                for client in (curl, replay):
                    wait_until(lambda c=client: f'"subject":"{subject}"' in c.output(), "curl -N")
            browser_line = logged.value.text
    finally:
        for process in started:
            process.stop()
        job.kill_everything()

    assert browser_line.startswith(f"docked: {subject} ")
    assert "event: docking_event.docked" in curl.output()
    replayed: Any = [line for line in replay.output().splitlines() if line.startswith("data: ")]
    assert json.loads(replayed[-1].removeprefix("data: "))["subject"] == subject
    assert json.loads(stream_cli.lines[0])["type"] == "docking_event.docked"
