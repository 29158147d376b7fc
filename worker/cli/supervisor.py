"""``dockwatch run``: migrations, then worker, beat, relay, webhooks, mirror (and, when
``DOCKWATCH_MQTT_URL`` is set, the MQTT publisher) as child processes.

The children run in the foreground of this one command, each in its own process group, so the
terminal's Ctrl-C reaches only this supervisor, which then stops them in order: SIGTERM to each,
and after a grace period SIGKILL to each whole group (a Celery pool process included). A child is
only reaped after its group was swept, so its id can never have been reused by then. Each child
also asks the kernel to SIGTERM it if the supervisor dies, so nothing is left orphaned even after
a ``kill -9``. A child that crashes is restarted a few times before the whole job gives up.
A Redis outage is reported by the supervisor alone, once when it starts and once when it ends
(``worker.redis_outage``); the children drop their own per-retry logs of it.

Every child logs at the supervisor's level (``DOCKWATCH_LOG_LEVEL`` in its environment) in the one
format of ``worker.log_format``, into a pipe the supervisor reads: its lines reach stderr through
one ``Console`` with the supervisor's own and the first fill's progress (``worker.cli.console``).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FrameType
from urllib.parse import urlsplit

from models.support.redact import without_credentials
from settings import Settings
from worker import log_format
from worker.bootstrap import cadence_for, connect_database, connect_redis, probe_mqtt
from worker.cli.console import ChildOutput, Console, ConsoleWriter
from worker.cli.listener import check_port
from worker.cli.progress import ProgressReporter, fill_already_done
from worker.redis_outage import SUPERVISOR_ENV, RedisWatch
from worker.schedule import expires

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 10.0
# A child that crashes more often than this inside the window stops the whole job.
RESTART_LIMIT = 3
RESTART_WINDOW_SECONDS = 300.0
_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> Callable[[], None]:
    """A ``preexec_fn`` asking the kernel to SIGTERM the child when ``parent`` dies."""

    def setup() -> None:  # pragma: no cover - runs in the child before exec
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return setup


@dataclass(frozen=True)
class Child:
    """A named child command."""

    name: str
    argv: Sequence[str]


def child_commands(host: str, port: int, *, mqtt: bool = False) -> list[Child]:
    """The processes of the main job: one worker, exactly one beat, the relay, the webhook
    delivery, the mirror and, with ``mqtt`` (``DOCKWATCH_MQTT_URL`` set), the MQTT publisher.

    Beat keeps its schedule in memory: a restart simply starts the intervals afresh (the first
    poll is queued by the supervisor itself), and no schedule file is ever written.
    """
    python = sys.executable
    # No --loglevel: the worker and beat take DOCKWATCH_LOG_LEVEL's (see worker.app).
    celery = [python, "-m", "celery", "-A", "worker.app", "--quiet"]
    node = f"dockwatch-{os.getpid()}@%h"
    # mingle and gossip talk to every worker on the broker, other key prefixes included
    quiet = ["--without-mingle", "--without-gossip"]
    children = [
        Child(
            "worker",
            [*celery, "worker", "--concurrency", "1", "--hostname", node, *quiet],
        ),
        Child("beat", [*celery, "beat", "-S", "celery.beat:Scheduler"]),
        Child("relay", [python, "-m", "worker.cli", "relay"]),
        Child("webhooks", [python, "-m", "worker.cli", "webhooks", "deliver"]),
        Child("mirror", [python, "-m", "worker.cli", "serve", "--host", host, "--port", str(port)]),
    ]
    if mqtt:
        children.append(Child("mqtt", [python, "-m", "worker.cli", "mqtt"]))
    return children


@dataclass
class Running:
    """A started child and its recent crash times."""

    child: Child
    process: subprocess.Popen[bytes]
    crashes: deque[float] = field(default_factory=deque)

    @property
    def pid(self) -> int:
        """The child's pid, which is also its process group id."""
        return self.process.pid

    def exited(self) -> bool:
        """Whether the child exited, without reaping it (its pid stays reserved)."""
        if self.process.returncode is not None:
            return True
        try:
            info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return True
        return info is not None

    def kill_group(self, signum: int) -> None:
        """Signal every process of the child's group (safe: the leader is not reaped yet)."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signum)


class Supervisor:
    """Starts the children, waits for a stop signal or a child's final death, stops them all.

    With a ``console`` the children's output goes through it (a pipe each); without, they
    share the supervisor's stdout and stderr.
    """

    def __init__(
        self,
        children: Sequence[Child],
        *,
        grace: float = STOP_GRACE_SECONDS,
        console: Console | None = None,
    ) -> None:
        self.children = children
        self.grace = grace
        self.console = console
        self.outputs: list[ChildOutput] = []
        self.running: dict[str, Running] = {}
        self.stopping = threading.Event()
        self.forced = threading.Event()

    def _spawn(self, child: Child) -> subprocess.Popen[bytes]:
        # The supervisor reports Redis outages for the whole job; the children stay quiet.
        env = {
            **os.environ,
            SUPERVISOR_ENV: str(os.getpid()),
            "DOCKWATCH_LOG_LEVEL": logging.getLevelName(logging.getLogger().getEffectiveLevel()),
        }
        piped = self.console is not None
        process = subprocess.Popen(
            list(child.argv),
            env=env,
            stdout=subprocess.PIPE if piped else None,
            stderr=subprocess.STDOUT if piped else None,
            stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent(os.getpid()),
            process_group=0,
        )
        if self.console is not None and process.stdout is not None:
            output = ChildOutput(child.name, process.stdout, self.console)
            output.start()
            self.outputs.append(output)
        log.info("started %s (pid %d)", child.name, process.pid)
        return process

    def start(self) -> None:
        """Start every child."""
        for child in self.children:
            self.running[child.name] = Running(child, self._spawn(child))

    def pids(self) -> dict[str, int]:
        """The current pid of each child."""
        return {name: running.pid for name, running in self.running.items()}

    def handle_signal(self, signum: int, _frame: FrameType | None) -> None:
        """First signal: stop politely. A second one: kill at once."""
        if self.stopping.is_set():
            log.warning("received %s again: killing everything now", signal.Signals(signum).name)
            self.forced.set()
            return
        log.info("received %s: stopping (again to kill at once)", signal.Signals(signum).name)
        self.stopping.set()

    def wait(self, tick: float = 0.5) -> str | None:
        """Block until asked to stop or a child crashed too often; that child's name, if any."""
        while not self.stopping.wait(tick):
            for name, running in self.running.items():
                if running.exited() and not self._restart(running):
                    return name
        return None

    def _restart(self, running: Running) -> bool:
        running.kill_group(signal.SIGKILL)  # whatever the dead child left behind
        code = running.process.wait()
        now = time.monotonic()
        while running.crashes and now - running.crashes[0] > RESTART_WINDOW_SECONDS:
            running.crashes.popleft()
        if len(running.crashes) >= RESTART_LIMIT:
            log.error("%s exited with %s again; stopping everything", running.child.name, code)
            return False
        running.crashes.append(now)
        log.warning("%s exited with %s; restarting it", running.child.name, code)
        running.process = self._spawn(running.child)
        return True

    def stop(self) -> None:
        """SIGTERM every child (beat first), SIGKILL each group after the grace period."""
        ordered = sorted(self.running.values(), key=lambda r: r.child.name != "beat")
        for running in ordered:
            if not running.exited():
                with contextlib.suppress(ProcessLookupError):
                    running.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        while not all(r.exited() for r in ordered) and time.monotonic() < deadline:
            if self.forced.wait(0.1):
                break
        for running in ordered:
            if not running.exited():
                log.warning("%s did not stop in time; killing it", running.child.name)
            running.kill_group(signal.SIGKILL)
            running.process.wait()
        for output in self.outputs:  # their last lines (every writer of the pipes is gone)
            output.join(timeout=2)


