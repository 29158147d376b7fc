"""The offline demo: a replay upstream, the main job against it, a scripted docking and undocking.

``dockwatch demo`` (or ``make demo``) starts the fake LL2 server (``fake_upstream``) on
127.0.0.1, seeded with the two real LL2 samples plus generated history, runs ``dockwatch run``
against it (a temporary SQLite database, the local Redis, a key prefix and stream of its own)
and, once the first fill is done, docks a spacecraft at the ISS and undocks it again, reporting
when each notification reaches the stream. It prints the ``export`` of every setting the job
runs with (so ``dockwatch status`` and the rest reach the demo's deployment), then, once the
mirror answers, the live page's URL and the ``dockwatch subscribe`` and ``curl -N …/events``
commands for a second terminal, and ``curl`` commands for the mirror. Ctrl-C stops everything
and removes its files and its Redis keys (it refuses a key prefix or stream already in use, so
it only ever deletes its own). The only module of the product that imports the fake upstream
(the ``demo`` command imports this one only when the demo runs).
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import httpx
import redis

from fake_upstream import FakeUpstream, generate_history, make_event
from models.fleet.stream import dead_letter_stream
from models.support.redact import url_secrets
from settings import Settings, SettingsError, load_settings
from worker.bootstrap import ServiceError, connect_redis
from worker.cli.listener import check_port
from worker.cli.supervisor import die_with_parent

# The folder holding the product's packages (a checkout or site-packages). It goes on the main
# job's PYTHONPATH: the job runs the same code as the demo from any directory.
SOURCE_ROOT = Path(__file__).resolve().parents[2]
# Demo time runs fast: 1800 requests an hour makes the poll come every ~2.7 s, not every 320 s.
DEMO_RATE_PER_HOUR = 1800
LOCATION_HARMONY_FORWARD = 19  # an ISS port
CONFIG_CARGO_DRAGON = 7
VEHICLE = "Cargo Dragon C213 (demo)"


class DemoFailed(Exception):
    """The demo cannot go on; the message is one line."""


class Stopped(Exception):
    """Ctrl-C or SIGTERM."""


@dataclass(frozen=True)
class DemoOptions:
    """The demo's options (``dockwatch demo --help`` describes them)."""

    port: int = 8000
    events: int = 650
    pause: float = 10.0
    exit_when_done: bool = False
    key_prefix: str | None = None
    stream: str | None = None


