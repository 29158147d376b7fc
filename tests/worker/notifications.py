"""Helpers for the notification tests: scripted upstream events, syncs, stream reads, checks."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

import redis
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.store.tables import OutboxEntry
from tests.conftest import DATA_DIR
from worker.notify.outbox import record_changes
from worker.sync.changes import removal_changes
from worker.sync.store import apply_page, delete_events

UPSTREAM = "https://ll.thespacedevs.com/2.2.0"
NOW = dt.datetime(2025, 4, 4, 5, 24, 14, tzinfo=dt.UTC)
DOCKED = dt.datetime(2024, 11, 15, 18, 32, tzinfo=dt.UTC)


def iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def upstream_event(
    event_id: int = 615,
    *,
    docking: dt.datetime = DOCKED,
    departure: dt.datetime | None = None,
    location_id: int | None = None,
) -> dict[str, Any]:
    """The recorded detailed event 615, re-numbered and re-timed."""
    path = DATA_DIR / "ll-2.2.0_docking_event_615_detail_format-api.json"
    event: dict[str, Any] = copy.deepcopy(json.loads(path.read_text()))
    event["id"] = event_id
    event["url"] = f"{UPSTREAM}/docking_event/{event_id}/"
    event["docking"] = iso(docking)
    event["departure"] = iso(departure)
    if location_id is not None:
        event["docking_location"]["id"] = location_id
        event["docking_location"]["name"] = f"Port {location_id}"
    return event


def sync(engine: Engine, page: Sequence[dict[str, Any]], now: dt.datetime = NOW) -> int:
    """Apply a page and record its changes in one transaction, as the sync does."""
    with Session(engine) as session:
        result = apply_page(session, page, now=now)
        written = record_changes(session, result.changes, upstream_base=UPSTREAM, now=now)
        session.commit()
    return written


def remove(engine: Engine, ids: Sequence[int], now: dt.datetime = NOW) -> int:
    """Record removals, then delete, in one transaction."""
    with Session(engine) as session:
        written = record_changes(
            session, removal_changes(session, ids), upstream_base=UPSTREAM, now=now
        )
        delete_events(session, ids)
        session.commit()
    return written


def outbox_rows(engine: Engine) -> list[OutboxEntry]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxEntry).order_by(OutboxEntry.seq)).scalars())  # type: ignore[call-overload, arg-type]


def stream_events(client: redis.Redis, stream: str) -> list[dict[str, Any]]:
    """Every CloudEvent in the stream, oldest first."""
    entries: Any = client.xrange(stream)
    return [json.loads(fields[b"event"]) for _id, fields in entries]


def wait_for_entries(client: redis.Redis, stream: str, count: int, timeout_s: float = 20) -> None:
    """Block on XREAD (never a sleep) until the stream holds ``count`` entries."""
    deadline = time.monotonic() + timeout_s
    last = "0-0"
    seen = 0
    while seen < count:
        remaining_ms = int((deadline - time.monotonic()) * 1000)
        if remaining_ms <= 0:
            raise AssertionError(f"only {seen} of {count} entries arrived in {stream}")
        reply: Any = client.xread({stream: last}, block=remaining_ms)
        for _stream, entries in reply or []:
            seen += len(entries)
            last = entries[-1][0]


# --- CloudEvents 1.0, checked from the spec (core attributes, JSON format) -------------------

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
ATTRIBUTE_NAME = re.compile(r"^[a-z0-9]+$")


def cloudevent_problems(event: dict[str, Any]) -> list[str]:
    """What makes ``event`` not a valid CloudEvents 1.0 JSON event (empty: valid)."""
    problems = []
    for name in ("id", "source", "specversion", "type"):
        value = event.get(name)
        if not isinstance(value, str) or not value:
            problems.append(f"required {name} must be a non-empty string")
    if event.get("specversion") != "1.0":
        problems.append("specversion must be 1.0")
    source = urlparse(str(event.get("source", "")))
    if not (source.scheme or source.path):
        problems.append("source must be a URI-reference")
    for name in ("subject", "datacontenttype", "dataschema"):
        if name in event and (not isinstance(event[name], str) or not event[name]):
            problems.append(f"{name} must be a non-empty string when present")
    if "time" in event:
        time_value = event["time"]
        if not isinstance(time_value, str) or not RFC3339.match(time_value):
            problems.append("time must be an RFC 3339 timestamp")
        else:
            try:
                dt.datetime.fromisoformat(time_value.replace("Z", "+00:00"))
            except ValueError:
                problems.append("time must be a valid date and time")
    for name, value in event.items():
        if not ATTRIBUTE_NAME.match(name):
            problems.append(f"attribute name {name!r} must be lowercase letters and digits")
        if name not in ("data", "data_base64") and not isinstance(value, str | int | bool):
            problems.append(f"attribute {name} must be a string, integer or boolean")
    if "data" in event and "data_base64" in event:
        problems.append("data and data_base64 are exclusive")
    # The sequence extension: a non-empty, lexicographically orderable string.
    if "sequence" in event and (not isinstance(event["sequence"], str) or not event["sequence"]):
        problems.append("sequence must be a non-empty string")
    return problems


# --- a Redis server of the test's own ----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def own_redis(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A throwaway ``redis-server`` on ``port`` (no persistence), stopped on exit."""
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:  # the server says when it accepts connections
            if b"Ready to accept connections" in line:
                break
        else:
            raise AssertionError(f"redis-server on port {port} did not start")
        # Keep draining its log so a full pipe never blocks the server.
        threading.Thread(target=process.stdout.read, daemon=True).start()
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


def group_pending(client: redis.Redis, stream: str, group: str) -> int:
    """How many entries the group delivered but nobody acknowledged."""
    summary: Any = client.xpending(stream, group)
    return int(summary["pending"])
