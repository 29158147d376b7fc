"""Ingest: events/s for a first fill and for a no-op resync, and what the resync writes.

Pages of 100 detailed events are generated up front (no network) and applied with
``worker.sync.store.apply_page``, one transaction per page as the sync engine does, on SQLite and on
PostgreSQL (a throwaway schema). The no-op resync applies the same events an hour later, with
``time_in_space``/``time_docked`` grown by that hour as upstream would serve them; it should write
nothing. Rows written are counted twice: ``ApplyResult.rows_written`` and every INSERT/UPDATE/
DELETE the database actually received (a ``before_cursor_execute`` listener).

    python -m benchmarks.ingest [--quick] [--sizes 650,10000,100000] [--dbs sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from benchmarks.databases import parse_kinds, scratch_engine
from benchmarks.figures import summary
from fake_upstream import (
    DEFAULT_NOW,
    Event,
    format_duration,
    generate_history,
    parse_duration,
)
from models.store.db import session_scope
from worker.sync.store import apply_page

PAGE = 100
RESYNC_AFTER = dt.timedelta(hours=1)
WRITES = ("INSERT", "UPDATE", "DELETE")


@dataclass
class Pass:
    """One pass over all pages."""

    seconds: float
    events: int
    rows_written: int
    statements: int
    statement_rows: int

    @property
    def rate(self) -> float:
        """Events per second."""
        return self.events / self.seconds if self.seconds else 0.0


class WriteCounter:
    """Counts the write statements (and their parameter rows) an engine sends."""

    def __init__(self, engine: Engine) -> None:
        self.statements = 0
        self.rows = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(
        self,
        _conn: Any,
        _cursor: Any,
        statement: str,
        parameters: Any,
        _context: Any,
        executemany: bool,
    ) -> None:
        if statement.lstrip()[:6].upper() in WRITES:
            self.statements += 1
            self.rows += len(parameters) if executemany else 1

    def reset(self) -> None:
        """Start counting from zero."""
        self.statements = self.rows = 0


def aged(events: list[Event], seconds: int) -> list[Event]:
    """The events as upstream serves them ``seconds`` later: durations grown, nothing else."""
    open_crafts = {
        e["flight_vehicle"]["spacecraft"]["id"]
        for e in events
        if e["departure"] is None and e.get("flight_vehicle")
    }
    result = []
    for event_ in events:
        vehicle = event_.get("flight_vehicle")
        if not vehicle or not vehicle.get("spacecraft"):
            result.append(event_)
            continue
        craft = dict(vehicle["spacecraft"])
        if craft.get("in_space"):
            craft["time_in_space"] = format_duration(
                parse_duration(craft["time_in_space"]) + seconds
            )
        if craft["id"] in open_crafts:
            craft["time_docked"] = format_duration(parse_duration(craft["time_docked"]) + seconds)
        result.append({**event_, "flight_vehicle": {**vehicle, "spacecraft": craft}})
    return result


def apply_all(
    engine: Engine, pages: list[list[Event]], now: dt.datetime, counter: WriteCounter
) -> Pass:
    """Apply every page in its own transaction; time it and count what was written."""
    counter.reset()
    written = 0
    started = time.perf_counter()
    for page in pages:
        with session_scope(engine) as session:
            written += apply_page(session, page, now=now).rows_written
    seconds = time.perf_counter() - started
    events = sum(len(page) for page in pages)
    return Pass(seconds, events, written, counter.statements, counter.rows)


def paged(events: list[Event]) -> list[list[Event]]:
    """Pages of ``PAGE`` events."""
    return [events[i : i + PAGE] for i in range(0, len(events), PAGE)]


def warm_up(kind: str) -> None:
    """One small fill and resync on a throwaway database: connections, compiled statements."""
    events = generate_history(n_events=300, n_open=10, seed=3)
    with scratch_engine(kind) as engine:
        counter = WriteCounter(engine)
        apply_all(engine, paged(events), DEFAULT_NOW, counter)
        apply_all(engine, paged(events), DEFAULT_NOW, counter)


def measure(kind: str, size: int) -> tuple[Pass, Pass, Pass]:
    """First fill, aged no-op resync and byte-identical resync of ``size`` events on ``kind``."""
    events = generate_history(n_events=size, n_open=min(40, max(1, size // 20)), seed=size)
    pages = paged(events)
    later = paged(aged(events, int(RESYNC_AFTER.total_seconds())))
    with scratch_engine(kind) as engine:
        counter = WriteCounter(engine)
        fill = apply_all(engine, pages, DEFAULT_NOW, counter)
        resync = apply_all(engine, later, DEFAULT_NOW + RESYNC_AFTER, counter)
        same = apply_all(engine, later, DEFAULT_NOW + RESYNC_AFTER, counter)
    return fill, resync, same


def _line(label: str, result: Pass) -> str:
    return (
        f"{label} {result.rate:9,.0f} ev/s ({result.seconds:6.2f} s; rows_written "
        f"{result.rows_written:,}, write statements {result.statements:,} / rows "
        f"{result.statement_rows:,})"
    )


def main(argv: Sequence[str] | None = None) -> str:
    """Run the benchmark; returns its summary line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one tiny size")
    parser.add_argument("--sizes", default="650,10000,100000")
    parser.add_argument("--dbs", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    sizes = [250] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    kinds = parse_kinds(args.dbs)
    print(
        f"ingest: pages of {PAGE} detailed events, one transaction per page (apply_page), "
        f"no network; resync {RESYNC_AFTER} later with grown durations; after a warm-up"
    )
    for kind in kinds:
        warm_up(kind)
    fills: list[tuple[str, float]] = []
    resyncs: list[tuple[str, float]] = []
    written = 0
    for size in sizes:
        for kind in kinds:
            fill, resync, same = measure(kind, size)
            name = f"{kind} {size:,}"
            print(f"  {name:<18} {_line('first fill  ', fill)}")
            print(f"  {'':<18} {_line('no-op resync', resync)}")
            print(f"  {'':<18} {_line('same again  ', same)}")
            fills.append((name, fill.rate))
            resyncs.append((name, resync.rate))
            written += resync.rows_written + resync.statement_rows + same.statement_rows
    largest = f" {max(sizes):,}"
    at_largest = [
        f"{name.split()[0]} fill {fill:,.0f} / resync {resync:,.0f}"
        for (name, fill), (_, resync) in zip(fills, resyncs, strict=True)
        if name.endswith(largest)
    ]
    slow_fill, slow_resync = min(fills, key=lambda x: x[1]), min(resyncs, key=lambda x: x[1])
    return summary(
        "ingest",
        f"ev/s at{largest} events: {', '.join(at_largest)}; slowest anywhere: fill "
        f"{slow_fill[1]:,.0f} ({slow_fill[0]}), resync {slow_resync[1]:,.0f} ({slow_resync[0]}); "
        f"rows written by resyncs {written} (targets: fill >= 5,000, resync >= 20,000 writing 0)",
    )


if __name__ == "__main__":
    main()