class Demo:
    """One demo run; ``run`` returns the exit code."""

    def __init__(self, args: DemoOptions, settings: Settings, out: TextIO = sys.stdout) -> None:
        self.args = args
        self.settings = settings
        self.out = out
        self.stop = threading.Event()
        self.started = time.monotonic()
        # Never the configured prefix and stream: the demo must not touch a real deployment's.
        self.prefix = args.key_prefix or f"dockwatch-demo-{uuid.uuid4().hex[:6]}"
        self.stream = args.stream or f"{self.prefix}:events"
        self.workdir = Path(tempfile.mkdtemp(prefix="dockwatch-demo-"))
        self.log_path = self.workdir / "dockwatch-run.log"
        self.database_url = f"sqlite:///{self.workdir / 'demo.db'}"
        self.mirror = f"http://127.0.0.1:{args.port}"
        self.job: subprocess.Popen[bytes] | None = None
        self.fake: FakeUpstream | None = None
        self.redis: redis.Redis | None = None
        self.owns_keys = False  # set once the prefix and stream are known to be unused

    # ------------------------------------------------------------------ output and waiting
    def say(self, text: str = "") -> None:
        """One line of the demo's story, with the seconds since it started."""
        stamp = f"[{time.monotonic() - self.started:5.1f}s] " if text else ""
        try:
            self.out.write(f"{stamp}{text}\n")
            self.out.flush()
        except (BrokenPipeError, ValueError):
            # The reader went away (``| head``): the story goes unread, the demo (and above all
            # its clean-up) goes on.
            self.out = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the demo

    def pause(self, seconds: float) -> None:
        """Theatre, not synchronisation: give the watcher time to look."""
        if self.stop.wait(seconds):
            raise Stopped

    def wait_for(self, what: str, condition: Callable[[], Any], timeout: float) -> Any:
        """Poll ``condition`` until truthy; fail when the job died or the deadline passed."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if self.job is not None and self.job.poll() is not None:
                raise DemoFailed(f"the main job exited while waiting for {what}{self._log_tail()}")
            if time.monotonic() > deadline:
                raise DemoFailed(f"gave up waiting for {what} after {timeout:.0f} s")
            if self.stop.wait(0.2):
                raise Stopped

    def _log_tail(self) -> str:
        lines = self.log_path.read_text(errors="replace").splitlines()[-5:]
        return ":\n  " + "\n  ".join(lines) if lines else ""

    # ------------------------------------------------------------------------ the story
    def run(self) -> int:
        """Set up, play the script, tear down."""
        try:
            self.redis = connect_redis(self.settings.redis_url)
            check_port("127.0.0.1", self.args.port)
            self._claim_keys()
            self._start_upstream()
            self._start_job()
            self._introduce()
            self._play()
            if not self.args.exit_when_done:
                self.say(
                    "script done: the mirror keeps serving and syncing. Ctrl-C stops the demo."
                )
                self.stop.wait()
            return 0
        except Stopped:
            return 0
        except (DemoFailed, ServiceError) as error:
            self.out.flush()
            print(f"dockwatch: {error}", file=sys.stderr)
            return 1
        finally:
            self._tear_down()

    def _start_upstream(self) -> None:
        now = datetime.now(UTC)
        events = generate_history(self.args.events, 12, seed=1, now=now)
        self.fake = FakeUpstream(events, clock=lambda: datetime.now(UTC)).start()

    def job_settings(self) -> dict[str, str]:
        """Every ``DOCKWATCH_*`` variable the main job runs with: the demo's deployment."""
        assert self.fake is not None
        return {
            "DOCKWATCH_UPSTREAM_URL": self.fake.base_url,
            "DOCKWATCH_DATABASE_URL": self.database_url,
            "DOCKWATCH_REDIS_URL": self.settings.redis_url,
            "DOCKWATCH_KEY_PREFIX": self.prefix,
            "DOCKWATCH_STREAM": self.stream,
            "DOCKWATCH_RATE_LIMIT_PER_HOUR": str(DEMO_RATE_PER_HOUR),
            "DOCKWATCH_NOTIFY_BACKFILL": "false",
        }

    def exports(self) -> str:
        """``export …`` of every setting of the job: other commands run with it reach the demo.

        A Redis URL holding a password is left out (it is the operator's own setting, which
        their commands read anyway): the story never shows a secret.
        """
        settings = self.job_settings()
        if url_secrets(settings["DOCKWATCH_REDIS_URL"]):
            del settings["DOCKWATCH_REDIS_URL"]
        return "export " + " ".join(f"{k}={shlex.quote(v)}" for k, v in settings.items())

    def _start_job(self) -> None:
        # Only the demo's own settings: none of the operator's DOCKWATCH_* values leak in.
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKWATCH_")}
        env.update(self.job_settings())
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(SOURCE_ROOT), os.environ.get("PYTHONPATH")])
        )
        argv = [sys.executable, "-m", "worker.cli", "run", "--port", str(self.args.port)]
        with self.log_path.open("wb") as log:
            # Its own process group: the terminal's Ctrl-C reaches the demo, which stops the job.
            self.job = subprocess.Popen(
                argv,
                env=env,
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent(os.getpid()),
                process_group=0,
            )

    def _introduce(self) -> None:
        assert self.fake is not None
        self.say("dockwatch demo")
        self.say(f"  replay upstream  {self.fake.base_url} ({len(self.fake.ids)} docking events:")
        self.say("                   2 real LL2 samples + generated history)")
        self.say(f"  main job         dockwatch run --port {self.args.port}, log: {self.log_path}")
        self.say(f"  database         {self.database_url} (removed at the end)")
        self.say(f"  budget           {DEMO_RATE_PER_HOUR} requests/hour: a poll every ~3 s")
        self.say()
        self.say("dockwatch's other commands (status, sync, subscribe …) and the documentation's")
        self.say("Python examples reach the demo's deployment with these settings exported:")
        self.say(f"  {self.exports()}")
        self.say()

    def _announce_mirror(self) -> None:
        """Once the mirror answers: its live page and the commands that watch notifications."""
        dockwatch = Path(sys.executable).with_name("dockwatch")
        command = str(dockwatch) if dockwatch.exists() else "dockwatch"
        redis_env = ""
        if os.environ.get("DOCKWATCH_REDIS_URL") and not url_secrets(self.settings.redis_url):
            redis_env = f"DOCKWATCH_REDIS_URL={shlex.quote(self.settings.redis_url)} "
        self.say("waiting for the mirror ...")
        self.wait_for("the mirror", self._mirror_answers, timeout=120)
        self.say(f"the mirror answers at {self.mirror}")
        self.say(f"Open the live page in a browser: {self.mirror}/")
        self.say("In a second terminal, watch the notifications arrive:")
        stream = shlex.quote(self.stream)
        self.say(f"  {redis_env}DOCKWATCH_STREAM={stream} {command} subscribe --from-start")
        self.say(f"  curl -N {self.mirror}/events")
        self.say()

    def _play(self) -> None:
        assert self.fake is not None
        total = len(self.fake.ids)
        self._announce_mirror()
        self.say("waiting for the first fill ...")
        self.wait_for("the first fill", lambda: self._mirror_count() == total, timeout=120)
        self.say(f"first fill done: the mirror holds {total} events. Try:")
        self.say(f"  curl -s '{self.mirror}/2.2.0/docking_event/?limit=2'")
        iss_latest = "space_station__id=4&ordering=-docking&limit=3"
        self.say(f"  curl -s '{self.mirror}/2.2.0/docking_event/?{iss_latest}'")
        self.say(f"  curl -s '{self.mirror}/status'")
        self.say()
        event_id = max(self.fake.ids) + 1
        since = self._stream_tail()
        self.pause(self.args.pause)
        now = datetime.now(UTC)
        self.fake.add_event(
            make_event(
                event_id,
                now,
                location_id=LOCATION_HARMONY_FORWARD,
                config_id=CONFIG_CARGO_DRAGON,
                spacecraft_name=VEHICLE,
                now=now,
            )
        )
        self.say(f"upstream: {VEHICLE} docks at the ISS, Harmony forward (event {event_id})")
        since = self._await_notification("docking_event.docked", event_id, since)
        self.say(f"  curl -s '{self.mirror}/2.2.0/docking_event/{event_id}/'")
        self.pause(self.args.pause)
        self.fake.set_departure(event_id, datetime.now(UTC))
        self.say(f"upstream: {VEHICLE} undocks (event {event_id})")
        self._await_notification("docking_event.undocked", event_id, since)

    def _mirror_answers(self) -> bool:
        try:
            return httpx.get(f"{self.mirror}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def _mirror_count(self) -> int | None:
        try:
            response = httpx.get(f"{self.mirror}/2.2.0/docking_event/?limit=1", timeout=2)
            return int(response.json()["count"]) if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError, KeyError):
            return None

    def _stream_tail(self) -> str:
        assert self.redis is not None
        last: Any = self.redis.xrevrange(self.stream, count=1)
        return str(last[0][0].decode()) if last else "0"

    def _await_notification(self, kind: str, event_id: int, since: str) -> str:
        """Read the stream (no group: it takes nothing from subscribers) until ``kind`` shows."""
        assert self.redis is not None
        client = self.redis
        cursor = since
        start = time.monotonic()

        def arrived() -> bool:
            nonlocal cursor
            reply: Any = client.xread({self.stream: cursor}, count=100, block=200)
            for _stream, entries in reply or []:
                for entry_id, fields in entries:
                    cursor = entry_id.decode()
                    event = json.loads(fields[b"event"])
                    if event["type"] == kind and event["subject"] == str(event_id):
                        return True
            return False

        self.wait_for(f"the {kind} notification", arrived, timeout=60)
        self.say(f"notification {kind} for event {event_id} on the stream after "
                 f"{time.monotonic() - start:.1f} s")  # fmt: skip
        return cursor

    # ------------------------------------------------------------------------ Redis keys
    def _stream_keys(self) -> set[str]:
        return {self.stream, dead_letter_stream(self.stream)}

    def _own_keys(self) -> set[bytes]:
        """Every key of the demo: its prefix's (budget, lock, Celery's queue), its streams."""
        assert self.redis is not None
        keys = set(self.redis.scan_iter(match=f"{self.prefix}:*", count=1000))
        return keys | {key.encode() for key in self._stream_keys()}

    def _claim_keys(self) -> None:
        """Refuse a key prefix or stream already in use: the demo deletes its keys at the end.

        An empty stream is fine (a subscriber started first creates it with its group).
        """
        assert self.redis is not None
        streams = self._stream_keys()
        used = [
            key.decode()
            for key in self.redis.scan_iter(match=f"{self.prefix}:*", count=1000)
            if key.decode() not in streams
        ]
        used += [key for key in streams if self._holds_data(key)]
        if used:
            raise DemoFailed(
                f"Redis key {sorted(used)[0]!r} already exists: pass another --key-prefix or"
                " --stream (the demo deletes its keys when it ends)"
            )
        self.owns_keys = True

    def _holds_data(self, key: str) -> bool:
        assert self.redis is not None
        kind: Any = self.redis.type(key)
        length: Any = self.redis.xlen(key) if kind == b"stream" else 0
        return kind != b"none" and (kind != b"stream" or int(length) > 0)

    def _tear_down(self) -> None:
        if self.job is not None and self.job.poll() is None:
            self.say("stopping the main job ...")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.job.pid, signal.SIGINT)
            try:
                self.job.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.job.pid, signal.SIGKILL)
                self.job.wait()
        if self.fake is not None:
            self.fake.stop()
        if self.redis is not None:
            if self.owns_keys:
                with contextlib.suppress(redis.RedisError):
                    self.redis.delete(*self._own_keys())
            self.redis.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


def main(options: DemoOptions) -> int:
    """Run the demo until its script ends (``exit_when_done``) or Ctrl-C; the exit code."""
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"dockwatch: {error}", file=sys.stderr)
        return 2
    demo = Demo(options, settings)

    def request_stop(_signum: int, _frame: object) -> None:
        demo.stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, request_stop)
    return demo.run()