def probe_upstream(url: str, timeout: float = 3.0) -> str | None:
    """Why the upstream's host cannot be reached, or None. Opens a TCP connection only: an
    HTTP request would spend the request budget."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        return str(error)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except socket.gaierror:
        return f"cannot resolve {host}"
    except OSError as error:
        return f"{host}:{port}: {error.strerror or type(error).__name__}"


def queue_first_poll(settings: Settings) -> None:
    """Queue a poll now, so the first fill starts at once rather than one interval later."""
    from worker.app import app as celery_app

    try:
        celery_app.send_task("dockwatch.sync_poll", expires=expires(cadence_for(settings).poll))
    except Exception as error:  # noqa: BLE001 - beat queues the next poll anyway
        log.warning("could not queue the first poll (beat will): %s", error)


def log_line(level: int, line: str) -> None:
    """One of the Redis watch's lines, in the job's log."""
    log.log(level, "%s", line)


def display_host(host: str) -> str:
    """The host to print in a URL a user can open."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def run_everything(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """The main job, in the foreground until Ctrl-C or SIGTERM, logging at the level the
    command line set (which its children take)."""
    console = Console(sys.stderr)
    level = logging.getLevelName(logging.getLogger().getEffectiveLevel())
    log_format.configure(level, stream=ConsoleWriter(console))
    engine = connect_database(settings.database_url, migrate=True)
    already_filled = fill_already_done(engine)
    engine.dispose()
    connect_redis(settings.redis_url).close()
    check_port(host, port)
    if settings.mqtt_url is not None:
        broker_down = probe_mqtt(settings)  # refused credentials: SettingsError, exit 2
        if broker_down:
            log.warning(
                "MQTT broker unreachable (%s): the publisher retries until it answers; check"
                " DOCKWATCH_MQTT_URL or start the broker",
                broker_down,
            )
    unreachable = probe_upstream(settings.upstream_url)
    if unreachable:
        log.warning(
            "upstream %s is unreachable (%s): the mirror serves the local copy; the first poll"
            " tries now, then every poll while it stays so, at the back-off's pace; check"
            " DOCKWATCH_UPSTREAM_URL or the network",
            without_credentials(settings.upstream_url),
            unreachable,
        )
    children = child_commands(host, port, mqtt=settings.mqtt_url is not None)
    supervisor = Supervisor(children, console=console)
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, supervisor.handle_signal)
    base = f"http://{display_host(host)}:{port}"
    reporter = ProgressReporter(
        settings, base, supervisor.stopping, console, already_filled=already_filled
    )
    watch = RedisWatch(settings.redis_url, report=log_line)
    watcher = threading.Thread(
        target=watch.run, args=(supervisor.stopping,), name="redis-watch", daemon=True
    )
    supervisor.start()
    queue_first_poll(settings)
    reporter.start()
    watcher.start()
    try:
        dead = supervisor.wait()
    finally:
        supervisor.stopping.set()
        supervisor.stop()
        reporter.join(timeout=5)
        watcher.join(timeout=10)
        watch.close()
    log.info("dockwatch stopped")
    if dead is not None:
        raise SystemExit(1)
