"""``dockwatch subscribe``: print notifications as JSON lines through a consumer group.

Each CloudEvent is printed as one line on stdout and acknowledged right after, so a restarted
subscriber with the same group resumes after the last line it printed (a crash between the two
reprints that one line: deduplicate by ``id``). ``--from-start`` only matters when the group is
new. Once the group is ready, one line on stderr says which stream and group it listens to;
failures are one ``dockwatch: …`` line like every other command's.
"""

from __future__ import annotations

import socket

import click
import redis

from models.fleet.redis_client import make_redis
from models.fleet.subscription import NotificationFilter
from models.support.compact_json import compact_json
from models.support.redact import redact_url
from settings import load_settings
from worker.cli.errors import fail, one_line_errors, reason
from worker.cli.filter_options import filter_options
from worker.notify.subscriber import DEFAULT_CLAIM_IDLE_MS, Subscriber

DEFAULT_GROUP = "dockwatch-subscribe"


def listening_line(subscriber: Subscriber, created: bool) -> str:
    """What the subscriber waits for: its stream, group and consumer, and where it starts."""
    if not created:
        start = "an existing group: resuming after its last acknowledged notification"
    elif subscriber.from_start:
        start = "a new group: from the oldest retained notification"
    else:
        start = "a new group: new notifications only"
    return (
        f"dockwatch: listening on stream {subscriber.stream!r} as group {subscriber.group!r}"
        f" (consumer {subscriber.consumer!r}; {start}); Ctrl-C stops"
    )


def stream_deleted(error: redis.RedisError) -> bool:
    """Whether Redis ended a blocked read because the stream or the group was deleted."""
    text = str(error)
    return isinstance(error, redis.ResponseError) and (
        "no longer exists" in text or text.startswith("NOGROUP")
    )


def _named(value: str, option: str) -> str:
    """A group name Redis can tell apart: not empty, not only spaces."""
    if not value.strip():
        raise click.BadParameter("must not be empty", param_hint=option)
    return value


@click.command("subscribe")
@click.option(
    "--group",
    default=DEFAULT_GROUP,
    show_default=True,
    help="Consumer group name.",
    callback=lambda _ctx, _param, value: _named(value, "--group"),
)
@click.option(
    "--from-start",
    is_flag=True,
    help="A new group starts at the oldest retained notification instead of new ones only.",
)
@click.option("--consumer", default=None, help="Consumer name in the group [default: host name].")
@click.option("--count", type=click.IntRange(min=1), default=None, help="Exit after N events.")
@filter_options
@one_line_errors
def subscribe_command(
    group: str,
    from_start: bool,
    consumer: str | None,
    count: int | None,
    stations: tuple[str, ...],
    vehicles: tuple[str, ...],
    types: tuple[str, ...],
) -> None:
    """Print notifications as JSON lines as they arrive, acknowledging each one printed.

    With ``--station``/``--vehicle``/``--type`` the others are acknowledged without being
    printed (the group is this subscriber's: use one group per filter), and ``--count`` counts
    printed lines.
    """
    wanted = NotificationFilter.parse(types=types, stations=stations, vehicles=vehicles)
    settings = load_settings()
    client = make_redis(settings.redis_url, socket_timeout=None)
    subscriber = Subscriber(
        client,
        settings.stream,
        group=group,
        consumer=consumer or socket.gethostname(),
        from_start=from_start,
        claim_idle_ms=DEFAULT_CLAIM_IDLE_MS,
    )
    printed = 0
    try:
        click.echo(listening_line(subscriber, subscriber.ensure_group()), err=True)
        for delivery in subscriber.events():
            shown = wanted.matches(delivery.event)
            if shown:
                click.echo(compact_json(delivery.event))
            subscriber.ack(delivery)
            printed += shown
            if count is not None and printed >= count:
                break
    except redis.RedisError as error:
        if stream_deleted(error):
            fail(
                f"the stream {settings.stream!r} (or its group) was deleted while subscribed;"
                " nothing is left to read (the demo deletes its stream when it ends)"
            )
        fail(
            f"cannot read notifications from Redis at {redact_url(settings.redis_url)}: "
            f"{reason(error)}. Start redis-server or set DOCKWATCH_REDIS_URL."
        )
    except (KeyboardInterrupt, BrokenPipeError):
        pass  # Ctrl-C or a closed pipe (``| head``) ends the subscription quietly
    finally:
        client.close()
