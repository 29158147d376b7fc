"""``dockwatch sync [--full]``: one sync cycle now, in this process, with a JSON summary line.

``--full`` adds a walk of the whole upstream list from its first page (``Mode.FULL``), so the
summary's ``complete`` then means every page was seen in this run; the beat sweep's own pass
is left to resume unless the walk reaches the end (see ``worker.sync.sweep``).

The outbox is relayed after every commit and once more at the end, so cron-style use without a
worker still notifies; Redis being down only delays the notifications (they stay queued).
Like every one-shot command it logs warnings only unless ``DOCKWATCH_LOG_LEVEL`` is set, so the
log's copy of the summary and the retries' progress (INFO lines) show only with ``-v`` or a level;
the cycle's early-stop warning, which the command's one line repeats, only then too.
Exit codes: 0 when the cycle completed; 75 when the request budget, upstream's 429 or the
unreachable back-off stopped it early (one stderr line says when it resumes; what was fetched
is kept); 1 when it failed; 2 for a bad setting.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import click

from models.support.stop_reason import StopReason
from settings import load_settings
from worker.bootstrap import Runtime, build_runtime
from worker.cli.errors import EXIT_TEMPFAIL, fail, one_line_errors
from worker.cli.verbosity import verbosity_options
from worker.notify.relay import RelayUnavailable
from worker.sync.summary import CycleSummary, Mode

UPSTREAM_HINT = " (check DOCKWATCH_UPSTREAM_URL and the network; the data so far is kept)"
F = TypeVar("F", bound=Callable[..., Any])
# The one line for each early stop a later cycle resumes: what stopped it, when it resumes.
# Its early-stop WARNING says what this command's one line says.
CYCLE_LOGGER = "worker.sync.cycle"
TEMPORARY_STOPS: dict[StopReason | None, str] = {
    StopReason.BUDGET: "sync stopped early by the request budget; resumes at {resume}",
    StopReason.THROTTLED: "sync stopped early by upstream's 429; resumes at {resume}",
    StopReason.BACKOFF: (
        "sync stopped early by the back-off after connection failures ({error}; check"
        " DOCKWATCH_UPSTREAM_URL and the network); resumes at {resume}"
    ),
}


@click.command()
@click.option(
    "--full",
    is_flag=True,
    help="Also walk the whole upstream list from its start (reconciliation).",
)
@verbosity_options(service=False)
@one_line_errors
def sync(full: bool) -> None:
    """Run one sync cycle now, in this process, and print a JSON summary."""
    cycle_log = logging.getLogger(CYCLE_LOGGER)
    level = cycle_log.level
    if not logging.getLogger().isEnabledFor(logging.INFO):
        # At the one-shot default the cycle's own warning would repeat the one-line error below.
        cycle_log.setLevel(logging.ERROR)
    try:
        _sync(full)
    finally:
        cycle_log.setLevel(level)


def _sync(full: bool) -> None:
    runtime = build_runtime(load_settings())
    try:
        summary = runtime.run_cycle(Mode.FULL if full else Mode.POLL)
        if summary is None:
            holder = runtime.sync_lock().holder()
            who = f" (process {holder.pid} on {holder.host})" if holder and holder.pid else ""
            click.echo(f"dockwatch: a sync cycle is already running{who}; nothing to do", err=True)
            return
        _relay_remaining(runtime)
        click.echo(json.dumps(summary.as_json()))
        if summary.reason in TEMPORARY_STOPS:
            fail(_stopped_early(summary), EXIT_TEMPFAIL)
        if summary.error is not None:
            hint = UPSTREAM_HINT if summary.reason is StopReason.UPSTREAM else ""
            fail(f"sync failed: {summary.error}{hint}")
    finally:
        runtime.close()


def _stopped_early(summary: CycleSummary) -> str:
    """The one line for a cycle a later one resumes: what stopped it, and when it resumes."""
    template = TEMPORARY_STOPS[summary.reason]
    return template.format(error=summary.error, resume=_to_the_second(summary.resume_at))


def _to_the_second(instant: str | None) -> str:
    """``2026-12-07T17:46:12Z`` for the summary's ``2026-12-07T17:46:12.405301Z`` (people need
    no microseconds; the JSON summary keeps them), or "the next slot"."""
    if instant is None:
        return "the next slot"
    moment = dt.datetime.fromisoformat(instant.replace("Z", "+00:00"))
    return f"{moment:%Y-%m-%dT%H:%M:%S}Z"


def _relay_remaining(runtime: Runtime) -> None:
    """A last relay pass; Redis being down only delays notifications (they stay queued)."""
    try:
        runtime.relay_now()
    except (RelayUnavailable, OSError) as error:
        click.echo(f"dockwatch: notifications stay queued: {error}", err=True)
