"""``dockwatch budget show [--json]`` and ``dockwatch budget reset``: the shared request budget.

``show`` prints the requests sent in the sliding hour against the limit, when the next one may
go, upstream's Retry-After hold and the back-off after connection failures of the configured
upstream (``DOCKWATCH_UPSTREAM_URL``; a back-off learnt from another URL is not this one's).
``reset`` ends that back-off and the Retry-After hold at once and says what it ended. It leaves
the hour's spent slots alone: each is a request that may have reached upstream, which counts it
in its own hour whatever dockwatch forgets, so the slots free themselves as the hour slides.
Both need Redis only (exit 1 with one line when it does not answer).
"""

from __future__ import annotations

import json

import click

from models.fleet.readings import BudgetUsage, Unreachable
from models.support.instants import epoch_instant
from models.support.redact import without_credentials
from settings import load_settings
from worker.bootstrap import budget_process
from worker.cli.errors import one_line_errors
from worker.upstream.budget import Cleared, RequestBudget


@click.group()
def budget() -> None:
    """The shared upstream request budget: show it, or end its back-off and holds."""


@budget.command()
@click.option("--json", "as_json", is_flag=True, help="Print the budget as JSON.")
@one_line_errors
def show(as_json: bool) -> None:
    """Requests used in the sliding hour, the next free slot, upstream's hold, the back-off."""
    settings = load_settings()
    with budget_process(settings) as shared:
        usage = shared.usage()
    upstream = without_credentials(settings.upstream_url)
    if as_json:
        click.echo(json.dumps({"upstream": upstream, **usage.model_dump(mode="json")}))
        return
    click.echo("\n".join(show_lines(usage, upstream, window_seconds=shared.window_seconds)))


def show_lines(usage: BudgetUsage, upstream: str, *, window_seconds: float) -> list[str]:
    """``budget show``'s text from a budget reading (its instants written ISO-8601)."""
    hour = "hour" if window_seconds == 3600 else f"{window_seconds:g} s"
    lines = [
        f"upstream: {upstream}",
        f"requests: {usage.used} used of {usage.limit} in the sliding {hour} ({usage.left} left)",
        f"next free slot: {epoch_instant(usage.next_slot_at) or 'now'}",
        f"upstream's Retry-After hold: {_until(epoch_instant(usage.not_before))}",
    ]
    backoff = usage.unreachable
    if backoff is None:
        lines.append("back-off after connection failures: none")
    else:
        lines.append(
            f"back-off after connection failures: {backoff.failures} in a row"
            f" ({backoff.error}) since {_at(backoff.since)}; no request before"
            f" {_at(backoff.until)}"
        )
    if usage.not_before is not None or backoff is not None:
        lines.append("(`dockwatch budget reset` ends the hold and the back-off now)")
    return lines


def _until(instant: str | None) -> str:
    return "none" if instant is None else f"until {instant}"


@budget.command()
@one_line_errors
def reset() -> None:
    """End the back-off and upstream's Retry-After hold now (spent request slots stay)."""
    settings = load_settings()
    with budget_process(settings) as shared:
        cleared = shared.clear_holds()
        usage = shared.usage()
    upstream = without_credentials(settings.upstream_url)
    for line in reset_lines(cleared, upstream, shared, used=usage.used):
        click.echo(line)


def reset_lines(cleared: Cleared, upstream: str, shared: RequestBudget, *, used: int) -> list[str]:
    """What ``budget reset`` ended, then what it kept and why."""
    lines = [_backoff_cleared(cleared.unreachable, upstream)]
    if cleared.not_before is None:
        lines.append("upstream's Retry-After hold: none to clear")
    else:
        lines.append(
            f"cleared upstream's Retry-After hold (it held until {_at(cleared.not_before)})"
        )
    lines.append(
        f"kept the {used} request(s) sent in the sliding hour (limit {shared.limit}): each may"
        " have reached upstream, which counts it anyway; they free as the hour slides"
    )
    return lines


def _backoff_cleared(backoff: Unreachable | None, upstream: str) -> str:
    if backoff is None:
        return f"back-off after connection failures for {upstream}: none to clear"
    return (
        f"cleared the back-off after {backoff.failures} connection failure(s) in a row for"
        f" {upstream} ({backoff.error}; it held until {_at(backoff.until)})"
    )


def _at(epoch: float) -> str:
    return str(epoch_instant(epoch))
