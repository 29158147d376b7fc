"""Helpers for end-to-end tests of ``dockwatch run``: its own session, its logs, its children."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from tests.cli_helpers import dockwatch_argv


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(condition: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    """Poll ``condition`` until it returns something truthy; fail naming ``what`` at the end."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


def session_pids(session_id: int) -> set[int]:
    """Live (non-zombie) processes of a session: a supervisor started with a new session and
    everything it ever started, however deep, unless something called setsid."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        state, session = fields[0], int(fields[3])
        if session == session_id and state != "Z":
            found.add(int(entry.name))
    return found


def get_json(url: str) -> Any:
    """The JSON at ``url``, or None when it does not answer 200 yet."""
    try:
        response = httpx.get(url, timeout=2.0)
    except httpx.HTTPError:
        return None
    return response.json() if response.status_code == 200 else None


class RunningJob:
    """``dockwatch run`` (or another command) in its own session, logging to files."""

    def __init__(
        self, env: Mapping[str, str], args: Sequence[str], cwd: Path, argv: list[str] | None = None
    ) -> None:
        self.stdout_path = cwd / "run.stdout"
        self.stderr_path = cwd / "run.stderr"
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                argv or dockwatch_argv(*args),
                env=dict(env),
                cwd=cwd,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        """The supervisor's pid (and session id)."""
        return self.process.pid

    def stderr(self) -> str:
        """Everything written to stderr so far."""
        return self.stderr_path.read_text(errors="replace")

    def stdout(self) -> str:
        """Everything written to stdout so far."""
        return self.stdout_path.read_text(errors="replace")

    def interrupt(self, signum: int = signal.SIGINT, timeout: float = 45.0) -> int:
        """Send ``signum`` as a terminal would (to the foreground group) and wait for the exit."""
        os.killpg(self.pid, signum)
        return self.process.wait(timeout=timeout)

    def kill_everything(self) -> None:
        """Clean up after a failed test: SIGKILL the whole session."""
        for pid in session_pids(self.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.wait(timeout=10)
