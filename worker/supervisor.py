"""``dockwatch run``: migrations, then worker, beat, relay and mirror as child processes.

The children run in the foreground of this one command. Ctrl-C (SIGINT) or SIGTERM stops them
all, politely first and then by force; each child also asks the kernel to kill it if this
supervisor dies, so nothing is ever left orphaned. While the first fill runs, a progress line
reports events so far of the upstream count, the budget left and when the next slot opens.
"""

from __future__ import annotations

import ctypes
import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType

from settings import Settings
from worker.progress import FillProgress, read_progress
from worker.runtime import connect_database, connect_redis

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 15.0
PROGRESS_EVERY_SECONDS = 5.0
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


@dataclass(frozen=True)
class Child:
    """A named child command."""

    name: str
    argv: Sequence[str]


def child_commands(host: str, port: int) -> list[Child]:
    """The processes of the main job: exactly one beat, one worker, the relay and the mirror."""
    python = sys.executable
    celery = [python, "-m", "celery", "-A", "worker.app"]
    return [
        Child("worker", [*celery, "worker", "--loglevel", "INFO", "--concurrency", "1"]),
        Child("beat", [*celery, "beat", "--loglevel", "INFO", "--schedule", "/dev/null"]),
        Child("relay", [python, "-m", "worker.relay_main"]),
        Child("mirror", [python, "-m", "worker.cli", "serve", "--host", host, "--port", str(port)]),
    ]


class Supervisor:
    """Starts the children, waits for a stop signal or a child's death, stops them all."""

    def __init__(self, children: Sequence[Child]) -> None:
        self.children = children
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = threading.Event()

    def start(self) -> None:
        """Start every child."""
        for child in self.children:
            self.processes[child.name] = subprocess.Popen(
                list(child.argv), preexec_fn=_die_with_parent
            )
            log.info("started %s (pid %d)", child.name, self.processes[child.name].pid)

    def handle_signal(self, signum: int, _frame: FrameType | None) -> None:
        """Ask the main loop to stop."""
        log.info("received %s: stopping", signal.Signals(signum).name)
        self.stopping.set()

    def wait(self, tick: float = 1.0) -> str | None:
        """Block until asked to stop or a child exits; the name of a dead child, if any."""
        while not self.stopping.wait(tick):
            for name, process in self.processes.items():
                if process.poll() is not None:
                    log.error("%s exited with %s; stopping everything", name, process.returncode)
                    return name
        return None

    def stop(self) -> None:
        """SIGTERM every child, then SIGKILL whatever is still alive after the grace period."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for name, process in self.processes.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in time; killing it", name)
                process.kill()
                process.wait()


def _report_progress(settings: Settings, stop: threading.Event) -> None:
    engine = connect_database(settings.database_url, migrate=False)
    redis_client = connect_redis(settings.redis_url)
    reporter = FillProgress(sys.stderr)
    try:
        while not stop.wait(PROGRESS_EVERY_SECONDS):
            progress = read_progress(engine, redis_client, settings)
            reporter.show(progress)
            if progress.fill_done:
                return
    finally:
        engine.dispose()
        redis_client.close()


def run_everything(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """The main job, in the foreground until Ctrl-C."""
    engine = connect_database(settings.database_url, migrate=True)
    engine.dispose()
    connect_redis(settings.redis_url).close()
    supervisor = Supervisor(child_commands(host, port))
    signal.signal(signal.SIGINT, supervisor.handle_signal)
    signal.signal(signal.SIGTERM, supervisor.handle_signal)
    progress = threading.Thread(
        target=_report_progress, args=(settings, supervisor.stopping), daemon=True
    )
    supervisor.start()
    progress.start()
    try:
        dead = supervisor.wait()
    finally:
        supervisor.stopping.set()
        supervisor.stop()
    log.info("dockwatch stopped")
    if dead is not None:
        raise SystemExit(1)
