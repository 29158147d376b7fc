"""``dockwatch webhooks``: register, filter, list, remove, enable and test endpoints; ``deliver``
runs them.

Endpoints live in the database, so every process sees the same ones. ``add`` prints one JSON
line ``{"id": …, "url": …, "secret": "whsec_…"}`` — the only place a secret is ever printed.
``add`` and ``update`` take ``dockwatch subscribe``'s filter options (``--station``,
``--vehicle``, ``--type``); ``update`` replaces an endpoint's whole filter and keeps its place in
the stream. ``list`` shows each endpoint's filter and delivery state (delivered, skipped by the
filter, last status, failures in a row, next attempt); its URLs are shown without query string
or credentials. ``test`` sends one signed delivery of type ``dockwatch.webhook.test`` and
prints the answer's status (exit 1 unless it is a 2xx).
``deliver`` is the long-running delivery (``dockwatch run`` starts it; compose runs it as the
``webhooks`` service) until SIGTERM or SIGINT.
"""

from __future__ import annotations

import logging

import click

from models.store.db import session_scope
from models.store.webhook_endpoints import (
    EndpointNotFound,
    get_endpoint,
    list_endpoints,
    public_view,
    set_enabled,
    set_filter,
)
from models.support.clock import utc_now
from models.support.compact_json import compact_json
from models.support.limits import BIGINT_MAX
from models.support.redact import without_credentials
from settings import load_settings
from worker.bootstrap import connect_redis, delivery_process, open_database, webhook_http
from worker.cli.errors import fail, one_line_errors
from worker.cli.filter_options import filter_options
from worker.cli.signals import stop_on_signals
from worker.cli.verbosity import FLAG_KEY, configure
from worker.notify.webhook_registry import EndpointUrlError, check_url, register, unregister
from worker.notify.webhooks import SecretError, check_secret, new_secret, post_event, probe_event

# Ids are BIGINT: a larger number can name no endpoint (and must not reach the database).
ENDPOINT_ID = click.argument(
    "endpoint_id", metavar="ID", type=click.IntRange(min=1, max=BIGINT_MAX)
)


def aligned_table(rows: list[list[str]]) -> str:
    """``rows`` (the header first) as lines whose columns start at one offset each.

    Every column but the last is padded to its widest cell plus two spaces; trailing spaces go.
    """
    widths = [max(len(row[index]) for row in rows) for index in range(len(rows[0]) - 1)]
    lines = [
        "".join(cell.ljust(width + 2) for cell, width in zip(row, widths, strict=False)) + row[-1]
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines)


COLUMNS = (
    "id",
    "enabled",
    "delivered",
    "skipped",
    "last_status",
    "failures_in_a_row",
    "next_attempt_at",
)
FILTER_COLUMNS = ("types", "stations", "vehicles")  # each "all" when it keeps everything


def _url(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    try:
        return check_url(value)
    except EndpointUrlError as error:
        raise click.BadParameter(str(error)) from None


def _secret(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str:
    try:
        return new_secret() if value is None else check_secret(value)
    except SecretError as error:
        raise click.BadParameter(str(error)) from None


def _not_found(error: EndpointNotFound) -> None:
    fail(f"{error}; `dockwatch webhooks list` shows the endpoints")


@click.group()
@click.pass_context
def webhooks(ctx: click.Context) -> None:
    """Webhook endpoints: Standard Webhooks-signed POSTs of the notifications each one wants."""
    if ctx.invoked_subcommand == "deliver":  # a service: DOCKWATCH_LOG_LEVEL's level
        configure(ctx.meta.get(FLAG_KEY), service=True)
    # httpx's request lines carry an endpoint's whole URL (a token in its query string too):
    # never logged, even with -v.
    logging.getLogger("httpx").setLevel(logging.WARNING)


@webhooks.command()
@click.argument("url", callback=_url)
@click.option("--secret", callback=_secret, help="A whsec_… signing secret [default: a new one].")
@filter_options
@one_line_errors
def add(
    url: str,
    secret: str,
    stations: tuple[str, ...],
    vehicles: tuple[str, ...],
    types: tuple[str, ...],
) -> None:
    """Register an endpoint; prints its id, URL and secret as one JSON line.

    Without --station, --vehicle or --type it gets every notification; with them, only the
    ones they match (as for `dockwatch subscribe`).
    """
    settings = load_settings()
    with (
        open_database(settings.database_url) as engine,
        connect_redis(settings.redis_url) as redis_client,
    ):
        endpoint = register(
            engine,
            redis_client,
            settings.stream,
            url=url,
            secret=secret,
            event_types=types,
            now=utc_now(),
            stations=stations,
            vehicles=vehicles,
        )
    click.echo(compact_json({"id": endpoint.id, "url": url, "secret": secret}))


@webhooks.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array (no secrets).")
@one_line_errors
def list_command(as_json: bool) -> None:
    """The endpoints and the state of their deliveries."""
    with open_database(load_settings().database_url) as engine, session_scope(engine) as session:
        views = [public_view(endpoint) for endpoint in list_endpoints(session)]
    if as_json:
        click.echo(compact_json(views))
        return
    if not views:
        click.echo("no webhook endpoints (add one with `dockwatch webhooks add URL`)")
        return
    rows = [[*COLUMNS, *FILTER_COLUMNS, "url"]]
    for view in views:
        cells = ["-" if view[name] is None else str(view[name]) for name in COLUMNS]
        terms = [",".join(view[name]) or "all" for name in FILTER_COLUMNS]
        reason = f"  ({view['disabled_reason']})" if view["disabled_reason"] else ""
        rows.append([*cells, *terms, view["url"] + reason])
    click.echo(aligned_table(rows))


@webhooks.command()
@ENDPOINT_ID
@filter_options
@click.option("--all", "everything", is_flag=True, help="No filter: every notification.")
@one_line_errors
def update(
    endpoint_id: int,
    stations: tuple[str, ...],
    vehicles: tuple[str, ...],
    types: tuple[str, ...],
    everything: bool,
) -> None:
    """Replace an endpoint's filter, keeping its place in the stream.

    The new filter is exactly the options given (a kind not given keeps every value); --all
    removes the filter. It applies from the next notification the endpoint settles on, the one
    being retried included; skipped ones are not sent again.
    """
    given = bool(stations or vehicles or types)
    if given == everything:
        both = ", not both" if given else ""
        raise click.UsageError(
            f"give the new filter (--station, --vehicle, --type) or --all for everything{both}"
        )
    with open_database(load_settings().database_url) as engine:
        try:
            with session_scope(engine) as session:
                view = public_view(
                    set_filter(
                        session,
                        endpoint_id,
                        event_types=types,
                        stations=stations,
                        vehicles=vehicles,
                    )
                )
        except EndpointNotFound as error:
            _not_found(error)
    terms = ", ".join(f"{name} {','.join(view[name]) or 'all'}" for name in FILTER_COLUMNS)
    click.echo(f"updated webhook endpoint {endpoint_id}: {terms}")


@webhooks.command()
@ENDPOINT_ID
@one_line_errors
def remove(endpoint_id: int) -> None:
    """Delete an endpoint and what it had pending."""
    settings = load_settings()
    with (
        open_database(settings.database_url) as engine,
        connect_redis(settings.redis_url) as redis_client,
    ):
        try:
            unregister(engine, redis_client, settings.stream, endpoint_id)
        except EndpointNotFound as error:
            _not_found(error)
    click.echo(f"removed webhook endpoint {endpoint_id}")


@webhooks.command()
@ENDPOINT_ID
@one_line_errors
def enable(endpoint_id: int) -> None:
    """Re-enable an endpoint (after a 410): its pending notifications go out at once."""
    with open_database(load_settings().database_url) as engine:
        try:
            with session_scope(engine) as session:
                set_enabled(session, endpoint_id, True)
        except EndpointNotFound as error:
            _not_found(error)
    click.echo(f"enabled webhook endpoint {endpoint_id}")


@webhooks.command()
@ENDPOINT_ID
@one_line_errors
def test(endpoint_id: int) -> None:
    """Send one signed test delivery now; prints the answer's status."""
    settings = load_settings()
    with open_database(settings.database_url) as engine:
        try:
            with session_scope(engine) as session:
                endpoint = get_endpoint(session, endpoint_id)
        except EndpointNotFound as error:
            _not_found(error)
    event = probe_event(endpoint_id, utc_now())
    with webhook_http(settings) as http:
        result = post_event(http, endpoint.url, endpoint.secret, event)
    shown = without_credentials(endpoint.url)
    if result.status is None:
        fail(f"webhook endpoint {endpoint_id} ({shown}) did not answer: {result.error}")
    click.echo(compact_json({"id": endpoint_id, "status": result.status}))
    if not result.delivered:
        fail(f"webhook endpoint {endpoint_id} ({shown}) answered {result.status}, not a 2xx")


@webhooks.command()
@one_line_errors
def deliver() -> None:
    """Deliver notifications to every enabled endpoint until stopped."""
    with delivery_process(load_settings()) as delivery:
        delivery.run(stop_on_signals())
